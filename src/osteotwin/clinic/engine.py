"""Rules engine: rules are data (``data/clinic/rules.yaml``); evaluation is a pure function of facts.

Each rule has an id, a condition (``osteotwin.clinic.conditions``), the code it emits (from
``data/codes.yaml``), a message template over fact names, an evidence grade and citation ids from
``data/clinic/citations.yaml``. Finding rules run first, in file order (a rule may test findings emitted
before it); action rules then run and may test any finding. Emissions of the same code are merged:
one entry per code, highest severity / priority, earliest due date, union of evidence.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from osteotwin.clinic.conditions import evaluate, referenced_facts, referenced_findings
from osteotwin.clinic.model import SEVERITY_RANK, Action, DataPoint, Fact, Finding, Severity
from osteotwin.clinic.reference import read_yaml

EvidenceGrade = Literal["A", "B", "C", "D"]
GRADE_MEANING: dict[str, str] = {
    "A": "randomised trials or meta-analyses",
    "B": "cohort or other observational studies",
    "C": "guideline or consensus recommendation",
    "D": "expert opinion, extrapolation or absence of evidence",
}


class Rule(BaseModel):
    """One rule as written in rules.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    emits: str
    kind: Literal["finding", "action"]
    when: Any
    message: str
    grade: EvidenceGrade
    citations: tuple[str, ...] = Field(min_length=1)
    severity: Severity | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    due: str | None = None  # "as_of", "as_of+<days>d" or a date-valued fact name
    data: tuple[str, ...] = ()
    note: str | None = None


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    """The packaged rules, validated (a malformed rules file fails loudly at first use)."""
    raw = read_yaml("rules.yaml")
    return tuple(Rule.model_validate(item) for item in raw["rules"])


def template_fields(template: str) -> list[str]:
    """Fact names used in a message template."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def render_message(template: str, facts: Mapping[str, Fact]) -> str:
    """Fill ``{fact}`` placeholders with each fact's display text."""
    values = {name: facts[name].display() for name in template_fields(template)}
    return template.format(**values)


def _due(rule: Rule, facts: Mapping[str, Fact]) -> dt.date | None:
    if rule.due is None:
        return None
    as_of = facts["as_of"].value
    assert isinstance(as_of, dt.date)
    if rule.due == "as_of":
        return as_of
    if rule.due.startswith("as_of+") and rule.due.endswith("d"):
        return as_of + dt.timedelta(days=int(rule.due[len("as_of+"):-1]))
    value = facts[rule.due].value
    if isinstance(value, dt.date):
        return max(value, as_of)
    return None


def _data_points(rule: Rule, facts: Mapping[str, Fact], *, named_only: bool = False
                 ) -> tuple[DataPoint, ...]:
    """The data a rule used: its ``data:`` list, else (unless ``named_only``) the facts its
    condition reads."""
    names = list(rule.data) or ([] if named_only else referenced_facts(rule.when))
    points = []
    for name in names:
        fact = facts[name]
        points.append(DataPoint(name, fact.value, fact.unit, fact.date))
    return tuple(points)


def run_rules(facts: Mapping[str, Fact], rules: tuple[Rule, ...] | None = None
              ) -> tuple[list[Finding], list[Action]]:
    """Evaluate every rule; return merged findings (by severity) and actions (by priority, due)."""
    rules = load_rules() if rules is None else rules
    findings: dict[str, Finding] = {}
    for rule in (r for r in rules if r.kind == "finding"):
        if evaluate(rule.when, facts, set(findings)):
            new = Finding(rule.emits, rule.severity or "info", render_message(rule.message, facts),
                          rule.citations, rule.grade, _data_points(rule, facts), (rule.id,))
            findings[rule.emits] = _merge_finding(findings.get(rule.emits), new)
    actions: dict[str, Action] = {}
    emitted = set(findings)
    for rule in (r for r in rules if r.kind == "action"):
        if evaluate(rule.when, facts, emitted | set(actions)):
            because = tuple(c for c in referenced_findings(rule.when) if c in emitted)
            new_action = Action(rule.emits, rule.priority or 3, render_message(rule.message, facts),
                                _due(rule, facts), rule.citations, rule.grade, because, (rule.id,),
                                _data_points(rule, facts, named_only=True))
            actions[rule.emits] = _merge_action(actions.get(rule.emits), new_action)
    order = {code: i for i, code in enumerate(findings)}
    sorted_findings = sorted(findings.values(),
                             key=lambda f: (SEVERITY_RANK[f.severity], order[f.code]))
    # Within a priority, an undated action (start now / ongoing) comes before one due later.
    as_of = facts["as_of"].value
    today = as_of if isinstance(as_of, dt.date) else dt.date.min
    sorted_actions = sorted(actions.values(), key=lambda a: (
        a.priority, a.due or today, a.code))
    return sorted_findings, sorted_actions


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*a, *b)))


def _merge_finding(old: Finding | None, new: Finding) -> Finding:
    if old is None:
        return new
    first, second = (old, new) if SEVERITY_RANK[old.severity] <= SEVERITY_RANK[new.severity] \
        else (new, old)
    data = tuple(dict.fromkeys((*first.data, *second.data)))
    return replace(first, message=_merge_messages(first.message, second.message),
                   evidence=_union(first.evidence, second.evidence),
                   data=data, rules=_union(first.rules, second.rules),
                   grade=min(first.grade, second.grade))


def _merge_messages(first: str, second: str) -> str:
    """Join two messages of one code; when both open with the same lead-in ("Discuss ... therapy: "),
    say it once and join the reasons ("Discuss ... therapy: reason one; reason two.")."""
    if second == first:
        return first
    head, sep, rest = first.partition(": ")
    if sep and second.startswith(head + sep):
        other = second[len(head + sep):]
        if other == rest:
            return first
        return f"{head}{sep}{rest.rstrip('.')}; {other}"
    return f"{first} {second}"


def _merge_action(old: Action | None, new: Action) -> Action:
    if old is None:
        return new
    first, second = (old, new) if old.priority <= new.priority else (new, old)
    dues = [d for d in (old.due, new.due) if d is not None]
    return replace(first, message=_merge_messages(first.message, second.message), due=min(dues) if dues else None,
                   evidence=_union(first.evidence, second.evidence),
                   because=_union(first.because, second.because),
                   rules=_union(first.rules, second.rules), grade=min(first.grade, second.grade),
                   data=tuple(dict.fromkeys((*first.data, *second.data))))
