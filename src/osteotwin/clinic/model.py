"""Result types of the assessment: facts, findings, actions and the assessment itself (immutable)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from osteotwin.clinic.densitometry import DensitometrySummary
from osteotwin.clinic.fracture_risk import FractureRisk
from osteotwin.units import count_unit

Severity = Literal["high", "moderate", "low", "info"]
SEVERITY_RANK: dict[str, int] = {"high": 0, "moderate": 1, "low": 2, "info": 3}

FactValue = bool | int | float | str | dt.date | None


@dataclass(frozen=True)
class Fact:
    """One named datum derived from the record: value, unit, the date it was measured, its source."""

    name: str
    value: FactValue
    unit: str | None = None
    date: dt.date | None = None
    label: str | None = None

    def display(self) -> str:
        """Human-readable value with unit ("9 pg/mL"), its label if any ("51.8 pg/mL (reported 190
        pmol/L)"), or "not recorded"."""
        value = self.value
        if value is None:
            return "not recorded"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            text = _number_text(value)
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = str(value)
        unit = count_unit(value, self.unit) if self.unit and isinstance(value, float | int) else self.unit
        shown = f"{text} {unit}" if unit else text
        return f"{shown} ({self.label})" if self.label else shown


def _number_text(value: float) -> str:
    """A value to 2, 1 or 0 decimals by its size (0 from 100), trailing zeros dropped; under 100
    never rounded onto a whole number it is not (19.99 stays "19.99", not "20": the rules'
    cut-offs are mostly whole numbers, and "20 pg/mL ... below about 20" misstates the comparison)."""
    digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
    while 0 < digits < 2 and round(value, digits) == round(value) != value:
        digits += 1
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class DataPoint:
    """A datum a finding used, with its date (serialised into the output)."""

    name: str
    value: FactValue
    unit: str | None
    date: dt.date | None


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    evidence: tuple[str, ...]
    grade: str
    data: tuple[DataPoint, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    code: str
    priority: int
    message: str
    due: dt.date | None
    evidence: tuple[str, ...]
    grade: str
    because: tuple[str, ...]
    rules: tuple[str, ...]
    #: the data a rule named for the action (its ``data:``), with their dates: a reason that has no
    #: finding code (a haematocrit above 54 % on testosterone therapy) is carried here and in the message
    data: tuple[DataPoint, ...] = ()


@dataclass(frozen=True)
class Assessment:
    """Everything ``assess()`` concludes for one record on one date."""

    as_of: dt.date
    patient_id: str | None
    summary: tuple[str, ...]
    findings: tuple[Finding, ...]
    actions: tuple[Action, ...]
    densitometry: DensitometrySummary
    fracture_risk: FractureRisk
    facts: dict[str, Fact] = field(repr=False)
    monitoring: tuple[tuple[str, dt.date | None, dt.date | None, str], ...] = ()

    def finding_codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def action_codes(self) -> list[str]:
        return [a.code for a in self.actions]

    def citation_ids(self) -> list[str]:
        """Every citation used by a finding, an action or the fracture model, first use first."""
        seen: dict[str, None] = {}
        for finding in self.findings:
            for cid in finding.evidence:
                seen.setdefault(cid, None)
        for action in self.actions:
            for cid in action.evidence:
                seen.setdefault(cid, None)
        for est in self.fracture_risk.estimates:
            for cid in est.citations:
                seen.setdefault(cid, None)
        return list(seen)
