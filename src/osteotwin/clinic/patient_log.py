"""What a patient's own log adds to their record: falls counted, the rest shown beside it.

The web app's tracker lets a patient log exercise sessions, a day's intake and symptoms (including
falls and fractures). The record is what the clinician keeps; the log is patient-reported. So:

- **Falls** are counted: a fall the patient reports is how falls are ascertained in the first place
  (the World Falls Guidelines ask older adults about falls in the past 12 months; Montero-Odasso et
  al. 2022). The record's ``falls_last_12_months`` becomes the larger of the recorded count and the
  falls logged in the 12 months up to the assessment date (the larger, not the sum: the clinician
  may have recorded the same falls).
- **Fractures** are not counted: whether a fracture was low-trauma (a fragility fracture), and
  where, needs a clinician. Each logged fracture is listed for the clinician to confirm and record
  until they mark it reviewed (then for 12 months more, as information).
- **Joint pain on an aromatase inhibitor** at 4/10 or worse predicts stopping the inhibitor early
  (Chim et al. 2013: worst joint pain >= 4 on the Brief Pain Inventory, HR 2.09); a quarter of
  women stopped for musculoskeletal symptoms within 2 years (Henry et al. 2012), and supervised
  aerobic plus resistance exercise lowered the pain (Irwin et al. 2015). It is raised for review.
- **Intake and exercise** logs are summarised (means per logged day; sessions and minutes per
  week) beside the targets, not substituted for the record's values: logs are often incomplete.

Each note has a clinician's wording (``message``) and a patient's (``for_patient``: plain words, no
statistics about stopping medicines, never an instruction about them).

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

#: Falls counted, and fractures raised, over the 12 months up to the assessment date (FALL_RISK's
#: window, codes.yaml).
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
    """One stored log entry: ``kind`` exercise | intake | symptom, its date and its fields; ``id``
    (storage's) and whether a clinician has ``reviewed`` it."""

    kind: str
    date: dt.date
    data: Mapping[str, Any]
    id: int | None = None
    reviewed: bool = False


@dataclass(frozen=True)
class LogNote:
    """One thing the log says: ``message`` for the clinician, ``for_patient`` in plain words;
    ``counted`` if the assessment uses it."""

    topic: str
    message: str
    for_patient: str
    citations: tuple[str, ...] = ()
    counted: bool = False
    #: the log entries the note reads (storage ids), and whether a clinician reviewed them all
    entry_ids: tuple[int, ...] = ()
    reviewed: bool = False

    @property
    def needs_review(self) -> bool:
        """Whether a clinician should look at it: counted in the assessment or to confirm, and not
        yet marked reviewed (a reviewed fall still counts)."""
        return (self.counted or self.topic in ("fracture", "joint_pain")) and not self.reviewed


def _read(entries: list[LogEntry]) -> dict[str, Any]:
    """The ``LogNote`` fields that name the entries a note reads."""
    return {"entry_ids": tuple(e.id for e in entries if e.id is not None),
            "reviewed": bool(entries) and all(e.reviewed for e in entries)}


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
    plural = "s" if count > 1 else ""
    logged = f"{count} fall{plural} in the 12 months to {as_of.isoformat()} ({_dates(falls)})"
    if count > (recorded or 0):
        text = (f"The patient logged {logged}; the record's count is {shown}, so the assessment "
                f"counts {count}. Update the record's falls (its history) if this is right.")
        plain = (f"You logged {logged}. Falls matter for bone health, so this assessment counts "
                 f"them; tell your care team how each one happened.")
        return LogNote("falls", text, plain, ("montero_odasso_2022",), counted=True, **_read(falls))
    text = f"The patient logged {logged}; the record already counts {shown}."
    plain = f"You logged {logged}; your record already includes them."
    return LogNote("falls", text, plain, ("montero_odasso_2022",), **_read(falls))


def _fracture_note(fractures: list[LogEntry], record: PatientRecord) -> LogNote | None:
    if not fractures:
        return None
    described = "; ".join(e.date.isoformat() + (f" ({e.data['note']})" if e.data.get("note") else "")
                          for e in fractures)
    recorded = record.history.prior_fragility_fractures
    which = "a fracture" if len(fractures) == 1 else f"{len(fractures)} fractures"
    text = (f"The patient logged {which} on {described}. Not counted by itself: confirm whether it "
            f"was a low-trauma (fragility) fracture and which bone, and if so record it (prior "
            f"fragility fractures, now {'not recorded' if recorded is None else recorded}; vertebral "
            f"fracture); if it is already recorded, nothing more is needed. A fragility fracture "
            f"roughly doubles the risk of another.")
    broken = "a broken bone" if len(fractures) == 1 else f"{len(fractures)} broken bones"
    plain = (f"You logged {broken} ({_dates(fractures)}). Your care team will ask how "
             f"{'it' if len(fractures) == 1 else 'they'} happened and add "
             f"{'it' if len(fractures) == 1 else 'them'} to your record: a bone broken in a minor fall "
             f"can be a sign that bones need more protection.")
    return LogNote("fracture", text, plain, ("bhof_2022", "papaioannou_2010"), **_read(fractures))


def _inhibitors_on(record: PatientRecord, when: dt.date) -> set[str]:
    return {m.drug.replace("_", " ") for m in record.active_medications(when)
            if drug_class(m.drug) == "aromatase_inhibitor"}


def _joint_pain_note(pains: list[LogEntry], record: PatientRecord, as_of: dt.date) -> LogNote | None:
    # pain counts only when logged on an inhibitor (taken on that day), not before one was started
    severe = [e for e in pains if _within(e, as_of, JOINT_PAIN_WINDOW_D)
              and float(e.data.get("severity") or 0.0) >= JOINT_PAIN_REVIEW_SEVERITY
              and _inhibitors_on(record, e.date)]
    if not severe:
        return None
    inhibitors = sorted(set().union(*(_inhibitors_on(record, e.date) for e in severe)))
    worst = max(float(e.data["severity"]) for e in severe)
    text = (f"Joint pain up to {worst:g}/10 logged while on {' and '.join(inhibitors)} "
            f"({_dates(severe)}). In women taking an aromatase inhibitor after breast cancer, worst "
            f"joint pain of {JOINT_PAIN_REVIEW_SEVERITY:g}/10 or more predicted stopping it early, a "
            f"quarter stopped one within 2 years for such symptoms, and supervised aerobic and "
            f"resistance exercise lowered the pain. Ask about it at the next review.")
    plain = (f"You logged joint pain (up to {worst:g}/10). Joint pain is common with this kind of "
             f"medicine and can often be eased, for example with regular exercise. Tell your care "
             f"team about it, and keep taking your medicine as prescribed unless they advise a change.")
    return LogNote("joint_pain", text, plain, ("chim_2013", "henry_2012", "irwin_2015"), **_read(severe))


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
    plain = (f"What you logged to eat and drink over the last {INTAKE_WINDOW_D} days, on average per "
             f"logged day: {'; '.join(parts)}.")
    return LogNote("intake", message, plain, ("iom_2011",))


def _exercise_note(entries: list[LogEntry], first_logged: dt.date | None, as_of: dt.date) -> LogNote | None:
    """``entries``: the window's exercise entries; ``first_logged``: the patient's first exercise
    entry ever (the rates are per week since then when that is inside the window)."""
    if not entries or first_logged is None:
        return None
    span_d = min(EXERCISE_WINDOW_D, (as_of - first_logged).days + 1)
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
    done = (f"resistance {resistance:.1f} sessions a week ({hard:.1f} at high intensity), impact "
            f"{per_week('impact'):.1f} a week, weight-bearing aerobic {minutes:.0f} min a week, "
            f"balance {per_week('balance'):.1f} a week")
    message = (f"Logged exercise over the last {span_d} days: {done} (targets: resistance at least 2 "
               f"a week building to high intensity, impact where safe, 150 min of weight-bearing "
               f"aerobic activity).")
    plain = f"The exercise you logged over the last {span_d} days: {done}."
    return LogNote("exercise", message, plain, ("beck_2017", "brooke_wavell_2022"))


def review_logs(entries: Iterable[LogEntry], record: PatientRecord, as_of: dt.date) -> LogReview:
    """Read the patient's log on ``as_of`` (entries after it are left out) against ``record``."""
    logged = [e for e in entries if e.date <= as_of]
    falls = [e for e in _symptoms(logged, "fall") if _within(e, as_of, FALLS_WINDOW_D)]
    recorded = record.history.falls_last_12_months
    exercise = [e for e in logged if e.kind == "exercise"]
    notes = [
        _falls_note(falls, recorded, as_of),
        _fracture_note([e for e in _symptoms(logged, "fracture")
                        if not e.reviewed or _within(e, as_of, FALLS_WINDOW_D)], record),
        _joint_pain_note(_symptoms(logged, "joint_pain"), record, as_of),
        _intake_note([e for e in logged if e.kind == "intake" and _within(e, as_of, INTAKE_WINDOW_D)],
                     record, as_of),
        _exercise_note([e for e in exercise if _within(e, as_of, EXERCISE_WINDOW_D)],
                       min((e.date for e in exercise), default=None), as_of),
    ]
    return LogReview(as_of=as_of, logged_falls=tuple(e.date for e in falls), recorded_falls=recorded,
                     notes=tuple(n for n in notes if n is not None))
