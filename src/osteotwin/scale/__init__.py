"""Virtual trials at scale: chunked runs, backends (cpu, jax, dask), Parquet output and summaries.

Heavy dependencies (numba, jax, dask, pyarrow) are imported inside the functions that need them.
"""
