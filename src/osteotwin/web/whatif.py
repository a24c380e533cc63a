"""What-if requests: change the aromatase inhibitor, training or calcium/vitamin D and compare with
the current course over 1-5 years (predicted estradiol and BMD change per site, with bands).

Bounds on the request are plausibility limits for the form, not advice: AI doses up to the dose
limits of ``osteotwin.records.drugs``, calcium supplements up to 2500 mg/d and vitamin D up to
10,000 IU/d (IOM 2011 upper limits), up to 7 training sessions a week.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord
from osteotwin.simulate import averaging, lab_checks
from osteotwin.simulate.what_if import (
    ANTIRESORPTIVE_COURSES,
    BAND_DRAWS,
    BAND_SEED,
    MIN_BAND_DRAWS,
    band_precision,
)
from osteotwin.web import services
from osteotwin.web.forms import AmbiguousNumber, number_problem, parse_decimal
from osteotwin.web.forms import message as _message  # every form words its errors alike
from osteotwin.web.services import Unavailable, jsonable

AI_DRUGS: tuple[str, ...] = ("anastrozole", "letrozole", "exemestane")
SERIES_LABELS: dict[str, str] = {
    "estradiol_pg_ml": "Estradiol (pg/mL)",
    "total_testosterone_ng_dl": "Total testosterone (ng/dL)",
    "free_testosterone_pg_ml": "Free testosterone, calculated (pg/mL)",
    "lumbar_spine_bmd_change_pct": "Lumbar spine BMD change (%)",
    "total_hip_bmd_change_pct": "Total hip BMD change (%)",
    "femoral_neck_bmd_change_pct": "Femoral neck BMD change (%)",
}
SHOWN_SERIES: tuple[str, ...] = ("estradiol_pg_ml", "total_testosterone_ng_dl",
                                 "free_testosterone_pg_ml", "lumbar_spine_bmd_change_pct",
                                 "total_hip_bmd_change_pct", "femoral_neck_bmd_change_pct")


class AromataseInhibitorChange(BaseModel):
    """The AI regimen to compare: a drug with dose and interval, or ``none`` to stop it."""

    model_config = ConfigDict(extra="forbid")

    drug: Literal["none", "anastrozole", "letrozole", "exemestane"]
    dose_mg: float | None = Field(None, gt=0, le=25, description="mass per dose (mg)")
    every_d: float | None = Field(None, gt=0, le=30, description="dosing interval (days)")


AntiresorptiveCourse = Literal["zoledronic_acid_4mg_6mo", "zoledronic_acid_5mg_yearly",
                              "alendronate_70mg_weekly", "denosumab_60mg_6mo"]


class WhatIfRequest(BaseModel):
    """Changes to compare with the current course; fields left out keep the current value."""

    model_config = ConfigDict(extra="forbid")

    years: float = Field(5.0, ge=1, le=5, description="horizon in years (1-5)")
    aromatase_inhibitor: AromataseInhibitorChange | None = None
    resistance_sessions_per_week: float | None = Field(None, ge=0, le=7)
    resistance_intensity: Literal["light", "moderate", "high"] | None = None
    impact_sessions_per_week: float | None = Field(None, ge=0, le=7)
    supplemental_calcium_mg_d: float | None = Field(None, ge=0, le=2500)
    vitamin_d_iu_d: float | None = Field(None, ge=0, le=10000)
    antiresorptive: AntiresorptiveCourse | None = Field(None, description=(
        "an antiresorptive course added from today (simulate.what_if.ANTIRESORPTIVE_COURSES)"))
    label: str | None = Field(None, max_length=80)
    band_draws: int = Field(BAND_DRAWS, ge=0, le=100, description=(
        f"virtual people drawn around the fitted parameters for the 5-95 % bands (0: no bands; else "
        f"at least {MIN_BAND_DRAWS})"))

    @field_validator("band_draws")
    @classmethod
    def _a_band_needs_draws(cls, value: int) -> int:
        if 0 < value < MIN_BAND_DRAWS:
            raise ValueError(f"0 (no bands) or {MIN_BAND_DRAWS} to 100 draws: fewer make no 5-95 % band")
        return value

    def describe(self) -> str:
        """A short label for the alternative course."""
        if self.label:
            return self.label
        parts: list[str] = []
        ai = self.aromatase_inhibitor
        if ai is not None:
            parts.append("stop AI" if ai.drug == "none" else
                         f"{ai.drug} {ai.dose_mg:g} mg every {ai.every_d:g} d")
        if self.resistance_sessions_per_week is not None:
            parts.append(f"resistance {self.resistance_sessions_per_week:g}/wk"
                         + (f" ({self.resistance_intensity})" if self.resistance_intensity else ""))
        elif self.resistance_intensity is not None:
            parts.append(f"resistance intensity {self.resistance_intensity}")
        if self.impact_sessions_per_week is not None:
            parts.append(f"impact {self.impact_sessions_per_week:g}/wk")
        if self.supplemental_calcium_mg_d is not None:
            parts.append(f"calcium {self.supplemental_calcium_mg_d:g} mg/d")
        if self.vitamin_d_iu_d is not None:
            parts.append(f"vitamin D {self.vitamin_d_iu_d:g} IU/d")
        if self.antiresorptive is not None:
            parts.append(f"+ {ANTIRESORPTIVE_COURSES[self.antiresorptive].label}")
        return ", ".join(parts) or "unchanged"

    def changes_anything(self) -> bool:
        """Whether the request changes the course at all (the horizon and bands are no change)."""
        return any(getattr(self, key) is not None for key in CHANGE_FIELDS)


#: The request fields that change the course (all of them blank: the current course again).
CHANGE_FIELDS: tuple[str, ...] = (
    "aromatase_inhibitor", "resistance_sessions_per_week", "resistance_intensity",
    "impact_sessions_per_week", "supplemental_calcium_mg_d", "vitamin_d_iu_d", "antiresorptive")


# --------------------------------------------------------------------------------------------------
# The what-if form
# --------------------------------------------------------------------------------------------------

#: The what-if form's inputs: name -> (label, unit of the accepted range, request field).
FORM_INPUTS: dict[str, tuple[str, str, tuple[type[BaseModel], str] | None]] = {
    "ai_drug": ("Aromatase inhibitor regimen", "", None),
    "ai_dose_mg": ("AI dose (mg per dose)", "mg per dose", (AromataseInhibitorChange, "dose_mg")),
    "ai_every_d": ("AI dosing interval (days)", "days", (AromataseInhibitorChange, "every_d")),
    "antiresorptive": ("Antiresorptive course", "", None),
    "resistance_sessions_per_week": ("Resistance sessions per week", "sessions per week",
                                     (WhatIfRequest, "resistance_sessions_per_week")),
    "resistance_intensity": ("Resistance intensity", "", None),
    "impact_sessions_per_week": ("Impact sessions per week", "sessions per week",
                                 (WhatIfRequest, "impact_sessions_per_week")),
    "supplemental_calcium_mg_d": ("Calcium supplement (mg/d elemental)", "mg/d",
                                  (WhatIfRequest, "supplemental_calcium_mg_d")),
    "vitamin_d_iu_d": ("Vitamin D3 (IU/d)", "IU/d", (WhatIfRequest, "vitamin_d_iu_d")),
    "years": ("Horizon (years)", "years", (WhatIfRequest, "years")),
}
FORM_LABELS: dict[str, str] = {name: label for name, (label, _, _) in FORM_INPUTS.items()}
FORM_LABELS["form"] = "What-if"

#: Field names in validation errors (request, AI change, simulator) -> the form input.
_ERROR_TO_INPUT = {"aromatase_inhibitor": "ai_drug", "drug": "ai_drug", "dose_mg": "ai_dose_mg",
                   "dose": "ai_dose_mg", "every_d": "ai_every_d", "every": "ai_every_d"}
_CHOICES = {
    "ai_drug": "keep current, stop (none), " + ", ".join(AI_DRUGS),
    "antiresorptive": "none, " + ", ".join(ANTIRESORPTIVE_COURSES),
    "resistance_intensity": "keep, light, moderate, high",
}


class WhatIfFormError(Exception):
    """The what-if form cannot be run: ``errors`` maps form input names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{FORM_LABELS.get(k, k)}: {v}" for k, v in errors.items()))
        self.errors = errors


def accepted_range(name: str) -> str:
    """What a numeric form input accepts, from the request model's bounds (``0 to 10000 IU/d``)."""
    _, unit, target = FORM_INPUTS[name]
    if target is None:
        return _CHOICES.get(name, "")
    model, field = target
    low = high = None
    strict = False
    for bound in model.model_fields[field].metadata:
        if hasattr(bound, "ge"):
            low = bound.ge
        elif hasattr(bound, "gt"):
            low, strict = bound.gt, True
        elif hasattr(bound, "le"):
            high = bound.le
    if low is None or high is None:
        return f"a number ({unit})"
    lower = f"more than {low:g}, up" if strict else f"{low:g} up"
    return f"{lower} to {high:g} {unit}".strip()


def input_of(field: str) -> str:
    """The form input an error's field belongs to (``aromatase_inhibitor.dose_mg`` -> ``ai_dose_mg``)."""
    parts = [part.split("[")[0] for part in str(field).split(".") if part]
    for part in reversed(parts):
        name = _ERROR_TO_INPUT.get(part, part)
        if name in FORM_INPUTS:
            return name
    return "form"


def form_errors_of(error: UserInputError) -> dict[str, str]:
    """``{input: message}`` for a user error from the request or the simulator."""
    return {input_of(error.field): _message(error.problem, error.value, str(error.accepted))}


def _validation_errors(exc: ValidationError, typed: Mapping[str, str]) -> dict[str, str]:
    """``{input: message}`` for the request model's errors, each showing the value as typed."""
    errors: dict[str, str] = {}
    for item in exc.errors():
        name = input_of(".".join(str(part) for part in item.get("loc", ())))
        kind = str(item.get("type", ""))
        accepted = accepted_range(name) if name in FORM_INPUTS else ""
        if kind in ("less_than_equal", "less_than"):
            problem = "too high"
        elif kind in ("greater_than_equal", "greater_than"):
            problem = "too low"
        elif kind == "literal_error":
            problem = "not one of the choices"
        else:
            problem = str(item.get("msg", "invalid value"))
        value = typed.get(name) or item.get("input")
        shown = value if isinstance(value, str | int | float) else None
        errors.setdefault(name, _message(problem, shown, accepted or str(item.get("msg", ""))))
    return errors


def request_from_form(form: Mapping[str, Any]) -> WhatIfRequest:
    """The what-if form as a request; ``WhatIfFormError`` names every input that is wrong, and a
    form that changes nothing is refused (it would only repeat the current course)."""
    errors: dict[str, str] = {}

    def text(key: str) -> str:
        value = form.get(key)
        return value.strip() if isinstance(value, str) else ""

    def number(key: str) -> float | None:
        raw = text(key)
        if not raw:
            return None
        try:
            value = parse_decimal(raw)
        except AmbiguousNumber as exc:
            errors[key] = _message(number_problem(exc), raw,
                                   f"{accepted_range(key)}, written without thousands separators")
            return None
        except ValueError as exc:
            errors[key] = _message(number_problem(exc), raw, accepted_range(key))
            return None
        if not math.isfinite(value):
            errors[key] = _message("not a finite number", raw, accepted_range(key))
            return None
        return value

    drug = text("ai_drug") or "keep"
    ai: dict[str, Any] | None = None
    if drug in ("keep", "none"):  # a dose typed beside "keep" or "stop" would be dropped unseen
        for what in ("ai_dose_mg", "ai_every_d"):
            if text(what):
                errors[what] = _message(
                    f"a dose or interval with the regimen on {'keep current' if drug == 'keep' else 'stop'}",
                    text(what), "blank, or choose the inhibitor this dose is for under Regimen")
    if drug != "keep":
        ai = {"drug": drug}
        if drug != "none":
            ai.update(dose_mg=number("ai_dose_mg"), every_d=number("ai_every_d"))
            if drug in AI_DRUGS:
                for key, what in (("dose_mg", "ai_dose_mg"), ("every_d", "ai_every_d")):
                    if ai[key] is None and what not in errors:
                        errors[what] = _message(f"missing: {drug} needs a dose and an interval",
                                                None, accepted_range(what))
    years = number("years")
    fields = {"years": 5.0 if years is None else years, "aromatase_inhibitor": ai,
              "antiresorptive": text("antiresorptive") or None,
              "resistance_sessions_per_week": number("resistance_sessions_per_week"),
              "resistance_intensity": text("resistance_intensity") or None,
              "impact_sessions_per_week": number("impact_sessions_per_week"),
              "supplemental_calcium_mg_d": number("supplemental_calcium_mg_d"),
              "vitamin_d_iu_d": number("vitamin_d_iu_d")}
    try:
        request = WhatIfRequest.model_validate(fields)
    except ValidationError as exc:
        typed = {key: text(key) for key in FORM_INPUTS}
        raise WhatIfFormError({**_validation_errors(exc, typed), **errors}) from None
    if errors:
        raise WhatIfFormError(errors)
    if not request.changes_anything():
        raise WhatIfFormError({"form": (
            "Nothing to compare: every change was left blank or on keep, so the alternative would "
            "repeat the current course. Accepted: at least one change (aromatase inhibitor, "
            "antiresorptive, training, calcium or vitamin D).")})
    return request


def _simulation_api() -> Any:
    try:
        module = importlib.import_module("osteotwin.simulate")
        module.simulate  # noqa: B018 - the lazy attribute imports the solver
    except (ImportError, AttributeError) as exc:
        raise Unavailable("what-if", "the simulator is not available yet in this version") from exc
    return module


#: Raised whenever what a what-if computes changes other than through the parameter set (which
#: ``model_version`` digests): 2 = lifestyle changes lived from t = 0, not through the whole
#: simulated history (before, the person was equilibrated on them and they showed no effect);
#: 3 = a note when the on-treatment estradiol could not be reproduced, the last scan carried to
#: t = 0 for T-scores; 4 = the denosumab-stop caveat also for a stop in the 3 years before t = 0,
#: with the published comparison; 5 = the caveat for an inhibitor with working ovaries, the
#: antiresorptive course note; 6 = a history with scans before a matched estradiol continues the
#: match's run (outputs move within the solver tolerance); 7 = a daily grid: hormone curves as
#: 28-day averages, a table of week-before means with bands (``simulate.averaging``); 8 = the
#: curves' 28-day averages trailing (a change shows from its own day on, not 14 days early) and
#: over whole days (the table windows' finer points had made a week of them look like 28 days);
#: 9 = the table also at a horizon that is not 1, 2 or 5 years (``averaging.summary_years``);
#: 10 = the caveat for the recovery after an aromatase inhibitor is stopped; 11 = a woman's
#: menopausal timing from her status or age, the record's assumptions listed, long horizons'
#: caveat; 12 = men's PA-spine drift no longer steepening beyond 81 y; 13 = the typical values
#: standing in for what the record lacks are listed with the assumptions, and a T-score only
#: where the scan's is known (reported, or computed as the assessment does); an estradiol matched
#: only by an implausible production is flagged; 14 = training the person's plan holds back is
#: named (``safety``), and a measured testosterone the model does not reproduce
#: (``testosterone_note``); 15 = the caveat for a bone-metastases antiresorptive schedule; 16 = the
#: caveat for an antiresorptive course beyond 2 years; 17 = the table's hormone levels averaged over
#: each course's whole dosing cycle (at least a week; ``averaging.summary_windows``), not a week;
#: 18 = a bisphosphonate's label limit below the recorded eGFR, the tamoxifen-before-menopause
#: caveat, the bands' precision said.
WHAT_IF_REVISION = 18


def model_version() -> str:
    """Version tag of the simulator for the cache key: the package version, ``WHAT_IF_REVISION``
    and a digest of the parameter set in use (a re-fitted set must not serve cached results)."""
    import hashlib

    import osteotwin

    tag = f"{osteotwin.__version__}+w{WHAT_IF_REVISION}"
    try:
        parameters = importlib.import_module("osteotwin.physiology.parameters")
    except ImportError:
        return tag
    values = parameters.current_parameters().values
    return f"{tag}+p{hashlib.sha256(values.tobytes()).hexdigest()[:16]}"


def alternative_scenario(base: Any, request: WhatIfRequest) -> Any:
    """The current-course scenario with the request's changes applied from t = 0."""
    sim = _simulation_api()
    regimens = list(base.regimens)
    ai = request.aromatase_inhibitor
    if ai is not None:
        if ai.drug != "none" and (ai.dose_mg is None or ai.every_d is None):
            raise UserInputError("aromatase_inhibitor.dose_mg", ai.dose_mg,
                                 "a dose (mg) and an interval (days) for the new AI regimen",
                                 problem="missing dose or interval")
        kept = []
        for regimen in regimens:
            ongoing = regimen.stop_d is None or regimen.stop_d > 0
            if regimen.drug in AI_DRUGS and ongoing:
                if regimen.start_d < 0:
                    kept.append(dataclasses.replace(regimen, stop_d=0.0))
                continue
            kept.append(regimen)
        regimens = kept
        if ai.drug != "none":
            regimens.append(sim.Regimen(drug=ai.drug, dose_mg=ai.dose_mg, route="oral",
                                        every_d=ai.every_d, start_d=0.0))
    changes = {key: getattr(request, key) for key in (
        "resistance_sessions_per_week", "resistance_intensity", "impact_sessions_per_week",
        "supplemental_calcium_mg_d", "vitamin_d_iu_d") if getattr(request, key) is not None}
    lifestyle = base.lifestyle_from_t0
    if changes:  # lived from t = 0 on: the person before it (and their equilibrium) is unchanged
        lifestyle = dataclasses.replace(lifestyle or base.subject.lifestyle, **changes)
    if request.antiresorptive is not None:
        regimens.append(ANTIRESORPTIVE_COURSES[request.antiresorptive].regimen())
    scenario = dataclasses.replace(base, regimens=tuple(regimens), label=request.describe(),
                                   lifestyle_from_t0=lifestyle)
    scenario.validate()
    return scenario


def run_what_if(record: PatientRecord, request: WhatIfRequest) -> dict[str, Any]:
    """Simulate the current course and the alternative on a daily grid, 5-95 % bands from
    parameter draws. Curves are shown monthly with hormones averaged over the dosing cycle; the
    table's hormone levels are means over each course's whole dosing cycle before each time
    (``simulate.averaging.summary_windows``, at least a week; ``windows_d`` in the table, said in
    ``windows_note``), so neither depends on where a day falls between injections."""
    sim = _simulation_api()
    base = sim.Scenario.from_record(record, years=request.years)
    alternative = alternative_scenario(base, request)
    table_years = averaging.summary_years(request.years)
    table_d = [y * averaging.DAYS_PER_YEAR for y in table_years]
    courses = (base, alternative)
    # daily, with each table time's dosing cycle before on its own evenly spaced points
    times = averaging.summary_grid(request.years, table_years, 1.0, windows_d=averaging.widest_windows(
        [s.regimens for s in courses], table_d))
    daily = averaging.daily_points(times)  # the curves' 28-day means count days, not points
    monthly = _monthly_indices(times[daily], request.years)
    draws = _parameter_draws(request.band_draws)
    caveats = importlib.import_module("osteotwin.simulate.caveats")
    egfr = caveats.recorded_egfr(record, record.as_of or dt.date.today())  # bisphosphonate label limits
    per_course = [(s.label, caveats.model_caveats(s, egfr)) for s in courses]
    trajectories = _sim_single().simulate_alike(courses, times_d=times)
    runs = [[t.series for t in course_runs] for course_runs in importlib.import_module(
        "osteotwin.simulate.bands").draw_runs(courses, draws, times)]
    shown = []
    for scenario, trajectory, course_runs, (_, found) in zip(courses, trajectories, runs,
                                                              per_course, strict=True):
        curves = averaging.averaged_curves(
            {k: trajectory.series[k][daily] for k in SHOWN_SERIES if k in trajectory.series})
        shown.append({
            "label": scenario.label, "times_d": jsonable(times[daily][monthly]),
            "series": {k: jsonable(v[monthly]) for k, v in curves.items()},
            "bands": _bands([{k: v[monthly] for k, v in averaging.averaged_curves(
                {k: v[daily] for k, v in run.items()}).items()} for run in course_runs], len(draws)),
            "table": _table(times, trajectory.series, course_runs, len(draws), table_years,
                            averaging.summary_windows(scenario.regimens, table_d)),
            "caveats": [caveat.to_json() for caveat in found]})
    return {"years": request.years, "model_version": model_version(),
            "bands": {"percentiles": [5, 95], "draws": request.band_draws, "seed": BAND_SEED,
                      "what": "parameter uncertainty: virtual people drawn around the fitted model",
                      "precision": band_precision(request.band_draws, how_to_widen=(
                          "band_draws 100 in the API, or osteotwin simulate --draws 100"))},
            "request": request.model_dump(mode="json"), "courses": shown,
            "windows_note": averaging.describe_windows(
                [(c["label"], c["table"]["windows_d"]) for c in shown], table_years),
            "estradiol_note": _sim_single().unmatched_estradiol_note(trajectories[0].meta),
            "testosterone_note": lab_checks.course_testosterone_note(record, base.regimens,
                                                                      trajectories[0]),
            "safety": importlib.import_module("osteotwin.plan.exercise.beyond_screen").what_if_safety(
                record, courses).get(alternative.label, []),
            "assumptions": list(base.assumptions),
            "course_note": None if request.antiresorptive is None else (
                f"{ANTIRESORPTIVE_COURSES[request.antiresorptive].label}, as given in "
                f"{ANTIRESORPTIVE_COURSES[request.antiresorptive].source}: a course to compare, "
                "not a prescription; drug, dose and timing are the clinician's choice."),
            "caveats": [{**caveat.to_json(), "courses": labels}
                        for caveat, labels in caveats.caveats_by_course(per_course)]}


def stored_what_if(db: Any, row: Any, read: services.Assessed, request: WhatIfRequest) -> dict[str, Any]:
    """``run_what_if`` for a stored patient (the page and the API alike): t = 0 is the date the
    pages assess ``read`` on; the result is cached per record revision, request and model version."""
    when = read.when
    on_date = read.record.model_copy(update={"as_of": when})
    return services.cached_simulation(db, row, {**request.model_dump(mode="json"), "as_of": when.isoformat()},
                                      lambda: run_what_if(on_date, request), model_version())


def _parameter_draws(n: int) -> list[Any]:
    if n <= 0:
        return []
    try:
        parameters = importlib.import_module("osteotwin.physiology.parameters")
    except ImportError:
        return []
    draws: list[Any] = parameters.band_parameter_sets(n, BAND_SEED)
    return draws


def _sim_single() -> Any:
    """The one-person simulator module (imported when first needed)."""
    return importlib.import_module("osteotwin.simulate.single")


def _bands(runs: list[Any], n_draws: int) -> dict[str, Any]:
    """5th and 95th percentiles over the draws' simulations (with fewer than half succeeding, no
    band is shown rather than a misleading one: ``simulate.bands.percentile_bands``)."""
    percentile_bands = importlib.import_module("osteotwin.simulate.bands").percentile_bands
    bands = percentile_bands(runs, SHOWN_SERIES, n_draws) or {}
    return {key: {"low": jsonable(low), "high": jsonable(high),
                  "n": sum(key in run for run in runs)}
            for key, (low, high) in bands.items()}


def _monthly_indices(times: Any, years: float) -> Any:
    """Indices of the daily grid nearest to each month from 0 to the horizon (the last: the
    horizon itself)."""
    import numpy as np

    months = np.arange(round(years * 12) + 1) * averaging.DAYS_PER_YEAR / 12.0
    index = np.clip(np.searchsorted(times, months - 0.5), 0, times.size - 1)
    index[-1] = times.size - 1
    return index


def _table(times: Any, series: dict[str, Any], runs: list[Any], n_draws: int,
           years: list[float], windows_d: Any) -> dict[str, Any]:
    """Values at ``years`` (hormones: the mean over the ``windows_d`` days before, the course's
    dosing cycle, ``averaging.summary_value``) with their 5-95 % band over the draws."""

    def at(values: dict[str, Any]) -> dict[str, Any]:
        return averaging.summary_values(times, values, [y * averaging.DAYS_PER_YEAR for y in years],
                                        SHOWN_SERIES, windows_d)

    return {"years": years, "windows_d": list(windows_d),
            "values": {k: jsonable(v) for k, v in at(series).items()},
            "bands": _bands([at(run) for run in runs], n_draws)}
