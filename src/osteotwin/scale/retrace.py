"""Re-run the model's numba right-hand side on other array types (JAX tracers, SymPy symbols).

SIM-CORE writes the RHS once, as plain numba-compiled Python on arrays. Its Python source (the
dispatcher's ``py_func``) can be executed again with a different *namespace*: ``np``, ``math`` and
the builtins ``max``/``min``/``abs`` are rebound to JAX (``jax.numpy``) or SymPy equivalents, other
compiled helpers are converted recursively, and arrays written in place (``dy[i] = ...``) become
``Slots`` that record the assignments. This keeps one source of truth for the equations.

Per-person flags the RHS branches on (sex, the frozen equilibration clock) are given as concrete
Python numbers through ``Inputs(values, concrete)``, so ``if male:`` runs as ordinary Python; all
other inputs stay symbolic or traced.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

_CACHE: dict[tuple[int, str], Callable[..., Any]] = {}


class Slots:
    """A fixed-length array stand-in whose elements may be any objects (tracers, symbols)."""

    def __init__(self, n: int | tuple[int, ...], fill: Any = 0.0) -> None:
        size = n if isinstance(n, int) else int(n[0])
        self.items: list[Any] = [fill] * size
        self.shape = (size,)

    @classmethod
    def of(cls, values: Any) -> Slots:
        slots = cls(len(values))
        slots.items = [values[i] for i in range(len(values))]
        return slots

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return Slots.of(self.items[index])
        return self.items[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            for i, v in zip(range(*index.indices(len(self.items))), value, strict=True):
                self.items[i] = v
        else:
            self.items[index] = value

    def copy(self) -> Slots:
        return Slots.of(self.items)


class Inputs(Slots):
    """Input vector whose flag entries are concrete Python floats (so the RHS may branch on them)."""

    def __init__(self, values: Any, concrete: Mapping[int, float]) -> None:
        super().__init__(len(values))
        self.items = [concrete[i] if i in concrete else values[i] for i in range(len(values))]


class Namespace:
    """Replacements for ``np``, ``math`` and builtins used inside the RHS."""

    def __init__(self, name: str, np_shim: Any, math_shim: Any, builtins: Mapping[str, Any]) -> None:
        self.name = name
        self.np = np_shim
        self.math = math_shim
        self.builtins = dict(builtins)


def retrace(function: Any, namespace: Namespace) -> Callable[..., Any]:
    """``function`` (a numba dispatcher or plain function) re-bound to ``namespace``."""
    key = (id(function), namespace.name)
    if key in _CACHE:
        return _CACHE[key]
    py_func = getattr(function, "py_func", function)
    source_globals: dict[str, Any] = py_func.__globals__
    shim = _ShimGlobals(source_globals, namespace)
    rebound = types.FunctionType(py_func.__code__, shim, py_func.__name__, py_func.__defaults__,
                                 py_func.__closure__)
    _CACHE[key] = rebound
    return rebound


class _ShimGlobals(dict[str, Any]):
    """Globals of a retraced function: module globals with np/math/builtins/helpers replaced."""

    def __init__(self, source: dict[str, Any], namespace: Namespace) -> None:
        super().__init__()
        self._source = source
        self._namespace = namespace
        self["__builtins__"] = source.get("__builtins__", __builtins__)
        for name, value in namespace.builtins.items():
            self[name] = value

    def __missing__(self, name: str) -> Any:
        value = self._source[name]
        if isinstance(value, types.ModuleType):
            if value.__name__ == "numpy":
                value = self._namespace.np
            elif value.__name__ == "math":
                value = self._namespace.math
        elif hasattr(value, "py_func") or _is_model_function(value):
            value = retrace(value, self._namespace)
        self[name] = value
        return value


def _is_model_function(value: Any) -> bool:
    return isinstance(value, types.FunctionType) and value.__module__.startswith("osteotwin.physiology")
