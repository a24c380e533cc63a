"""A minimal symbolic expression type that prints SBML Level 3 infix formulas.

The model's RHS (plain numba Python, see ``osteotwin.scale.retrace``) is executed with ``Expr``
values instead of floats; every arithmetic operation builds formula text. Large subexpressions that
are used again are given names (``w1``, ``w2``, ...) and become SBML assignment rules, so the exported
formulas stay small and each shared quantity is computed once. ``max``/``min`` are the MathML
functions of SBML Level 3 Version 2; the natural logarithm is ``ln`` (L3 infix syntax).
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass, field
from typing import Any

Number = int | float
#: Subexpressions longer than this are named when used inside another expression.
NAME_ABOVE_CHARS = 80


@dataclass
class Builder:
    """Collects named intermediate formulas (in dependency order)."""

    prefix: str = "w"
    rules: list[tuple[str, str]] = field(default_factory=list)

    def name(self, text: str) -> str:
        sid = f"{self.prefix}{len(self.rules) + 1}"
        self.rules.append((sid, text))
        return sid


class Expr:
    """Formula text; arithmetic with numbers and other ``Expr`` builds larger formulas."""

    __slots__ = ("atomic", "builder", "text")

    def __init__(self, text: str, builder: Builder, atomic: bool = False) -> None:
        self.text = text
        self.builder = builder
        self.atomic = atomic

    def operand(self) -> str:
        """Text to use inside another formula (named first when long)."""
        if self.atomic:
            return self.text
        if len(self.text) > NAME_ABOVE_CHARS:
            self.text = self.builder.name(self.text)
            self.atomic = True
            return self.text
        return f"({self.text})"

    # arithmetic -------------------------------------------------------------------------
    def _bin(self, other: Any, op: str, reverse: bool = False) -> Expr:
        a, b = (text_of(other), self.operand()) if reverse else (self.operand(), text_of(other))
        return Expr(f"{a} {op} {b}", self.builder)

    def __add__(self, o: Any) -> Expr:
        return self._bin(o, "+")

    def __radd__(self, o: Any) -> Expr:
        return self._bin(o, "+", True)

    def __sub__(self, o: Any) -> Expr:
        return self._bin(o, "-")

    def __rsub__(self, o: Any) -> Expr:
        return self._bin(o, "-", True)

    def __mul__(self, o: Any) -> Expr:
        return self._bin(o, "*")

    def __rmul__(self, o: Any) -> Expr:
        return self._bin(o, "*", True)

    def __truediv__(self, o: Any) -> Expr:
        return self._bin(o, "/")

    def __rtruediv__(self, o: Any) -> Expr:
        return self._bin(o, "/", True)

    def __pow__(self, o: Any) -> Expr:
        return self._bin(o, "^")

    def __rpow__(self, o: Any) -> Expr:
        return self._bin(o, "^", True)

    def __neg__(self) -> Expr:
        return Expr(f"-{self.operand()}", self.builder)

    def __pos__(self) -> Expr:
        return self

    def __bool__(self) -> bool:
        raise TypeError("the model branches on a symbolic value; give it as a concrete input")

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"


def text_of(value: Any) -> str:
    if isinstance(value, Expr):
        return value.operand()
    if isinstance(value, bool | int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"non-finite constant {number} in an exported formula")
        return f"({number!r})" if number < 0 else repr(number)
    raise TypeError(f"cannot export {type(value).__name__} to SBML")


def _builder(*values: Any) -> Builder | None:
    return next((v.builder for v in values if isinstance(v, Expr)), None)


def _function(name: str, fallback: Any) -> Any:
    def apply(*args: Any) -> Any:
        builder = _builder(*args)
        if builder is None:
            return fallback(*args)
        return Expr(f"{name}({', '.join(text_of(a).strip() for a in args)})", builder, atomic=True)

    return apply


def _extreme(name: str, fallback: Any) -> Any:
    """``max``/``min`` (MathML ``<max/>``/``<min/>`` of SBML Level 3 Version 2). Not ``piecewise``:
    solvers treat every piecewise condition as a discontinuity to locate (CVODE root finding),
    which made libroadrunner ~100 times slower on this model."""

    def apply(a: Any, b: Any, *rest: Any) -> Any:
        builder = _builder(a, b)
        if builder is None:
            value = fallback(a, b)
        else:
            value = Expr(f"{name}({text_of(a).strip()}, {text_of(b).strip()})", builder, atomic=True)
        return apply(value, *rest) if rest else value

    return apply


def _abs(value: Any) -> Any:
    return _function("abs", abs)(value)


MATH = types.SimpleNamespace(
    exp=_function("exp", math.exp), log=_function("ln", math.log),
    sqrt=_function("sqrt", math.sqrt), tanh=_function("tanh", math.tanh),
    pow=lambda a, b: a ** b, pi=math.pi, e=math.e, inf=math.inf, fabs=_abs,
)
NUMPY = types.SimpleNamespace(
    exp=MATH.exp, log=MATH.log, sqrt=MATH.sqrt, tanh=MATH.tanh, abs=_abs,
    maximum=_extreme("max", max), minimum=_extreme("min", min), pi=math.pi, inf=math.inf,
)
BUILTINS: dict[str, Any] = {"max": _extreme("max", max), "min": _extreme("min", min), "abs": _abs,
                            "float": lambda x: x if isinstance(x, Expr) else float(x)}
