"""Virtual trials at scale: chunked runs, backends (cpu, jax, dask), Parquet output and summaries.

Heavy dependencies (numba, jax, dask, pyarrow) are imported inside the functions that need them.

OpenMP threads (numba's threading layer here) sleep instead of spinning when idle unless the
environment says otherwise: between parallel regions our Python code (people, endpoints, Parquet)
runs on the main thread, and spinning workers would take the cores it and other users need
(measured: ~6 % less CPU and ~10 % less wall time per trial on the shared 2-core machine). The
setting must precede the OpenMP runtime's start, hence here.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
