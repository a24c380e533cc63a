"""What a patient's own log adds to their record: falls counted, the rest shown beside it.

The web app's tracker lets a patient log exercise sessions, a day's intake and symptoms (including
falls and fractures). The record is what the clinician keeps; the log is patient-reported. So:

- **Falls** are counted: a fall the patient reports is how falls are ascertained in the first place
  (the World Falls Guidelines ask older adults about falls in the past 12 months; Montero-Odasso et
  al. 2022). The record's ``falls_last_12_months`` becomes the larger of the recorded count and the
  falls logged in the 12 months up to the assessment date (the larger, not the sum: the clinician
  may have recorded the same falls).
- **Fractures** are not counted: whether a fracture was low-trauma (a fragility fracture), and
  where, needs a clinician. Each logged fracture is listed for the clinician to confirm and record.
- **Joint pain on an aromatase inhibitor** at 4/10 or worse predicts stopping the inhibitor early
  (Chim et al. 2013: worst joint pain >= 4 on the Brief Pain Inventory, HR 2.09); a quarter of
  women stopped for musculoskeletal symptoms within 2 years (Henry et al. 2012), and supervised
  aerobic plus resistance exercise lowered the pain (Irwin et al. 2015). It is raised for review.
- **Intake and exercise** logs are summarised (means per logged day; sessions and minutes per
  week) beside the targets, not substituted for the record's values: logs are often incomplete.

Pure functions; ``LogEntry`` is what storage hands over (kind, date, data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from osteotwin.clinic.reference import target_for, targets
from osteotwin.records.patient import PatientRecord
from osteotwin.vocabulary import drug_class

#: Falls counted over the 12 months up to the assessment date (FALL_RISK's window, codes.yaml).
FALLS_WINDOW_D = 365
#: Joint pain at or above this (0-10 scale) on an aromatase inhibitor is raised (Chim et al. 2013).
JOINT_PAIN_REVIEW_SEVERITY = 4.0
#: Joint pain counts when logged within this many days of the assessment date (osteotwin's choice:
#: a symptom from the last 3 months is current enough to ask about at a review).
JOINT_PAIN_WINDOW_D = 90
#: Intake is averaged over logged days within this window (osteotwin's choice: a month of logs).
INTAKE_WINDOW_D = 30
#: Exercise is summarised per week over this window, or since the first exercise entry if later
#: (osteotwin's choice: four weeks; shorter than 7 days of logging is not summarised).
EXERCISE_WINDOW_D = 28
MIN_EXERCISE_SPAN_D = 7


@dataclass(frozen=True)
class LogEntry:
    """One stored log entry: ``kind`` exercise | intake | symptom, its date and its fields."""

    kind: str
    date: dt.date
    data: Mapping[str, Any]


@dataclass(frozen=True)
class LogNote:
    """One thing the log says that the clinician should see; ``counted`` if the assessment uses it."""

    topic: str
    message: str
    citations: tuple[str, ...] = ()
    counted: bool = False


@dataclass(frozen=True)
class LogReview:
    """The log read on ``as_of``: the falls it adds and the notes to show."""

    as_of: dt.date
    logged_falls: tuple[dt.date, ...] = ()
    recorded_falls: int | None = None
    notes: tuple[LogNote, ...] = field(default_factory=tuple)

    @property
    def falls_counted(self) -> int | None:
        """Falls in the last 12 months the assessment should use (None: the record's own stands)."""
        if len(self.logged_falls) > (self.recorded_falls or 0):
            return len(self.logged_falls)
        return None

    def apply(self, record: PatientRecord) -> PatientRecord:
        """``record`` with the logged falls counted (unchanged when the log adds none)."""
        counted = self.falls_counted
        if counted is None:
            return record
        history = record.history.model_copy(update={"falls_last_12_months": counted})
        return record.model_copy(update={"history": history})


def _within(entry: LogEntry, as_of: dt.date, days: int) -> bool:
    return as_of - dt.timedelta(days=days) < entry.date <= as_of


def _symptoms(entries: Iterable[LogEntry], name: str) -> list[LogEntry]:
    return sorted((e for e in entries if e.kind == "symptom" and e.data.get("symptom") == name),
                  key=lambda e: e.date)


def _dates(entries: Iterable[LogEntry]) -> str:
    return ", ".join(e.date.isoformat() for e in entries)


def _falls_note(falls: list[LogEntry], recorded: int | None, as_of: dt.date) -> LogNote | None:
    if not falls:
        return None
    count = len(falls)
    shown = "not recorded" if recorded is None else str(recorded)
    if count > (recorded or 0):
        text = (f"The patient logged {count} fall{'s' if count > 1 else ''} in the 12 months to "
                f"{as_of.isoformat()} ({_dates(falls)}); the record's count is {shown}, so the "
                f"assessment counts {count}. Update the record's falls if this is right.")
        return LogNote("falls", text, ("montero_odasso_2022",), counted=True)
    text = (f"The patient logged {count} fall{'s' if count > 1 else ''} in the 12 months to "
            f"{as_of.isoformat()} ({_dates(falls)}); the record already counts {shown}.")
    return LogNote("falls", text, ("montero_odasso_2022",))


def _fracture_note(fractures: list[LogEntry], record: PatientRecord) -> LogNote | None:
    if not fractures:
        return None
    described = "; ".join(e.date.isoformat() + (f" ({e.data['note']})" if e.data.get("note") else "")
                          for e in fractures)
    recorded = record.history.prior_fragility_fractures
    text = (f"The patient logged {'a fracture' if len(fractures) == 1 else f'{len(fractures)} fractures'}"
            f" on {described}. Not counted by itself: confirm whether it was a low-trauma (fragility) "
            f"fracture and which bone, and if so record it (prior fragility fractures, now "
            f"{'not recorded' if recorded is None else recorded}; vertebral fracture). A fragility "
            f"fracture roughly doubles the risk of another.")
    return LogNote("fracture", text, ("bhof_2022", "papaioannou_2010"))


def _joint_pain_note(pains: list[LogEntry], record: PatientRecord, as_of: dt.date) -> LogNote | None:
    inhibitors = sorted({m.drug.replace("_", " ") for m in record.active_medications(as_of)
                         if drug_class(m.drug) == "aromatase_inhibitor"})
    severe = [e for e in pains if _within(e, as_of, JOINT_PAIN_WINDOW_D)
              and float(e.data.get("severity") or 0.0) >= JOINT_PAIN_REVIEW_SEVERITY]
    if not inhibitors or not severe:
        return None
    worst = max(float(e.data["severity"]) for e in severe)
    text = (f"Joint pain up to {worst:g}/10 logged while on {' and '.join(inhibitors)} "
            f"({_dates(severe)}). Worst joint pain of {JOINT_PAIN_REVIEW_SEVERITY:g}/10 or more "
            f"predicts stopping an aromatase inhibitor early, and a quarter of women stopped one "
            f"within 2 years for such symptoms; supervised aerobic and resistance exercise lowered "
            f"the pain. Ask about it at the next review.")
    return LogNote("joint_pain", text, ("chim_2013", "henry_2012", "irwin_2015"))


def _intake_note(entries: list[LogEntry], record: PatientRecord, as_of: dt.date) -> LogNote | None:
    days: dict[dt.date, dict[str, float]] = {}
    for entry in entries:  # a day's entries add up (a patient may log meal by meal)
        day = days.setdefault(entry.date, {})
        for key in ("calcium_mg", "vitamin_d_iu", "protein_g"):
            if entry.data.get(key) is not None:
                day[key] = day.get(key, 0.0) + float(entry.data[key])
    if not days:
        return None
    parts = []
    age, sex = record.patient.age_on(as_of), record.patient.sex
    for key, label, unit in (("calcium_mg", "calcium", "mg"), ("vitamin_d_iu", "vitamin D", "IU"),
                             ("protein_g", "protein", "g")):
        values = [day[key] for day in days.values() if key in day]
        if not values:
            continue
        mean = sum(values) / len(values)
        text = f"{label} {mean:,.0f} {unit}/d over {len(values)} day{'s' if len(values) > 1 else ''}"
        if key == "calcium_mg":
            rda = target_for(targets()["calcium_mg_d"]["rda"], sex, age)
            if rda is not None and mean < rda:
                text += f" (below the {rda:,.0f} mg/d recommended at {int(age)})"
        if key == "protein_g" and record.patient.weight_kg:
            goal = target_for(targets()["protein_g_kg_d"]["target"], sex, age)
            if goal is not None and mean < goal * record.patient.weight_kg:
                text += f" (below {goal:g} g/kg/d, {goal * record.patient.weight_kg:.0f} g/d)"
        parts.append(text)
    if not parts:
        return None
    message = (f"Logged intake in the {INTAKE_WINDOW_D} days to {as_of.isoformat()}, mean of logged "
               f"days: {'; '.join(parts)}. Shown beside the record's intake, not instead of it.")
    return LogNote("intake", message, ("iom_2011",))


def _exercise_note(entries: list[LogEntry], as_of: dt.date) -> LogNote | None:
    if not entries:
        return None
    span_d = min(EXERCISE_WINDOW_D, (as_of - min(e.date for e in entries)).days + 1)
    if span_d < MIN_EXERCISE_SPAN_D:
        return None
    weeks = span_d / 7.0

    def per_week(activity: str) -> float:
        return sum(1 for e in entries if e.data.get("activity") == activity) / weeks

    resistance = per_week("resistance")
    hard = sum(1 for e in entries if e.data.get("activity") == "resistance"
               and e.data.get("intensity") == "high") / weeks
    minutes = sum(float(e.data.get("minutes") or 0.0) for e in entries
                  if e.data.get("activity") == "weight_bearing_aerobic") / weeks
    message = (f"Logged exercise over the last {span_d} days: resistance {resistance:.1f} sessions a "
               f"week ({hard:.1f} at high intensity), impact {per_week('impact'):.1f} a week, "
               f"weight-bearing aerobic {minutes:.0f} min a week, balance {per_week('balance'):.1f} "
               f"a week (targets: resistance at least 2 a week building to high intensity, impact "
               f"where safe, 150 min of weight-bearing aerobic activity).")
    return LogNote("exercise", message, ("beck_2017", "brooke_wavell_2022"))


def review_logs(entries: Iterable[LogEntry], record: PatientRecord, as_of: dt.date) -> LogReview:
    """Read the patient's log on ``as_of`` (entries after it are left out) against ``record``."""
    logged = [e for e in entries if e.date <= as_of]
    falls = [e for e in _symptoms(logged, "fall") if _within(e, as_of, FALLS_WINDOW_D)]
    recorded = record.history.falls_last_12_months
    notes = [
        _falls_note(falls, recorded, as_of),
        _fracture_note(_symptoms(logged, "fracture"), record),
        _joint_pain_note(_symptoms(logged, "joint_pain"), record, as_of),
        _intake_note([e for e in logged if e.kind == "intake" and _within(e, as_of, INTAKE_WINDOW_D)],
                     record, as_of),
        _exercise_note([e for e in logged if e.kind == "exercise"
                        and _within(e, as_of, EXERCISE_WINDOW_D)], as_of),
    ]
    return LogReview(as_of=as_of, logged_falls=tuple(e.date for e in falls), recorded_falls=recorded,
                     notes=tuple(n for n in notes if n is not None))
