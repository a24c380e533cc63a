"""Report sections computed by the other parts of osteotwin: assessment, plan and what-if.

Each returns its content or ``Unavailable`` with a reason a reader can act on: while a module is not
part of the build ("not available yet"), or when it cannot compute a result for this record (the
reason is shown, nothing is guessed). The report never fails because one section failed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.records.patient import PatientRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unavailable:
    """A section that could not be shown, and why."""

    reason: str


def _failed(what: str, exc: Exception) -> Unavailable:
    if isinstance(exc, UserInputError):
        return Unavailable(f"The {what} could not be computed for this record: {exc.one_line()}")
    log.exception("report: %s failed", what)
    return Unavailable(f"The {what} could not be computed ({type(exc).__name__}: {exc}). "
                       "Please report this problem.")


def assessment_section(record: PatientRecord, as_of: dt.date) -> dict[str, Any] | Unavailable:
    """The ``assess --format json`` document (findings, actions, densitometry, risk, citations)."""
    try:
        from osteotwin.clinic import assess
        from osteotwin.clinic.render import to_document
    except ImportError:
        return Unavailable("The assessment is not available yet in this version of osteotwin.")
    try:
        return to_document(assess(record, as_of))
    except Exception as exc:  # one failed section must not lose the whole report
        return _failed("assessment", exc)


def plan_section(record: PatientRecord, as_of: dt.date, *, weeks: int = 12
                 ) -> dict[str, Any] | Unavailable:
    """The ``plan --format json`` document (exercise program, nutrition plan, sources)."""
    try:
        from osteotwin.plan.personal import build_personal_plan
        from osteotwin.plan.serialize import plan_document
    except ImportError:
        return Unavailable("The exercise and nutrition plan is not available yet in this version "
                           "of osteotwin.")
    try:
        return plan_document(build_personal_plan(record, weeks=weeks, as_of=as_of))
    except Exception as exc:  # one failed section must not lose the whole report
        return _failed("plan", exc)
