"""Whether a simulated course's training goes beyond what the plan's safety screen allows.

A what-if may model any training (``--what-if training=3xhigh,impact=3``, the web what-if's
training fields); the simulator predicts its effect on bone whatever the person's safety. These
notes say where the course asks for loading that this person's plan holds back, so a predicted
gain is not read as advice (the screen's rules and sources: ``screening.screen``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from osteotwin.plan.exercise.screening import Screening, screen
from osteotwin.records import PatientRecord

#: Impact caps under which no jumping impact is planned ("low": heel drops only).
NO_JUMPING_CAPS = ("low", "brisk_walking")


class Training(Protocol):
    """The training of a simulated course (``simulate.scenario.Lifestyle`` has these fields)."""

    resistance_sessions_per_week: float
    resistance_intensity: str
    impact_sessions_per_week: float


def beyond_screen(screening: Screening, training: Training, own: Training | None = None) -> list[str]:
    """One sentence for each part of ``training`` the screen holds back; empty when none is. With
    ``own`` (the person's current training), only the parts a what-if changes are judged: the
    course of their own training is not a what-if's doing."""
    notes = []
    lifting_changed = own is None or (training.resistance_intensity, training.resistance_sessions_per_week) \
        != (own.resistance_intensity, own.resistance_sessions_per_week)
    if (lifting_changed and training.resistance_intensity == "high"
            and training.resistance_sessions_per_week > 0 and not screening.high_intensity_eligible):
        if screening.high_intensity_held_back:
            notes.append("high-intensity lifting is modelled, which this person's plan holds back "
                         f"({'; '.join(screening.high_intensity_held_back)})")
        else:
            notes.append("high-intensity lifting is modelled, which this person's plan leaves out "
                         f"for want of a gym (training setting: "
                         f"{screening.training_setting.replace('_', ' ')})")
    impact_changed = own is None or training.impact_sessions_per_week != own.impact_sessions_per_week
    if (impact_changed and training.impact_sessions_per_week > 0
            and screening.impact_cap in NO_JUMPING_CAPS):
        notes.append(f"impact training is modelled, where the plan allows {screening.impact_cap_reason}")
    return notes


def what_if_safety(record: PatientRecord, scenarios: Sequence[Any]) -> dict[str, list[str]]:
    """Per what-if course (``scenarios[1:]``, ``simulate.Scenario``; the first is the current course),
    the training it changes that this person's plan holds back; courses that keep the person's own
    training have none, and the screen runs only when some course changes it. For ``osteotwin
    simulate`` and the web what-if alike."""
    base = scenarios[0]
    own = base.lifestyle_from_t0 or base.subject.lifestyle
    changed = [s for s in scenarios[1:]
               if s.lifestyle_from_t0 is not None and s.lifestyle_from_t0 != own]
    if not changed:
        return {}
    screening = screen(record, record.as_of or dt.date.today())
    notes = {s.label: beyond_screen(screening, s.lifestyle_from_t0, own) for s in changed}
    return {label: found for label, found in notes.items() if found}

