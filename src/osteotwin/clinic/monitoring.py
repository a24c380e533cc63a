"""Monitoring intervals: when a lab test or a DXA scan is due (pure date arithmetic).

Sources: DXA at AI start and every 1-2 years on treatment (Hadji 2017; ESMO 2020), the short end
(12 months) after a loss beyond the least significant change on an AI (Hadji 2017: BMD rechecked on
treatment after 12-24 months); screening repeat intervals by T-score (Gourlay 2012, widened to 1-2
years for advanced osteopenia as in BHOF 2022); testosterone 3-6 months after starting, then yearly
(Bhasin 2018), used for every yearly lab here. A lab an action asks for sooner (25(OH)D about 3
months after a change of vitamin D dose, say) is due at that action's date in the schedule too.
After denosumab stops, DXA at the transition to a bisphosphonate and about 12 months after it starts
(ECTS, Tsourdi 2021); with bone metastases on record, no DXA by these osteoporosis intervals (ESMO
2020; ASCO 2019 is for non-metastatic disease).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from osteotwin.clinic.model import Action, Fact, FactValue
from osteotwin.records.patient import PatientRecord

LAB_INTERVAL_D = 365  # estradiol, testosterone, 25(OH)D: yearly once stable
START_GRACE_D = 90  # first on-treatment check 3 months after starting
MONITORING_DXA_MONTHS = 24  # DXA every 1-2 years on AI / antiresorptive / glucocorticoids
LOSS_ON_AI_DXA_MONTHS = 12  # the short end of those 1-2 years after a significant loss on an AI
LOSS_ON_AI_NOTE = (" (shortened from 24: BMD fell beyond the least significant change on an "
                   "aromatase inhibitor; Hadji 2017 rechecks BMD after 12-24 months)")
#: Ovarian suppression with an aromatase inhibitor before the menopause: the fastest bone loss
#: (ABCSG-12: goserelin with anastrozole, lumbar spine -17 % in 3 years, Gnant 2008); Hadji 2017 and
#: ESMO 2020 count these women at high risk, so DXA yearly rather than every 2 years.
OFS_AI_DXA_MONTHS = 12
OFS_AI_NOTE = (" (shortened from 24: ovarian suppression with an aromatase inhibitor before the "
               "menopause causes the fastest bone loss, about 17 % at the spine in 3 years in "
               "ABCSG-12; high risk in Hadji 2017 and ESMO 2020)")
#: After denosumab stops, BMD is measured at the transition to a bisphosphonate and about 12 months
#: after that bisphosphonate starts (ECTS, Tsourdi 2021): not at the screening intervals of Gourlay
#: 2012, which studied untreated women (BMD gained on denosumab is lost within about a year).
AFTER_DENOSUMAB_DXA_MONTHS = 12
AFTER_DENOSUMAB_NOTE = (" (after denosumab: BMD at the transition to a bisphosphonate and about 12 "
                        "months after that bisphosphonate starts, ECTS, Tsourdi 2021)")
#: A scan taken up to this many days before the date about 12 months after the follow-on
#: bisphosphonate started counts as that scan: osteotwin's choice. ECTS asks for BMD "about 12
#: months" after it starts (Tsourdi 2021) and gives no tolerance; 3 months lets a scan ordered when
#: ORDER_DXA first lists it (``DUE_SOON_D`` ahead of its date) count, so it is not asked for again.
AFTER_DENOSUMAB_DXA_TOLERANCE_D = 90
BASELINE_DXA_WINDOW_D = 365  # a scan within a year before an AI starts counts as its baseline
DUE_SOON_D = 90  # an action is listed when its due date falls within this window


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for dd in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, dd)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")  # pragma: no cover


def before_treatment(result_date: dt.date, start: dt.date | None) -> bool:
    """A result drawn before the treatment that changes it started (an unknown start counts as
    started before every result, as in ``Medication.active_on``): a baseline, not a level on it."""
    return start is not None and result_date < start


def lab_due(record: PatientRecord, as_of: dt.date, test: str, start: dt.date | None) -> bool:
    """True when no result of ``test`` lies in the recommended interval.

    A result counts if it is at most a year old and, when a treatment that changes it started,
    measured on treatment. Within 3 months of starting, a pre-treatment result still counts.
    """
    rows = record.labs_for(test, on_or_before=as_of)
    if not rows:
        return True
    last = rows[-1]
    if (as_of - last.date).days > LAB_INTERVAL_D:
        return True
    if start is not None and before_treatment(last.date, start):
        return (as_of - start).days > START_GRACE_D
    return False


def screening_interval_months(lowest_score: FactValue) -> int:
    """Repeat-DXA interval outside treatment: T <= -2.0 two years, -1.5 to -2.0 five, higher 15."""
    if not isinstance(lowest_score, float | int):
        return MONITORING_DXA_MONTHS
    if lowest_score <= -2.0:
        return MONITORING_DXA_MONTHS
    if lowest_score <= -1.5:
        return 60
    return 180


def after_denosumab_dxa_due(*, last_scan: dt.date | None, last_injection: dt.date | None,
                            transition: dt.date | None, follow_on_start: dt.date | None
                            ) -> dt.date | None:
    """When a DXA is due around a stop of denosumab (ECTS, Tsourdi 2021), or None when none is.

    With a bisphosphonate started after the last injection (``follow_on_start``): about 12 months
    after it started, unless a scan was taken within ``AFTER_DENOSUMAB_DXA_TOLERANCE_D`` before
    that date or later. Stopped
    with none yet: at the transition (``transition``, 6 months after the last injection), unless a
    scan was taken on or after the last injection."""
    if follow_on_start is not None:
        due = add_months(follow_on_start, AFTER_DENOSUMAB_DXA_MONTHS)
        done = last_scan is not None and last_scan >= due - dt.timedelta(
            days=AFTER_DENOSUMAB_DXA_TOLERANCE_D)
        return None if done else due
    if transition is None or last_injection is None:
        return None
    return None if last_scan is not None and last_scan >= last_injection else transition


@dataclass(frozen=True)
class DxaPlan:
    """Whether a DXA is indicated, why, its interval and when the next one is due."""

    reasons: tuple[str, ...]
    interval_months: int
    next_due: dt.date | None
    overdue: bool
    due_soon: bool
    interval_note: str = ""  # why the interval is not the usual one ("" when it is)
    #: ``next_due`` is the after-denosumab date (ECTS), earlier than the interval's: a scan then
    #: overdue is overdue by that rule, not by ``interval_months`` (DXA_OVERDUE words it so)
    due_after_denosumab: bool = False


def dxa_plan(*, as_of: dt.date, reasons: tuple[str, ...], last_scan: dt.date | None,
             on_treatment: bool, lowest_score: FactValue, baseline_missing: bool,
             loss_on_ai: bool = False, ofs_ai: bool = False,
             after_denosumab: dt.date | None = None) -> DxaPlan:
    """The DXA schedule: due now if none is on file (or no baseline for a new AI), else last +
    interval (2 years on treatment, 1 year after a significant loss on an AI or on ovarian
    suppression with an AI, by T-score otherwise); ``after_denosumab`` (``after_denosumab_dxa_due``)
    brings it forward when denosumab has stopped."""
    months = MONITORING_DXA_MONTHS if on_treatment else screening_interval_months(lowest_score)
    note = ""
    if ofs_ai:
        months, note = OFS_AI_DXA_MONTHS, OFS_AI_NOTE
    if loss_on_ai:
        months, note = LOSS_ON_AI_DXA_MONTHS, LOSS_ON_AI_NOTE
    if after_denosumab is not None:
        note += AFTER_DENOSUMAB_NOTE
    if not reasons:
        return DxaPlan(reasons, months, None, False, False, note)
    if last_scan is None or baseline_missing:
        next_due = as_of
    else:
        next_due = add_months(last_scan, months)
    by_denosumab = after_denosumab is not None and after_denosumab < next_due
    if after_denosumab is not None:
        next_due = min(next_due, after_denosumab)
    overdue = last_scan is not None and (baseline_missing or next_due < as_of)
    return DxaPlan(reasons, months, next_due, overdue, (next_due - as_of).days <= DUE_SOON_D, note,
                   due_after_denosumab=by_denosumab and not baseline_missing)


#: The DXA row with bone metastases on record: the osteoporosis intervals (Hadji 2017; ASCO 2019, for
#: non-metastatic disease; Gourlay 2012) do not apply, and bone-targeted treatment follows the
#: metastasis guidance (ESMO 2020; ASCO-CCO, Van Poznak 2017).
BONE_METASTASES_DXA_BASIS = (
    "not scheduled by the osteoporosis intervals: bone metastases are on record, and the DXA schedules "
    "of Hadji 2017 and ASCO 2019 (non-metastatic disease) do not apply; bone imaging and the "
    "bone-modifying agent are the oncology team's (ESMO 2020; Van Poznak 2017)")

#: Why an action asks for a lab before its yearly date, by the rule that asked (shown in the schedule).
EARLIER_CHECK_REASONS = {
    "act-check-vitd-recheck": "recheck about 3 months after the vitamin D dose is changed",
}


def schedule(record: PatientRecord, facts: dict[str, Fact], as_of: dt.date,
             actions: Iterable[Action] = ()) -> list[tuple[str, dt.date | None, dt.date | None, str]]:
    """Monitoring rows for the output: (test, last date, next due, basis). A lab that an action asks
    for before its yearly date is due at the action's date here too, so the two never disagree."""
    rows: list[tuple[str, dt.date | None, dt.date | None, str]] = []
    metastases = facts["bone_metastases_in_conditions"].value
    if metastases:
        last_scan = facts["last_dxa_date"].value
        rows.append(("DXA", last_scan if isinstance(last_scan, dt.date) else None, None,
                     BONE_METASTASES_DXA_BASIS))
    elif facts["dxa_indicated"].value:
        last, due = facts["last_dxa_date"].value, facts["next_dxa_due"].value
        rows.append(("DXA", last if isinstance(last, dt.date) else None,
                     due if isinstance(due, dt.date) else None,
                     f"{facts['dxa_indication'].display()}; every "
                     f"{facts['dxa_interval_months'].display()}{facts['dxa_interval_note'].value or ''}"))
    man = record.patient.sex == "male"
    on_ai, on_trt = bool(facts["on_ai"].value), bool(facts["on_trt"].value)
    asked = {a.code: a for a in actions if a.due is not None}
    plans = (
        ("Estradiol", "estradiol", "estradiol_due",
         on_ai and (man or not facts["menopause_confirmed"].value), "on an aromatase inhibitor",
         "CHECK_ESTRADIOL"),
        ("Testosterone", "total_testosterone", "testosterone_due", man and (on_trt or on_ai),
         "testosterone therapy or aromatase inhibitor", "CHECK_TESTOSTERONE"),
        ("25(OH)D", "vitamin_d_25oh", "vitamin_d_due", bool(facts["bone_health_indication"].value),
         "bone-health indication", "CHECK_VITAMIN_D"),
    )
    for label, test, due_fact, needed, why, code in plans:
        if not needed:
            continue
        last_lab = record.latest_lab(test, on_or_before=as_of)
        last_date = last_lab.date if last_lab else None
        due_date = as_of if last_date is None or facts[due_fact].value else max(
            as_of, last_date + dt.timedelta(days=LAB_INTERVAL_D))
        basis = f"{why}; yearly"
        action = asked.get(code)
        if action is not None and action.due is not None and action.due < due_date:
            due_date = action.due
            reason = next((EARLIER_CHECK_REASONS[r] for r in action.rules
                           if r in EARLIER_CHECK_REASONS), "sooner, as the actions ask")
            basis = f"{why}; {reason}, then yearly"
        rows.append((label, last_date, due_date, basis))
    if man and on_trt:
        rows.append(_hematocrit_row(record, facts, as_of))
    last_dose, next_dose = facts["denosumab_last_dose"].value, facts["denosumab_next_dose_due"].value
    if isinstance(last_dose, dt.date) and isinstance(next_dose, dt.date):
        if facts["denosumab_oncology_dose"].value:
            # the bone-metastases regimen (Xgeva: 120 mg every 4 weeks), not the 6-monthly one
            basis = (f"every {(next_dose - last_dose).days} days as prescribed: the bone-metastases "
                     "regimen, managed by oncology (Xgeva label), with serum calcium checked on it")
        elif metastases:
            # the osteoporosis regimen with bone metastases: its schedule is oncology's to review
            basis = (f"every {(next_dose - last_dose).days} days as prescribed: the osteoporosis "
                     "regimen (60 mg every 6 months), not the bone-metastasis one (120 mg every 4 "
                     "weeks; ASCO-CCO, Van Poznak 2017): for oncology to review; not stopped without "
                     "a plan for what follows (ECTS 2021)")
        else:
            basis = ("every 6 months, no more than 4 weeks late (Lyu 2020); not stopped without a "
                     "bisphosphonate to follow (ECTS 2021)")
        rows.append(("Denosumab injection", last_dose, next_dose, basis))
    if facts["bisphosphonate_review_years"].value is not None:
        years = facts["bisphosphonate_years"].value
        review = facts["bisphosphonate_review_years"].value
        assert isinstance(years, float) and isinstance(review, float)
        due = as_of + dt.timedelta(days=round(max(0.0, (review - years) * 365.25)))
        basis = (f"{years:g} years so far; the adjuvant course's length (3 to 5 years of 4 mg every "
                 "6 months) is set by oncology (ASCO-Ontario Health, Dhesy-Thind 2017)"
                 if facts["bisphosphonate_adjuvant"].value else
                 f"{years:g} years so far; review after {review:g} years of this route "
                 "(ASBMR task force, Adler 2016)")
        rows.append(("Bisphosphonate course review", None, due, basis))
    return rows


#: Haematocrit on testosterone therapy: at baseline, 3-6 and 12 months after starting, then yearly;
#: above 54 % therapy is stopped and the man evaluated (Bhasin 2018). hCG raises the man's own
#: testosterone: the same schedule, by extrapolation. No action code asks for a haematocrit, so the
#: schedule lists it (a high result is acted on by REVIEW_TESTOSTERONE_THERAPY).
HEMATOCRIT_LIMIT_PCT = 54.0


def _hematocrit_row(record: PatientRecord, facts: dict[str, Fact], as_of: dt.date
                    ) -> tuple[str, dt.date | None, dt.date | None, str]:
    last_lab = record.latest_lab("hematocrit", on_or_before=as_of)
    last_date = last_lab.date if last_lab else None
    due_date = as_of if last_date is None or facts["hematocrit_due"].value else max(
        as_of, last_date + dt.timedelta(days=LAB_INTERVAL_D))
    if facts["on_testosterone"].value:
        basis = ("testosterone therapy: at 3-6 and 12 months after starting, then yearly; above 54 % "
                 "therapy is stopped and evaluated (Endocrine Society, Bhasin 2018)")
    else:
        basis = ("hCG, which raises the man's own testosterone: the testosterone-therapy schedule "
                 "(3-6 and 12 months, then yearly; Bhasin 2018), by extrapolation")
    if last_lab is not None and last_lab.value > HEMATOCRIT_LIMIT_PCT and not facts[
            "hematocrit_recent"].value:
        basis += f"; the last result ({last_lab.value:g} %) was above 54 % and is over 12 months old"
    return ("Haematocrit", last_date, due_date, basis)
