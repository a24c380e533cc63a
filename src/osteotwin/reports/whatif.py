"""The report's what-if section: the current course beside a few alternatives, simulated.

Alternatives (each shown only where it changes something):

- the aromatase inhibitor stopped today (when one is active);
- the report's own plan followed from today (``PlanTarget``, read from the plan document): its
  resistance sessions at the intensity its safety screen allows (high only where high-intensity,
  supervised lifting is cleared, as in LIFTMOR: Watson et al., J Bone Miner Res 2018;33:211-220),
  its impact sessions where the screen allows jumping (heel drops, the "low" cap, are not counted
  as impact loading), its weight-bearing aerobic minutes, and its calcium and vitamin D targets
  (IOM 2011; the assessment's reference intakes); activity already above the plan is kept, except
  impact where the screen allows none beyond brisk walking (vertebral or multiple fractures, bone
  metastases: the plan's ``impact_cap``), which is dropped; at the "low" cap (heel drops only: age
  75 or over, falls) the impact on record is kept, read as the assessment reads it (it may be the
  heel drops the screen allows; ``RECORDED_IMPACT_DROPPED_CAPS``); calcium and vitamin D the plan
  holds (a high serum calcium, the assessment's REVIEW_SERUM_CALCIUM) stay as they are; without a
  plan, no lifestyle alternative;
- denosumab stopped when the aromatase inhibitor ends, with no bisphosphonate after, where
  6-monthly denosumab is taken with an inhibitor whose end is recorded within the horizon and no
  bisphosphonate is on record after it (``denosumab_stopped_with_inhibitor``): the rebound the
  assessment's planned follow-on prevents (Cummings et al. 2018; ECTS, Tsourdi et al. 2021), shown
  for comparison, not as an option;
- an antiresorptive, when the assessment asks to discuss one (``Illustration``: one sourced course
  from ``ILLUSTRATIVE_COURSES`` as an illustration; drug, dose and timing stay the clinician's
  choice): denosumab, not the situation's bisphosphonate, where the recorded eGFR is below that
  product's label limit (``simulate.caveats.KIDNEY_LIMITS``, the one table), and started later, not today, where
  it asks for a low calcium or vitamin D to be corrected, or a high calcium's cause found, first.

Trajectories come from ``osteotwin.simulate``; bands are the 5-95 % range of a virtual population
around the person when the simulator provides one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from osteotwin.records.drugs import bone_metastases_schedule
from osteotwin.records.patient import PatientRecord
from osteotwin.reports.figures import Curve, Figure, what_if_figure
from osteotwin.reports.sections import Unavailable, _failed
from osteotwin.simulate.averaging import (
    DAYS_PER_YEAR,
    averaged_curves,
    daily_points,
    describe_windows,
    summary_grid,
    summary_values,
    summary_windows,
    summary_years,
    widest_windows,
)
from osteotwin.simulate.caveats import KidneyLimit, below_kidney_limit, kidney_limit, recorded_egfr
from osteotwin.simulate.display import simulated_value
from osteotwin.simulate.lab_checks import cycle_range, testosterone_note
from osteotwin.simulate.scenario import AROMATASE_INHIBITORS, Intensity
from osteotwin.simulate.what_if import (
    ANTIRESORPTIVE_COURSES,
    BAND_DRAWS,
    BAND_SEED,
    Course,
    band_precision,
)
from osteotwin.units import DAYS_PER_MONTH
from osteotwin.vocabulary import drug_class

if TYPE_CHECKING:
    from osteotwin.simulate import Regimen, Scenario, Trajectory


STOP_LABEL = "aromatase inhibitor stopped today"
DENOSUMAB_STOP_LABEL = "denosumab stopped with the inhibitor, no bisphosphonate after (for comparison)"
DENOSUMAB_STOP_SOURCES = ("cummings_2018", "tsourdi_2021")
LIFESTYLE_LABEL = "bone-loading exercise, calcium and vitamin D at target"
#: The lifestyle alternative where the plan holds calcium and vitamin D (a high serum calcium).
LIFESTYLE_HELD_LABEL = "bone-loading exercise, calcium and vitamin D not raised"
BMD_SERIES = (("lumbar_spine_bmd_change_pct", "Lumbar spine BMD"),
              ("total_hip_bmd_change_pct", "Total hip BMD"),
              ("femoral_neck_bmd_change_pct", "Femoral neck BMD"))
INTENSITY_ORDER: tuple[Intensity, ...] = ("light", "moderate", "high")
#: Impact caps of the plan's screen under which its impact drills count as impact loading (jumps);
#: "low" is heel drops, "brisk_walking" no impact at all.
IMPACT_LOADING_CAPS = ("moderate", "high")
#: Impact caps under which the impact sessions on record are dropped from the "plan followed" course:
#: the caps the assessment reads the same way, where it asks for the recorded impact to be reviewed
#: (``data/clinic/rules.yaml``, ``act-supervised-exercise-current-impact``: ``impact_cap eq
#: brisk_walking``). At "low" (heel drops) the recorded sessions may be the heel drops the screen
#: allows, so neither the assessment nor this course treats them as beyond it.
RECORDED_IMPACT_DROPPED_CAPS = ("brisk_walking",)
BANDED_SERIES = ("estradiol_pg_ml", *(name for name, _ in BMD_SERIES))
#: Summarised at the table's times (shown in the report, exported by FHIR).
TABLE_SERIES = BANDED_SERIES
SOURCES: dict[str, str] = {
    "peterson_riggs_2010": "Peterson MC, Riggs MM. A physiologically based mathematical model of "
    "integrated calcium homeostasis and bone remodeling. Bone 2010;46:49-63.",
    "watson_2018_liftmor": "Watson SL, Weeks BK, Weis LJ, et al. High-intensity resistance and "
    "impact training improves bone mineral density and physical function in postmenopausal women "
    "with osteopenia and osteoporosis: the LIFTMOR randomized controlled trial. J Bone Miner Res "
    "2018;33:211-220.",
    "iom_2011": "Institute of Medicine. Dietary Reference Intakes for Calcium and Vitamin D. "
    "Washington DC: National Academies Press, 2011.",
}


#: The antiresorptive course shown when the assessment asks to discuss one, by situation
#: (``simulate.what_if.ANTIRESORPTIVE_COURSES`` key, citation id in the assessment's registry,
#: ``data/clinic/citations.yaml``): after a denosumab
#: stop, zoledronic acid 5 mg yearly (the follow-on most studied; ECTS, Tsourdi et al. 2021); on an
#: aromatase inhibitor for breast cancer, zoledronic acid 4 mg every 6 months (Z-FAST and ABCSG-12;
#: ESMO 2020); otherwise weekly alendronate 70 mg (first-line in BHOF 2022); whatever the situation,
#: where the recorded eGFR is below that course's own product limit (``simulate.caveats.KIDNEY_LIMITS``),
#: denosumab 60 mg every 6 months, which the kidneys do not clear (Prolia label).
ILLUSTRATIVE_COURSES: dict[str, tuple[str, str]] = {
    "after_denosumab": ("zoledronic_acid_5mg_yearly", "tsourdi_2021"),
    "aromatase_inhibitor": ("zoledronic_acid_4mg_6mo", "coleman_esmo_2020"),
    "other": ("alendronate_70mg_weekly", "bhof_2022"),
    "kidney_limit": ("denosumab_60mg_6mo", "prolia_label"),
}
#: The eGFR (mL/min/1.73 m²) below which denosumab can cause severe hypocalcaemia: advanced chronic
#: kidney disease (Prolia boxed warning; FDA Drug Safety Communication 2024, ``fda_prolia_2024``).
DENOSUMAB_HYPOCALCAEMIA_EGFR = 30.0
DENOSUMAB_KIDNEY_SOURCE = "fda_prolia_2024"


def kidney_note(limit: KidneyLimit, course: str) -> str:
    """Why denosumab is shown: ``course`` (the situation's bisphosphonate, in words) and its product's
    label limit, from the one table (``simulate.caveats.KIDNEY_LIMITS``), then the Prolia warning."""
    return (f"{course} is {limit.below} below a creatinine clearance of {limit.crcl_ml_min:g} mL/min "
            f"({limit.product} label; the label uses creatinine clearance, the record eGFR), so "
            f"denosumab is shown instead; below an eGFR of {DENOSUMAB_HYPOCALCAEMIA_EGFR:g} denosumab "
            "can cause severe hypocalcaemia (Prolia boxed warning, FDA 2024): only after CKD mineral "
            "and bone disorder is evaluated, with a clinician experienced in it")
#: The assessment's findings that come before an antiresorptive is started: what is done first, on
#: whose word, and the citation ids. Hypocalcaemia and vitamin D deficiency are corrected (Prolia and
#: Reclast labels; the assessment's DISCUSS_ANTIRESORPTIVE); a high calcium's cause is found (its
#: REVIEW_SERUM_CALCIUM; a low vitamin D is then corrected or not by the cause, so it is said alone).
FIRST: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "SERUM_CALCIUM_LOW": ("the low serum calcium is corrected", "Prolia and Reclast labels",
                          ("prolia_label", "reclast_label")),
    "VITAMIN_D_DEFICIENT": ("the vitamin D deficiency is corrected", "Prolia and Reclast labels",
                            ("prolia_label", "reclast_label")),
    "SERUM_CALCIUM_HIGH": ("the cause of the high serum calcium is found",
                           "the assessment's REVIEW_SERUM_CALCIUM", ()),
}
#: Days from today the illustrated course then starts: about 3 months, the assessment's recheck of
#: 25(OH)D after a dose change (CHECK_VITAMIN_D); the delay itself is osteotwin's choice, for
#: illustration only.
FIRST_DELAY_D = 91.0


@dataclass(frozen=True)
class Illustration:
    """The antiresorptive course shown: ``situation`` (an ``ILLUSTRATIVE_COURSES`` key), its start
    (days from today), the assessment's findings that come first (``FIRST`` keys) and, where kidney
    function ruled out the situation's bisphosphonate, the eGFR in words and ``replaced``, the
    situation whose course it ruled out."""

    situation: str
    start_d: float = 0.0
    first: tuple[str, ...] = ()
    kidney: str | None = None
    replaced: str | None = None

    @property
    def course(self) -> Course:
        return ANTIRESORPTIVE_COURSES[ILLUSTRATIVE_COURSES[self.situation][0]]

    @property
    def label(self) -> str:
        when = "from today" if self.start_d == 0 else f"starting in about {self._months} months"
        return f"{self.course.label} {when} (illustration)"

    @property
    def _months(self) -> str:
        return f"{self.start_d / DAYS_PER_MONTH:.0f}"

    @property
    def sources(self) -> tuple[str, ...]:
        first = (cid for code in self.first for cid in FIRST[code][2])
        limit = self._replaced_limit
        kidney = () if limit is None else (limit.citation, DENOSUMAB_KIDNEY_SOURCE)
        return tuple(dict.fromkeys((ILLUSTRATIVE_COURSES[self.situation][1], *kidney, *first)))

    @property
    def _replaced_limit(self) -> KidneyLimit | None:
        """The label limit of the course the kidney function ruled out (None: none was)."""
        if self.replaced is None:
            return None
        return kidney_limit(Illustration(self.replaced).course.regimen())

    def regimen(self) -> Regimen:
        return replace(self.course.regimen(), start_d=self.start_d)

    def caution(self) -> str:
        """What the reader is told about the course shown."""
        text = (f"The course \"{self.label}\" illustrates the assessment's advice to discuss an "
                "antiresorptive: drug, dose and timing are the clinician's choice, after calcium, "
                "kidney function and dental health are checked.")
        limit = self._replaced_limit
        if self.kidney and limit is not None and self.replaced is not None:
            course = Illustration(self.replaced).course.label
            text += f" At {self.kidney}, {kidney_note(limit, course)}."
        if self.first:
            what = " and ".join(FIRST[code][0] for code in self.first)
            basis = "; ".join(dict.fromkeys(FIRST[code][1] for code in self.first))
            text += (f" It starts in about {self._months} months, not today: the assessment asks "
                     f"that {what} before an antiresorptive is started ({basis}); the delay is an "
                     "assumption for illustration.")
        return text


@dataclass(frozen=True)
class PlanTarget:
    """What following the plan means for the simulator, per week and day, from the plan document."""

    resistance_sessions_per_week: float
    resistance_intensity: Intensity  # "moderate" or "high" (the most the program's screen allows)
    impact_sessions_per_week: float
    weight_bearing_aerobic_minutes_per_week: float
    #: food plus supplements, mg/d; None where the plan holds calcium (``held``): not raised
    calcium_total_mg_d: float | None
    #: IU/d; None where the plan sets no vitamin D minimum (``held``): not raised
    vitamin_d_iu_d: float | None
    impact_cap: str
    #: why impact is capped where it is (the plan's screen, ``Screening.impact_cap_reason``)
    impact_cap_reason: str | None = None
    #: why the plan holds calcium and vitamin D at their current intake (a high serum calcium)
    held: str | None = None

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> PlanTarget:
        """Read from ``plan --format json``: sessions from its weekly schedule, the intensity and
        impact its safety screen allows, its aerobic minutes and its nutrition targets' minimums
        (none for a nutrient the plan holds)."""
        exercise = plan["exercise"]
        screening = exercise["screening"]
        details = {t["nutrient"]: t for t in plan["nutrition"]["target_details"]}
        kinds = [day["kind"] for day in exercise["weekly_schedule"]]
        resistance = sum(1 for k in kinds if k.startswith("resistance"))
        impact = sum(1 for k in kinds if k.endswith("impact"))
        cap = str(screening["impact_cap"])

        def minimum(nutrient: str) -> float | None:
            target = details[nutrient]
            return None if target.get("held") or target["minimum"] is None else float(target["minimum"])

        held = [str(t["held"]) for t in details.values() if t.get("held")]
        return cls(
            resistance_sessions_per_week=float(resistance),
            resistance_intensity="high" if screening["high_intensity_eligible"] else "moderate",
            impact_sessions_per_week=float(impact if cap in IMPACT_LOADING_CAPS else 0),
            weight_bearing_aerobic_minutes_per_week=float(
                exercise["weekly_weight_bearing_aerobic_minutes"]),
            calcium_total_mg_d=minimum("calcium_mg"),
            vitamin_d_iu_d=minimum("vitamin_d_iu"),
            impact_cap=cap,
            impact_cap_reason=screening.get("impact_cap_reason"),
            held=held[0] if held else None,
        )

    @property
    def caps_impact(self) -> bool:
        """The screen allows no jumping (heel drops or brisk walking at most)."""
        return self.impact_cap not in IMPACT_LOADING_CAPS

    @property
    def drops_recorded_impact(self) -> bool:
        """The impact on record goes beyond what the screen allows, read as the assessment reads it
        (``RECORDED_IMPACT_DROPPED_CAPS``: brisk walking only; at "low" it may be the heel drops)."""
        return self.impact_cap in RECORDED_IMPACT_DROPPED_CAPS

    @property
    def label(self) -> str:
        """The lifestyle alternative's label."""
        return LIFESTYLE_HELD_LABEL if self.held else LIFESTYLE_LABEL

    def impact_for(self, current_sessions: float) -> float:
        """Impact sessions a week with the plan followed: the current ones kept (at least the plan's),
        none above the plan's where the screen allows no impact beyond brisk walking
        (``drops_recorded_impact``); at the "low" cap the current ones are kept, as the assessment
        keeps them."""
        if self.drops_recorded_impact:
            return self.impact_sessions_per_week
        return max(current_sessions, self.impact_sessions_per_week)

    def describe(self, current_impact_sessions: float = 0.0) -> str:
        """The alternative in words, for the report's cautions; ``current_impact_sessions`` (a week,
        on record) says what a cap took away."""
        impact = (f"{self.impact_sessions_per_week:g} impact sessions" if self.impact_sessions_per_week
                  else "no jumping impact (the plan's heel drops are not counted as impact loading)"
                  if self.impact_cap == "low" else "no impact training (the plan's safety screen)")
        if self.held:
            nutrition = (f"calcium and vitamin D as now, not raised ({self.held}: the plan holds them "
                         "until the cause is found, the assessment's REVIEW_SERUM_CALCIUM)")
        else:
            calcium = ("calcium as now" if self.calcium_total_mg_d is None
                       else f"total calcium {self.calcium_total_mg_d:.0f} mg/d")
            vitamin_d = ("vitamin D as now" if self.vitamin_d_iu_d is None
                         else f"vitamin D {self.vitamin_d_iu_d:.0f} IU/d")
            nutrition = (f"{calcium} and {vitamin_d} (the plan's targets; a low 25(OH)D may need a "
                         "larger dose for a time, the clinician's decision)")
        kept = "Activity already above the plan is kept."
        if (self.caps_impact and not self.drops_recorded_impact
                and current_impact_sessions > self.impact_sessions_per_week):
            kept = (f"Activity already above the plan is kept, the impact training on record "
                    f"({current_impact_sessions:g} a week) included: the plan's safety screen allows "
                    f"heel drops ({self.impact_cap_reason or self.impact_cap}) and the record does not "
                    "say the sessions go beyond them: they are kept, as the assessment reads them "
                    "(it asks for recorded impact to be reviewed only where the screen allows none "
                    "beyond brisk walking).")
        elif self.drops_recorded_impact and current_impact_sessions > self.impact_sessions_per_week:
            kept = (f"Activity already above the plan is kept, except impact: the impact training on "
                    f"record ({current_impact_sessions:g} a week) is dropped, as the plan's safety "
                    f"screen caps impact ({self.impact_cap_reason or self.impact_cap}).")
        return (f"The exercise alternative follows this report's plan from today: "
                f"{self.resistance_sessions_per_week:g} resistance sessions a week at "
                f"{self.resistance_intensity} intensity (the most its safety screen allows), "
                f"{impact}, {self.weight_bearing_aerobic_minutes_per_week:g} min of weight-bearing "
                f"aerobic activity a week, {nutrition}. {kept}")


@dataclass(frozen=True)
class WhatIf:
    """What the template shows: text, figures, a table (scenario rows) and the sources used."""

    intro: str
    figures: tuple[Figure, ...]
    columns: tuple[str, ...]
    tables: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]
    uncertainty: str
    sources: tuple[str, ...]
    cautions: tuple[str, ...] = ()


Bands = dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class SimulatedCourse:
    """One course as the report shows it.

    ``trajectory``: daily, hormones as 28-day averages (the curves), with ``bands`` (5-95 % per
    series; None: no band). ``table``: each series at ``averaging.summary_years`` of the horizon,
    hormones as the mean over a whole dosing cycle before (``averaging.summary_value`` over
    ``table_windows_d`` days, ``averaging.summary_windows`` of the course, as the web what-if and
    ``osteotwin simulate`` give them), with ``table_bands`` over each virtual person's own values;
    ``table_years`` the times of the table's columns (years)."""

    trajectory: Trajectory
    bands: Bands | None
    table: dict[str, Any]
    table_bands: Bands | None
    table_years: tuple[float, ...]
    #: the model's total testosterone over its first dosing cycles (``lab_checks.cycle_range``)
    testosterone_cycle_ng_dl: tuple[float, float] | None = None
    #: the days each table time's hormone levels are averaged over (``averaging.summary_windows``)
    table_windows_d: tuple[float, ...] = ()


#: Courses of one person → each simulated.
Simulator = Callable[[Sequence["Scenario"]], list[SimulatedCourse]]


def illustration(record: PatientRecord, as_of: dt.date) -> Illustration | None:
    """The course to show for ``record`` (``Illustration``), or None when its assessment asks to
    discuss no antiresorptive: by situation, denosumab where the recorded eGFR is below the label
    limit of the situation's own bisphosphonate product (``caveats.below_kidney_limit``: Zometa's 30
    for zoledronic acid 4 mg, Reclast's 35 for 5 mg, Fosamax's 35 for alendronate; the same test
    as the report's label-limit cautions, so no illustrated course carries one), started
    ``FIRST_DELAY_D`` days on where it asks for something to be done first (``FIRST``), or where
    denosumab is shown below an eGFR of 30 (CKD mineral and bone disorder evaluated first)."""
    from osteotwin.clinic import assess

    assessment = assess(record, as_of)
    actions, findings = set(assessment.action_codes()), set(assessment.finding_codes())
    if "DISCUSS_DENOSUMAB_TRANSITION" in actions:
        situation = "after_denosumab"
    elif "DISCUSS_ANTIRESORPTIVE" in actions:
        situation = "aromatase_inhibitor" if assessment.facts["ai_for_breast_cancer"].value else "other"
    else:
        return None
    kidney = replaced = None
    egfr = recorded_egfr(record, as_of)
    if below_kidney_limit(Illustration(situation).course.regimen(), egfr) is not None:
        situation, replaced, kidney = "kidney_limit", situation, _egfr_words(record, as_of)
    first = (("SERUM_CALCIUM_HIGH",) if "SERUM_CALCIUM_HIGH" in findings
             else tuple(code for code in FIRST if code in findings))
    # denosumab below an eGFR of 30: only after CKD mineral and bone disorder is evaluated (its
    # note says so), so not from today either
    ckd_first = situation == "kidney_limit" and egfr is not None \
        and egfr.value < DENOSUMAB_HYPOCALCAEMIA_EGFR
    start = FIRST_DELAY_D if first or ckd_first else 0.0
    return Illustration(situation, start, first, kidney, replaced)


def illustrative_course(record: PatientRecord, as_of: dt.date) -> str | None:
    """The ``ILLUSTRATIVE_COURSES`` key shown for ``record`` (``illustration``), or None."""
    shown = illustration(record, as_of)
    return None if shown is None else shown.situation


def _egfr_words(record: PatientRecord, as_of: dt.date) -> str:
    egfr = recorded_egfr(record, as_of)
    return "the eGFR on file" if egfr is None else \
        f"eGFR {egfr.value:g} mL/min/1.73 m² ({egfr.date.isoformat()})"


def denosumab_stopped_with_inhibitor(base: Scenario) -> Scenario | None:
    """``base`` with its 6-monthly denosumab stopped on the day its aromatase inhibitor's recorded
    end falls (days from today, within the horizon; the last of them where several end), when no
    inhibitor goes on after it and no bisphosphonate is on record from then on; None otherwise."""
    ais = [r for r in base.regimens if r.drug in AROMATASE_INHIBITORS and r.start_d < base.horizon_d]
    if not ais or any(r.stop_d is None for r in ais):
        return None
    end = max(r.stop_d for r in ais if r.stop_d is not None)
    if not 0.0 < end < base.horizon_d:
        return None
    denosumab = [r for r in base.regimens if r.drug == "denosumab" and r.start_d < end
                 and (r.stop_d is None or r.stop_d > end)]
    # the bone-metastases schedule (Xgeva), whose stop the transition guidance does not cover: the
    # assessment's rule (ONCOLOGY_DOSE_ANTIRESORPTIVE), one reading
    if not denosumab or any(r.every_d is None or bone_metastases_schedule(r.drug, r.dose_mg, r.every_d)
                            for r in denosumab):
        return None
    if any(drug_class(r.drug) == "bisphosphonate" and (r.stop_d is None or r.stop_d > end)
           for r in base.regimens):
        return None
    stopped = tuple(replace(r, stop_d=end) if r in denosumab else r for r in base.regimens)
    return base.with_regimens(stopped, DENOSUMAB_STOP_LABEL)


def alternatives(base: Scenario, antiresorptive: str | Illustration | None = None,
                 plan: PlanTarget | None = None) -> list[Scenario]:
    """The current course and the alternatives that differ from it: the inhibitor stopped, denosumab
    stopped with it (``denosumab_stopped_with_inhibitor``), the ``plan`` followed from today (when
    given), the ``antiresorptive`` course added (when given: an ``Illustration``, or an
    ``ILLUSTRATIVE_COURSES`` key for its course from today)."""
    out = [base]
    if any(r.drug in AROMATASE_INHIBITORS and (r.stop_d is None or r.stop_d > 0)
           for r in base.regimens):
        kept = []
        for r in base.regimens:
            if r.drug not in AROMATASE_INHIBITORS or (r.stop_d is not None and r.stop_d <= 0):
                kept.append(r)
            elif r.start_d < 0:
                kept.append(replace(r, stop_d=0.0))
        out.append(base.with_regimens(tuple(kept), STOP_LABEL))
    denosumab_stop = denosumab_stopped_with_inhibitor(base)
    if denosumab_stop is not None:
        out.append(denosumab_stop)
    if plan is not None:
        life = base.lifestyle_from_t0 or base.subject.lifestyle
        calcium_total = life.dietary_calcium_mg_d + life.supplemental_calcium_mg_d
        trained = life.resistance_sessions_per_week > 0
        intensity = max(plan.resistance_intensity, life.resistance_intensity if trained else "light",
                        key=INTENSITY_ORDER.index)
        target = replace(
            life,
            resistance_sessions_per_week=max(life.resistance_sessions_per_week,
                                             plan.resistance_sessions_per_week),
            resistance_intensity=intensity,
            impact_sessions_per_week=plan.impact_for(life.impact_sessions_per_week),
            weight_bearing_aerobic_minutes_per_week=max(
                life.weight_bearing_aerobic_minutes_per_week,
                plan.weight_bearing_aerobic_minutes_per_week),
            supplemental_calcium_mg_d=life.supplemental_calcium_mg_d if plan.calcium_total_mg_d is None
            else life.supplemental_calcium_mg_d + max(0.0, plan.calcium_total_mg_d - calcium_total),
            vitamin_d_iu_d=life.vitamin_d_iu_d if plan.vitamin_d_iu_d is None
            else max(life.vitamin_d_iu_d, plan.vitamin_d_iu_d),
        )
        if target != life:  # lived from today on: the person's past (and equilibrium) is their own
            out.append(replace(base, lifestyle_from_t0=target, label=plan.label))
    if antiresorptive is not None:
        shown = Illustration(antiresorptive) if isinstance(antiresorptive, str) else antiresorptive
        out.append(base.with_regimens((*base.regimens, shown.regimen()), shown.label))
    return out


def on_daily_grid(trajectory: Trajectory, daily: Any) -> Trajectory:
    """The trajectory at the whole days ``daily`` (indices into its times) with its hormone series
    replaced by their averages over the dosing cycle (``simulate.averaging.averaged_curves``)."""
    series = averaged_curves({name: values[daily] for name, values in trajectory.series.items()})
    return replace(trajectory, times_d=trajectory.times_d[daily], series=series)


def default_simulator(band_draws: int = BAND_DRAWS) -> Simulator:
    """The courses simulated with the fitted parameters, and 5-95 % bands over ``band_draws``
    virtual people drawn around them (``physiology.parameters.band_parameter_sets``: a Latin
    hypercube, fixed seed); each person's courses share their past (``simulate_alike``). The
    output grid is daily plus evenly spaced points over the dosing cycle before each table time
    (``averaging.summary_grid`` over the courses' ``averaging.widest_windows``); each course's
    hormone levels in the table are means over its own cycle (``averaging.summary_windows``).

    Bands are left out when fewer than half of the draws solve (no misleading band)."""
    import importlib

    simulate_alike: Callable[..., list[Trajectory]] = importlib.import_module(
        "osteotwin.simulate.single").simulate_alike
    bands = importlib.import_module("osteotwin.simulate.bands")
    parameters = importlib.import_module("osteotwin.physiology.parameters")
    draws = parameters.band_parameter_sets(band_draws, BAND_SEED)

    def run(scenarios: Sequence[Scenario]) -> list[SimulatedCourse]:
        years = scenarios[0].years
        table_years = tuple(summary_years(years))
        table_d = [y * DAYS_PER_YEAR for y in table_years]
        times = summary_grid(years, table_years, 1.0, windows_d=widest_windows(
            [s.regimens for s in scenarios], table_d))
        daily = daily_points(times)
        centrals = simulate_alike(scenarios, times_d=times)
        courses = []
        for scenario, central, course_runs in zip(
                scenarios, centrals, bands.draw_runs(scenarios, draws, times), strict=True):
            windows = summary_windows(scenario.regimens, table_d)
            courses.append(SimulatedCourse(
                on_daily_grid(central, daily),
                bands.percentile_bands([on_daily_grid(t, daily).series for t in course_runs],
                                       BANDED_SERIES, len(draws)),
                summary_values(times, central.series, table_d, TABLE_SERIES, windows),
                bands.summary_bands(times, [t.series for t in course_runs], table_d, TABLE_SERIES,
                                    len(draws), windows),
                table_years, cycle_range(central, scenarios[0].regimens), windows))
        return courses

    return run


def what_if_section(record: PatientRecord, as_of: dt.date, *, years: float = 5.0,
                    simulator: Simulator | None = None,
                    plan: Mapping[str, Any] | None = None) -> WhatIf | Unavailable:
    """Simulate the current course and alternatives over ``years`` from ``as_of``; ``plan`` is the
    report's plan document (``plan --format json``), whose program and targets the lifestyle
    alternative follows (none without it)."""
    try:
        from osteotwin.simulate import Scenario

        run = simulator or default_simulator()
    except ImportError:
        return Unavailable("What-if simulations are not available yet in this version of "
                           "osteotwin.")
    try:
        base = Scenario.from_record(record.model_copy(update={"as_of": as_of}), years=years)
        course = illustration(record, as_of)
        target = PlanTarget.from_plan(plan) if plan is not None else None
        scenarios = alternatives(base, course, target)
        results = list(zip((s.label for s in scenarios), run(scenarios), strict=True))
        cautions = _cautions(record, as_of, scenarios, target)
        if base.assumptions:
            cautions.insert(0, "Assumed where the record is silent: "
                            + "; ".join(base.assumptions) + ".")
        if course is not None:
            cautions.insert(0, course.caution())
        from osteotwin.simulate.single import unmatched_estradiol_note

        current = results[0][1]
        unmatched = unmatched_estradiol_note(current.trajectory.meta)
        testosterone = testosterone_note(record, as_of, base.regimens,
                                         current.testosterone_cycle_ng_dl,
                                         bool(current.trajectory.meta.get("estradiol_match")))
        view = _view(results, years)
        if course is not None:
            view = replace(view, sources=(*view.sources, *course.sources))
        if any(s.label == DENOSUMAB_STOP_LABEL for s in scenarios):
            view = replace(view, sources=tuple(dict.fromkeys(
                (*view.sources, *DENOSUMAB_STOP_SOURCES))))
        lab_notes = [note for note in (unmatched, testosterone) if note]
        return replace(view, cautions=(*lab_notes, *cautions))
    except Exception as exc:  # one failed section must not lose the whole report
        return _failed("what-if simulation", exc)


def _cautions(record: PatientRecord, as_of: dt.date, scenarios: Sequence[Scenario],
              plan: PlanTarget | None = None) -> list[str]:
    """What a reader must keep in mind about the alternatives shown for this person."""
    out = []
    if any(s.label == STOP_LABEL for s in scenarios):
        if record.history.breast_cancer:
            out.append("The aromatase inhibitor treats breast cancer: stopping or changing it is an "
                       "oncology decision. This scenario shows the bone side only, not the cancer "
                       "risk.")
        else:
            out.append("Stopping the aromatase inhibitor is shown for comparison; whether it is "
                       "needed is a clinical decision (see the assessment).")
    if any(s.label == DENOSUMAB_STOP_LABEL for s in scenarios):
        out.append("Denosumab stopped when the aromatase inhibitor ends, with no bisphosphonate "
                   "after, is shown for comparison, not as an option: once the last injection wears "
                   "off, bone turnover rebounds, the density gained is lost within about a year and "
                   "multiple vertebral fractures can follow (Cummings et al. 2018); a bisphosphonate "
                   "after the last injection is advised (ECTS, Tsourdi et al. 2021; see the "
                   "assessment).")
    if plan is not None and any(s.label == plan.label for s in scenarios):
        life = scenarios[0].lifestyle_from_t0 or scenarios[0].subject.lifestyle
        out.append(plan.describe(life.impact_sessions_per_week)
                   + " See the plan's safety notes for screening and supervision.")
    elif plan is None:
        out.append("No exercise and nutrition alternative is shown: the plan could not be made "
                   "for this report.")
    from osteotwin.simulate.caveats import caveats_by_course, model_caveats, recorded_egfr

    egfr = recorded_egfr(record, as_of)
    grouped = caveats_by_course((s.label, model_caveats(s, egfr)) for s in scenarios)
    out.extend(f"{'Known model departure' if caveat.departure else 'Label limit'} "
               f"({', '.join(labels)}): {caveat.message} Source: {caveat.source}."
               for caveat, labels in grouped)
    return out


def _curve(label: str, trajectory: Trajectory, name: str,
           bands: dict[str, tuple[Any, Any]] | None) -> Curve:
    years = np.asarray(trajectory.times_d, dtype=float) / DAYS_PER_YEAR
    band = None
    if bands is not None and name in bands:
        band = (list(map(float, bands[name][0])), list(map(float, bands[name][1])))
    return Curve(label, list(map(float, years)), list(map(float, trajectory.series[name])), band)


def _view(results: Sequence[tuple[str, SimulatedCourse]], years: float) -> WhatIf:
    """Curves (hormones as 28-day averages) and the table (hormones as means over a whole dosing
    cycle before each time, the window said in ``uncertainty``)."""
    series = [("estradiol_pg_ml", "Estradiol (28-day average)", "Estradiol (mean over the dosing "
               "cycle before)", "pg/mL"),
              *((name, label, label, "% change") for name, label in BMD_SERIES)]
    panels = [(label, unit, [_curve(lbl, course.trajectory, name, course.bands)
                             for lbl, course in results])
              for name, label, _, unit in series]
    banded = any(course.bands for _, course in results)
    figure = what_if_figure(panels, title="Estradiol and bone density: current course and "
                            "alternatives", caption=f"Simulated over {years:g} years from the "
                            "report date; lines are the model's prediction for this person"
                            + (", shaded bands the 5-95 % range of a virtual population"
                               if banded else "") + ".")
    horizons = results[0][1].table_years
    tables = []
    for name, _, label, unit in series:
        rows = []
        for scenario, course in results:
            cells = []
            for i in range(len(horizons)):
                value = float(course.table[name][i])
                text = f"{simulated_value(name, value)} {'pg/mL' if unit == 'pg/mL' else '%'}"
                if course.table_bands is not None and name in course.table_bands:
                    low, high = (float(course.table_bands[name][k][i]) for k in (0, 1))
                    text += f" ({simulated_value(name, low)} to {simulated_value(name, high)})"
                cells.append(text)
            rows.append((scenario, tuple(cells)))
        tables.append((f"{label} ({unit})", tuple(rows)))
    return WhatIf(
        intro="The mechanistic model (calcium homeostasis and bone remodelling after Peterson & "
        "Riggs, extended with aromatase inhibition, testosterone and mechanical loading) was run "
        "for this person's current course and for alternatives a clinician might discuss. These "
        "are model predictions, not promises: they show direction and rough size.",
        figures=(figure,),
        columns=tuple(f"at {h:g} y" for h in horizons),
        tables=tuple(tables),
        uncertainty=_windows_note(results) + " Uncertainty: individual responses vary widely; "
        "parameter sources and the model's validation against published trials are documented in "
        "docs/model.md."
        + (f" Ranges in brackets are the 5-95 % range over {BAND_DRAWS} virtual people drawn "
           "around the model's parameters (parameter uncertainty only). "
           + band_precision(BAND_DRAWS, how_to_widen="osteotwin simulate with --draws 100")
           if banded else " No population band could be computed for "
           "this report, so no interval is shown; treat single values as central estimates."),
        sources=("peterson_riggs_2010", "watson_2018_liftmor", "iom_2011"),
    )


def _windows_note(results: Sequence[tuple[str, SimulatedCourse]]) -> str:
    """The sentence that says the days the table's estradiol is averaged over, course by course
    (``averaging.describe_windows``); courses simulated without windows on record count a week."""
    horizons = results[0][1].table_years
    return describe_windows([(label, course.table_windows_d or summary_windows((), [
        h * DAYS_PER_YEAR for h in horizons])) for label, course in results], horizons)
