"""The mechanistic model: PK → endocrine → calcium → bone (pure functions, one RHS).

Numba's on-disk cache does not notice edits in *called* functions, so compiled code is cached in
a folder keyed by a hash of the model's source files (``~/.cache/osteotwin/numba/<hash>``, or
``$OSTEOTWIN_NUMBA_CACHE``); a changed model can never run stale machine code.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def _configure_numba_cache() -> None:
    package = Path(__file__).resolve().parent
    compiled = ("states", "parameters", "pk", "endocrine", "calcium", "bone", "model")
    sources = [*(package / f"{name}.py" for name in compiled),
               *(package.parent / "simulate" / f"{name}.py"
                 for name in ("solvers", "dose_steps", "ros34pw2")),
               *(package.parent / "scale" / f"{name}.py"
                 for name in ("block_lu", "rosenbrock", "kernels"))]
    digest = hashlib.sha256()
    for path in sources:
        if path.exists():
            digest.update(path.read_bytes())
    root = Path(os.environ.get("OSTEOTWIN_NUMBA_CACHE",
                               Path.home() / ".cache" / "osteotwin" / "numba"))
    os.environ["NUMBA_CACHE_DIR"] = str(root / digest.hexdigest()[:16])
    if "numba" in sys.modules:
        from numba.core import config

        config.reload_config()  # type: ignore[no-untyped-call]


_configure_numba_cache()
