"""Compile solver kernels for a given right-hand side, cached on disk per model version.

Numba cannot cache a compiled function that receives another compiled function as an argument
(the argument's type is process-specific). The solvers in ``rosenbrock.py`` and
``equilibrium.py`` are therefore written against *global* names (``rhs``, ``jacobian``, ...) and
compiled here with those names bound: for the model, with numba's on-disk cache, under a function
name that carries a hash of the model's source files (``osteotwin/physiology/*.py``), so an edited
model recompiles these kernels (numba itself only checks the file a function is defined in; the
model's own cached functions follow numba's rule); for anything else (test problems), without a
cache.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def model_tag() -> str:
    """Short hash of the model's source files (physiology package) and the solver sources."""
    import osteotwin.physiology as physiology

    digest = hashlib.sha256()
    roots = [Path(physiology.__file__).parent, Path(__file__).parent]
    for root in roots:
        for path in sorted(root.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def bind(func: Callable[..., Any], bindings: Mapping[str, Any], *, tag: str | None,
         parallel: bool = False, nogil: bool = False) -> Any:
    """``func`` compiled with some of its global names rebound (cached when ``tag`` is given)."""
    from numba import njit

    namespace = dict(func.__globals__)
    namespace.update(bindings)
    name = f"{func.__name__}_{tag}" if tag else func.__name__
    rebound = types.FunctionType(func.__code__, namespace, name, func.__defaults__,
                                 func.__closure__)
    rebound.__qualname__ = name
    rebound.__module__ = func.__module__
    # error_model="numpy": a float division by zero gives inf/nan (which the solvers reject as
    # non-finite) instead of raising; no zero test before every division, identical results
    return njit(cache=tag is not None, parallel=parallel, nogil=nogil,
                error_model="numpy")(rebound)
