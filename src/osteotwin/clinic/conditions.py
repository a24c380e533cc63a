"""Rule conditions as data: a small, closed grammar evaluated against facts (no ``eval``).

A condition is one of:

* ``"name"`` — the fact ``name`` is ``True``;
* ``{fact: name, <op>: operand}`` with op in eq, ne, lt, le, gt, ge, in, not_in, known; an operand may
  be a literal or ``{fact: other}``; a comparison with an unknown (``None``) value is false;
* ``{finding: CODE}`` / ``{action: CODE}`` — that code has already been emitted (actions run after
  all findings, in file order);
* ``{all: [...]}``, ``{any: [...]}``, ``{not: condition}``.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Set
from typing import Any

from osteotwin.clinic.model import Fact

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
OPERATORS = (*_COMPARE, "in", "not_in", "known")


class ConditionError(ValueError):
    """A rule condition that does not follow the grammar (a packaging error, caught by tests)."""


def _operand(raw: Any, facts: Mapping[str, Fact]) -> Any:
    if isinstance(raw, Mapping) and set(raw) == {"fact"}:
        return facts[str(raw["fact"])].value
    return raw


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return True
    return type(a) is type(b) or (isinstance(a, dt.date) and isinstance(b, dt.date))


def evaluate(condition: Any, facts: Mapping[str, Fact], findings: Set[str]) -> bool:
    """Truth of ``condition`` given ``facts`` and the finding codes emitted so far."""
    if isinstance(condition, str):
        return facts[condition].value is True
    if not isinstance(condition, Mapping):
        raise ConditionError(f"condition must be a string or mapping, got {condition!r}")
    if "all" in condition:
        return all(evaluate(c, facts, findings) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, facts, findings) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], facts, findings)
    if "finding" in condition:
        return str(condition["finding"]) in findings
    if "action" in condition:
        return str(condition["action"]) in findings
    if "fact" in condition:
        return _compare(condition, facts)
    raise ConditionError(f"unknown condition {dict(condition)!r}")


def _compare(condition: Mapping[str, Any], facts: Mapping[str, Fact]) -> bool:
    value = facts[str(condition["fact"])].value
    ops = [k for k in condition if k != "fact"]
    if len(ops) != 1 or ops[0] not in OPERATORS:
        raise ConditionError(f"need exactly one operator of {OPERATORS}: {dict(condition)!r}")
    op = ops[0]
    operand = _operand(condition[op], facts)
    if op == "known":
        return (value is not None) is bool(operand)
    if value is None or operand is None:
        return False
    if op in ("in", "not_in"):
        inside = value in operand
        return inside if op == "in" else not inside
    if op in ("eq", "ne"):
        return bool(_COMPARE[op](value, operand))
    if not _comparable(value, operand):
        return False
    return bool(_COMPARE[op](value, operand))


def referenced_facts(condition: Any) -> list[str]:
    """Fact names a condition reads, in order of first appearance."""
    names: dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, str):
            names.setdefault(node, None)
        elif isinstance(node, Mapping):
            for key, val in node.items():
                if key == "fact":
                    names.setdefault(str(val), None)
                elif key in ("all", "any"):
                    for child in val:
                        walk(child)
                elif key == "not" or (isinstance(val, Mapping) and "fact" in val):
                    walk(val)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(condition)
    return list(names)


def numeric_bounds(condition: Any, fact: str, *, negated: bool = False) -> list[tuple[str, float]]:
    """(operator, number) of each comparison of ``fact`` with a number (``lt``/``le``/``gt``/``ge``)
    in a condition, in order of appearance: the thresholds a rule applies to that fact (a chart's
    reference lines). A comparison under ``not`` is given as what it then requires (``not lt 12``
    is ``ge 12``), so that its side is the rule's."""
    bounds: list[tuple[str, float]] = []
    if isinstance(condition, Mapping):
        if condition.get("fact") == fact:
            bounds.extend((_NEGATED[op] if negated else op, float(condition[op]))
                          for op in ("lt", "le", "gt", "ge")
                          if op in condition and isinstance(condition[op], int | float))
        for key in ("all", "any"):
            for child in condition.get(key, []):
                bounds.extend(numeric_bounds(child, fact, negated=negated))
        if "not" in condition:
            bounds.extend(numeric_bounds(condition["not"], fact, negated=not negated))
    return bounds


_NEGATED = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}


def referenced_findings(condition: Any) -> list[str]:
    """Finding codes a condition depends on."""
    found: list[str] = []
    if isinstance(condition, Mapping):
        if "finding" in condition:
            found.append(str(condition["finding"]))
        for key in ("all", "any"):
            for child in condition.get(key, []):
                found.extend(referenced_findings(child))
        if "not" in condition:
            found.extend(referenced_findings(condition["not"]))
    return found
