"""Trial file v1 reader (spec/trial-file.md, optional fields of shared/data/trials/README.md).

Strict: unknown fields are refused (``note`` is accepted at any level and never parsed), every
quantity needs a unit that fits, arm references must exist. Errors are ``UserInputError`` naming the
file, the field path, the value and what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.records.drugs import DOSE_LIMITS, ROUTES
from osteotwin.records.fields import (
    boolean,
    choice,
    describe,
    number,
    optional_list,
    plain_text,
    require_mapping,
)
from osteotwin.records.patient import Lifestyle
from osteotwin.records.patient_file import _Parser as _PatientParser
from osteotwin.records.patient_file import read_document
from osteotwin.simulate.scenario import MAX_INTERVAL_D, MAX_YEARS, MIN_INTERVAL_D
from osteotwin.trials.model import (
    BMD_CHANGE_QUANTITIES,
    BMD_SITES,
    FRACTURE_QUANTITY,
    Arm,
    Distribution,
    Endpoint,
    Population,
    Trial,
    TrialRegimen,
    Uncertainty,
)
from osteotwin.units import (
    KINDS,
    LAB_SPECS,
    compatible,
    convert,
    convert_lab,
    parse_quantity,
    parse_time_offset_d,
    split_quantity,
)
from osteotwin.vocabulary import drug_names

_TOP = ("version", "id", "citation", "note", "population", "arms", "endpoints")
_POPULATION = ("sex", "age", "menopausal_status", "years_since_menopause", "weight", "height",
               "baseline", "lifestyle", "breast_cancer", "note")
_DISTRIBUTION = ("mean", "sd", "min", "max", "unit", "note")
_ARM = ("id", "n", "note", "regimens", "lifestyle", "population")
_REGIMEN = ("drug", "dose", "route", "every", "start", "stop", "note")
_ENDPOINT = ("arm", "contrast", "quantity", "at", "from", "value", "unit", "ci95", "se", "sd",
             "source", "derived", "note")
_SEXES = ("male", "female")
_MENOPAUSAL = ("premenopausal", "perimenopausal", "postmenopausal")
T_SCORE_KEYS = tuple(f"{site}_t_score" for site in BMD_SITES)
#: Latest time the simulator reaches (an endpoint's ``at``) and farthest regimen start, in days.
MAX_OFFSET_D = MAX_YEARS * 365.25
_BASELINE_KEYS = (*LAB_SPECS, *BMD_SITES, *T_SCORE_KEYS)
#: ``_distribution`` kind of a span of time in years (ages, years since menopause).
YEARS = "years"
#: Time units accepted for ``age`` and ``years_since_menopause`` (spec/trial-file.md times), and
#: years per unit (mo = 30.4375 d, y = 365.25 d); no unit means years.
YEAR_UNITS = ("y", "mo", "wk", "d")
_YEARS_PER_UNIT = {
    **dict.fromkeys(("y", "yr", "year", "years"), 1.0),
    **dict.fromkeys(("mo", "month", "months"), 30.4375 / 365.25),
    **dict.fromkeys(("wk", "week", "weeks"), 7.0 / 365.25),
    **dict.fromkeys(("d", "day", "days"), 1.0 / 365.25),
}
#: Kinds a population distribution must give a unit for: the spec writes them with one
#: (``weight: {mean: 87, sd: 12, unit: kg}``) and names no default (154 could be kg or lb).
_UNIT_REQUIRED = ("weight", "height")
#: Plausible age at menopause (years): outside it, years since menopause contradict the age.
#: Menopause before 30 is implausible for a trial population (premature ovarian insufficiency is
#: before 40 and rare below 30); natural menopause after 65 is not reported.
MENOPAUSE_AGE_RANGE_Y = (30.0, 65.0)


def accepted_quantities() -> tuple[str, ...]:
    """Endpoint quantity names of trial file v1."""
    labs = tuple(LAB_SPECS)
    return (*labs, *(f"{lab}_change_pct" for lab in labs), *BMD_CHANGE_QUANTITIES,
            FRACTURE_QUANTITY)


def beyond_horizon(field: str, value: Any) -> UserInputError:
    """The error for an endpoint time later than the simulator reaches (``MAX_YEARS``)."""
    return UserInputError(field, value, f"a time up to {MAX_YEARS:g} y after study start",
                          problem="beyond the simulator's horizon")


def load_trial_file(path: str | Path) -> Trial:
    """Read one trial file (YAML or JSON); errors name the file and the field."""
    document = read_document(path, what="trial file")
    return parse_trial_document(document, source=str(path))


def trial_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (``*.yaml``, ``*.yml``, ``*.json`` inside, sorted) into files."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.iterdir()
                            if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file())
            if not inside:
                raise UserInputError("TRIAL_FILE_OR_DIR", str(path),
                                     "a folder holding .yaml, .yml or .json trial files",
                                     problem="no trial files in folder")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise UserInputError("TRIAL_FILE_OR_DIR", str(path), "an existing trial file or folder",
                                 problem="not found")
    return found


def load_trials(paths: Iterable[str | Path]) -> list[Trial]:
    """Read every trial file named or found in the named folders; trial ids must be unique."""
    trials, errors = read_trials(paths)
    if errors:
        raise errors[0]
    return trials


def read_trials(paths: Iterable[str | Path]) -> tuple[list[Trial], list[UserInputError]]:
    """Every readable trial file named or found in the named folders, and the error of each file
    that is not (a bad file does not stop the others; a repeated trial id is the later file's
    error)."""
    trials: list[Trial] = []
    errors: list[UserInputError] = []
    seen: dict[str, str | None] = {}
    for path in trial_files(paths):
        try:
            trial = load_trial_file(path)
        except UserInputError as err:
            errors.append(err)
            continue
        if trial.id in seen:
            errors.append(UserInputError("id", trial.id,
                                         f"a trial id not already used by {seen[trial.id]}",
                                         source=trial.path, problem="duplicate trial id"))
            continue
        seen[trial.id] = trial.path
        trials.append(trial)
    return trials, errors


def parse_trial_document(document: Any, *, source: str = "trial file") -> Trial:
    """Validate a parsed trial document and convert it to canonical units."""
    try:
        return _trial(document, source)
    except UserInputError as err:
        raise err.with_source(source) from None


# --------------------------------------------------------------------------------------------------


def _trial(doc: Any, source: str) -> Trial:
    doc = require_mapping(doc, "", _TOP)
    for key in ("version", "id", "arms", "endpoints"):
        if doc.get(key) is None:
            raise UserInputError(key, None, "a value (see spec/trial-file.md)", problem="missing field")
    if isinstance(doc["version"], bool) or doc["version"] != 1:
        raise UserInputError("version", doc["version"], "1", problem="unsupported version")
    trial_id = plain_text(doc["id"], "id")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", trial_id):
        raise UserInputError("id", trial_id, "letters, digits, '_', '-', '.'",
                             problem="not a valid trial id")
    citation = plain_text(doc["citation"], "citation") if doc.get("citation") is not None else ""
    shared = _population(doc.get("population") or {}, "population")
    arms_raw = optional_list(doc["arms"], "arms")
    if not arms_raw:
        raise UserInputError("arms", [], "at least one arm", problem="no arms")
    arms = tuple(_arm(raw, f"arms[{i}]", shared) for i, raw in enumerate(arms_raw))
    ids = [a.id for a in arms]
    for i, arm_id in enumerate(ids):
        if arm_id in ids[:i]:
            raise UserInputError(f"arms[{i}].id", arm_id, "an arm id used once",
                                 problem="duplicate arm id")
    for arm in arms:
        if arm.population.sex is None:
            raise UserInputError(f"arms[{ids.index(arm.id)}].population.sex", None, "male | female",
                                 problem="sex not given for this arm or the shared population")
    endpoints_raw = optional_list(doc["endpoints"], "endpoints")
    endpoints = tuple(_endpoint(raw, f"endpoints[{i}]", tuple(ids))
                      for i, raw in enumerate(endpoints_raw))
    return Trial(id=trial_id, citation=citation, arms=arms, endpoints=endpoints, path=source)


def _years_per_unit(unit: str | None, field: str) -> float:
    """Years in one ``unit`` of a time span (``y`` when no unit is given); refuses other units."""
    if unit is None:
        return 1.0
    factor = _YEARS_PER_UNIT.get(unit.strip().lower())
    if factor is None:
        raise UserInputError(f"{field}.unit", unit, f"{', '.join(YEAR_UNITS)} (default y)",
                             problem="unit does not fit a time span")
    return factor


def _distribution(raw: Any, field: str, *, kind: str | None, lo: float, hi: float) -> Distribution:
    """``{mean, sd, min, max, unit}``; ``kind`` is a ``units.KINDS`` name used to convert the unit,
    ``YEARS`` for a span of time in years (ages, years since menopause: ``y`` unless a time unit is
    given), or None for a unitless number (a T-score: a unit is refused). ``lo``/``hi`` bound a
    value given in the default unit (``YEARS``: after conversion to years)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = {"mean": raw}
    raw = require_mapping(raw, field, _DISTRIBUTION)
    unit = plain_text(raw["unit"], f"{field}.unit") if raw.get("unit") is not None else None
    if kind in _UNIT_REQUIRED and unit is None:
        examples = KINDS[kind].examples
        raise UserInputError(f"{field}.unit", None, f"{' or '.join(examples)}, e.g. "
                             f"{{mean: ..., sd: ..., unit: {examples[0]}}}",
                             problem=f"missing unit for {kind} (no default unit)")
    if kind is None and unit is not None:
        raise UserInputError(f"{field}.unit", unit, "no unit (a T-score is in standard deviations)",
                             problem="unit given for a unitless number")
    scale = _years_per_unit(unit, field) if kind == YEARS else 1.0
    if kind not in (None, YEARS) and unit is not None and not compatible(unit, KINDS[kind].canonical):
        raise UserInputError(f"{field}.unit", unit, ", ".join(KINDS[kind].examples),
                             problem=f"unit does not fit {kind}")

    def convert(value: Any, key: str) -> float:
        amount = number(value, f"{field}.{key}")
        if kind not in (None, YEARS) and unit is not None:
            return parse_quantity({"value": amount, "unit": unit}, kind, f"{field}.{key}")
        converted = amount * scale
        if not (lo <= converted <= hi):
            shown = f"{amount:g} {unit}" if unit is not None else value
            raise UserInputError(f"{field}.{key}", shown,
                                 f"{lo:g} to {hi:g}" + (" y" if kind == YEARS else ""),
                                 problem="implausible value")
        return converted

    values = {k: convert(raw[k], k) if raw.get(k) is not None else None
              for k in ("mean", "min", "max")}
    sd = None
    if raw.get("sd") is not None:
        sd_raw = number(raw["sd"], f"{field}.sd", 0.0)
        sd = sd_raw * scale if kind == YEARS else _spread(sd_raw, unit, kind, f"{field}.sd")
    dist = Distribution(mean=values["mean"], sd=sd, minimum=values["min"], maximum=values["max"])
    if dist.minimum is not None and dist.maximum is not None and dist.minimum > dist.maximum:
        raise UserInputError(f"{field}.max", raw.get("max"), f"at least min {raw.get('min')}",
                             problem="max below min")
    if dist.mean is None and dist.minimum is None and dist.maximum is None:
        raise UserInputError(field, dict(raw), "at least one of mean, min, max",
                             problem="empty distribution")
    return dist


def _spread(value: float, unit: str | None, kind: str | None, field: str) -> float:
    """An SD in the canonical unit of ``kind`` (linear conversion, no plausibility range)."""
    if kind is None or unit is None:
        return value
    target = KINDS[kind].canonical
    if not compatible(unit, target):
        raise UserInputError(field.rsplit(".", 1)[0] + ".unit", unit,
                             ", ".join(KINDS[kind].examples), problem="unit does not fit")
    return convert(value, unit, target)


def _baseline_entry(name: str, raw: Any, field: str) -> Distribution:
    if name in LAB_SPECS:
        if not isinstance(raw, Mapping) or raw.get("unit") is None:
            raise UserInputError(f"{field}.unit", None, " or ".join(LAB_SPECS[name].units),
                                 problem="missing unit for a lab baseline")
        unit = plain_text(raw["unit"], f"{field}.unit")
        raw = require_mapping(raw, field, _DISTRIBUTION)

        def lab(key: str) -> float | None:
            if raw.get(key) is None:
                return None
            return convert_lab(name, number(raw[key], f"{field}.{key}"), unit, field=field)

        sd = None
        if raw.get("sd") is not None:
            sd_value = number(raw["sd"], f"{field}.sd", 0.0)
            sd = convert_lab(name, sd_value, unit, field=field) if sd_value > 0 else 0.0
        dist = Distribution(mean=lab("mean"), sd=sd, minimum=lab("min"), maximum=lab("max"))
        if dist.mean is None and dist.minimum is None and dist.maximum is None:
            raise UserInputError(field, dict(raw), "at least one of mean, min, max",
                                 problem="empty distribution")
        return dist
    if name in BMD_SITES:
        if isinstance(raw, Mapping) and raw.get("unit") is None:
            raise UserInputError(f"{field}.unit", None, "g/cm2 or mg/cm2",
                                 problem="missing unit for a BMD baseline")
        return _distribution(raw, field, kind="bmd", lo=0.2, hi=2.5)
    return _distribution(raw, field, kind=None, lo=-8.0, hi=6.0)  # a T-score


def _population(raw: Any, field: str) -> Population:
    raw = require_mapping(raw, field, _POPULATION)
    sex = choice(raw["sex"], f"{field}.sex", _SEXES) if raw.get("sex") is not None else None
    status = (choice(raw["menopausal_status"], f"{field}.menopausal_status", _MENOPAUSAL)
              if raw.get("menopausal_status") is not None else None)
    if sex == "male" and status is not None:
        raise UserInputError(f"{field}.menopausal_status", status, "null for men",
                             problem="menopausal status given for men")
    baseline_raw = require_mapping(raw.get("baseline") or {}, f"{field}.baseline", _BASELINE_KEYS)
    baseline = {name: _baseline_entry(name, value, f"{field}.baseline.{name}")
                for name, value in baseline_raw.items()}
    return Population(
        sex=sex,  # type: ignore[arg-type]
        age_y=_opt_dist(raw, "age", field, kind=YEARS, lo=18.0, hi=110.0),
        menopausal_status=status,
        years_since_menopause=_opt_dist(raw, "years_since_menopause", field, kind=YEARS,
                                        lo=-30.0, hi=70.0),
        weight_kg=_opt_dist(raw, "weight", field, kind="weight", lo=25.0, hi=300.0),
        height_cm=_opt_dist(raw, "height", field, kind="height", lo=100.0, hi=230.0),
        breast_cancer=(boolean(raw["breast_cancer"], f"{field}.breast_cancer")
                       if raw.get("breast_cancer") is not None else None),
        baseline=baseline,
        lifestyle=_lifestyle(raw.get("lifestyle"), f"{field}.lifestyle"),
    )


def _opt_dist(raw: Mapping[str, Any], key: str, field: str, *, kind: str | None, lo: float,
              hi: float) -> Distribution | None:
    if raw.get(key) is None:
        return None
    return _distribution(raw[key], f"{field}.{key}", kind=kind, lo=lo, hi=hi)


def _lifestyle(raw: Any, field: str) -> Lifestyle | None:
    """Patient-file lifestyle fields (spec/patient-file.md) plus ``note``; parsed by the records reader."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise UserInputError(field, describe(raw), "a mapping of lifestyle fields",
                             problem="not a mapping")
    fields = {k: v for k, v in raw.items() if k != "note"}
    try:
        return _PatientParser(date.today()).lifestyle(fields)  # lifestyle has no dates
    except UserInputError as err:
        inner = err.field.removeprefix("lifestyle")
        raise UserInputError(f"{field}{inner}", err.value, err.accepted, problem=err.problem) from None


def _arm(raw: Any, field: str, shared: Population) -> Arm:
    raw = require_mapping(raw, field, _ARM)
    if raw.get("id") is None:
        raise UserInputError(f"{field}.id", None, "an arm id", problem="missing field")
    arm_id = plain_text(raw["id"], f"{field}.id")
    if "n" not in raw:
        raise UserInputError(f"{field}.n", None, "a whole number of people, or null if unknown",
                             problem="missing field")
    n: int | None = None
    if raw["n"] is not None:
        value = number(raw["n"], f"{field}.n", 1, 10_000_000)
        if int(value) != value:
            raise UserInputError(f"{field}.n", raw["n"], "a whole number", problem="not a whole number")
        n = int(value)
    population = shared.merged(_population(raw["population"], f"{field}.population")
                               if raw.get("population") is not None else None)
    own = raw.get("population") or {}
    ysm_where = (f"{field}.population" if own.get("years_since_menopause") is not None
                 else "population")
    _check_menopause_age(population, ysm_where, f"{field}.population"
                         if own.get("age") is not None else "population")
    _check_status_ysm(population, ysm_where)
    arm_lifestyle = _lifestyle(raw.get("lifestyle"), f"{field}.lifestyle")
    regimens = tuple(parse_regimen(r, f"{field}.regimens[{i}]")
                     for i, r in enumerate(optional_list(raw.get("regimens"), f"{field}.regimens")))
    return Arm(id=arm_id, n=n, population=population, regimens=regimens, lifestyle=arm_lifestyle)


def _check_menopause_age(pop: Population, ysm_where: str, age_where: str) -> None:
    """Refuse years since menopause that put the menopause outside ``MENOPAUSE_AGE_RANGE_Y`` at
    the population's age (both centres known); ``*_where`` name the blocks that gave the fields."""
    if pop.age_y is None or pop.years_since_menopause is None:
        return
    age, ysm = pop.age_y.centre, pop.years_since_menopause.centre
    if age is None or ysm is None:
        return
    lo, hi = MENOPAUSE_AGE_RANGE_Y
    if lo <= age - ysm <= hi:
        return
    key = "mean" if pop.years_since_menopause.mean is not None else "min"
    raise UserInputError(
        f"{ysm_where}.years_since_menopause.{key}", f"{ysm:.4g} y",
        f"{age - hi:.4g} to {age - lo:.4g} y with {age_where}.age {age:.4g} y (menopause at "
        f"age {lo:g} to {hi:g})",
        problem=f"menopause at age {age - ysm:.3g} is implausible")


#: Years since menopause (lowest, highest; None: no bound) a menopausal status allows: from the
#: final menstrual period on if postmenopausal, before it if premenopausal (STRAW+10 staging,
#: Harlow SD et al. Menopause 2012;19:387-95: postmenopause begins at the final menstrual period).
STATUS_YSM_RANGE: dict[str, tuple[float | None, float | None]] = {
    "postmenopausal": (0.0, None), "premenopausal": (None, 0.0)}


def _check_status_ysm(pop: Population, ysm_where: str) -> None:
    """Refuse a years-since-menopause mean (or bound) the menopausal status contradicts: below 0
    for a postmenopausal population, above 0 for a premenopausal one."""
    dist = pop.years_since_menopause
    if dist is None or pop.menopausal_status not in STATUS_YSM_RANGE:
        return
    lo, hi = STATUS_YSM_RANGE[pop.menopausal_status]
    for key, value in (("mean", dist.mean), ("min", dist.minimum), ("max", dist.maximum)):
        if value is None:
            continue
        if (lo is not None and key != "min" and value < lo) or \
                (hi is not None and key != "max" and value > hi):
            accepted = (f"{lo:g} y or more" if lo is not None else f"{hi:g} y or less")
            raise UserInputError(
                f"{ysm_where}.years_since_menopause.{key}", f"{value:g} y",
                f"{accepted} with menopausal_status {pop.menopausal_status} (postmenopause "
                "begins at the final menstrual period)",
                problem=f"contradicts menopausal_status {pop.menopausal_status}")


def parse_regimen(raw: Any, field: str) -> TrialRegimen:
    """One regimen in trial-file syntax (``field`` names it in errors)."""
    raw = require_mapping(raw, field, _REGIMEN)
    names = tuple(drug_names())
    if raw.get("drug") is None:
        raise UserInputError(f"{field}.drug", None, ", ".join(names), problem="missing field")
    drug = choice(raw["drug"], f"{field}.drug", names)
    route = choice(raw["route"], f"{field}.route", ROUTES) if raw.get("route") is not None else None
    every = None
    if raw.get("every") is not None:
        every = parse_quantity(raw["every"], "interval", f"{field}.every")
        if every <= 0:
            raise UserInputError(f"{field}.every", raw["every"], "a positive interval such as '1 d'",
                                 problem="interval must be positive")
        if not MIN_INTERVAL_D <= every <= MAX_INTERVAL_D:
            raise UserInputError(f"{field}.every", raw["every"],
                                 f"an interval from {MIN_INTERVAL_D * 24:g} h to "
                                 f"{MAX_INTERVAL_D:g} d, or no 'every' for a continuous product",
                                 problem="dosing interval outside the simulator's range")
    dose_mg, dose_iu = _dose(drug, raw.get("dose"), f"{field}.dose", every is not None)
    start = parse_time_offset_d(raw["start"], f"{field}.start") if raw.get("start") is not None else 0.0
    if abs(start) > MAX_OFFSET_D:
        raise UserInputError(f"{field}.start", raw["start"],
                             f"a time within {MAX_YEARS:g} y of study start (the simulator's range)",
                             problem="start beyond the simulator's range")
    stop = parse_time_offset_d(raw["stop"], f"{field}.stop") if raw.get("stop") is not None else None
    if stop is not None and stop <= start:
        raise UserInputError(f"{field}.stop", raw["stop"], f"a time after start ({raw.get('start', '0 d')}),"
                             " or null for therapy to the end of follow-up",
                             problem="stop not after start")
    return TrialRegimen(drug=drug, dose_mg=dose_mg, dose_iu=dose_iu, route=route, every_d=every,
                        start_d=start, stop_d=stop)


def _dose(drug: str, raw: Any, field: str, has_interval: bool) -> tuple[float | None, float | None]:
    """Dose per administration (per day for continuous products); None when not given."""
    if raw is None:
        return None, None
    limit = DOSE_LIMITS[drug]
    _, unit = split_quantity(raw, field, f"1 {limit.unit}")
    per_day = bool(re.search(r"/\s*(d|day)\s*$", unit))
    if per_day and has_interval:
        raise UserInputError(field, raw, "a dose per administration when 'every' is given",
                             problem="dose per day given together with an interval")
    accepted = (f"more than 0 and at most {limit.maximum:g} {limit.unit}"
                f"{'/d' if per_day else ''} of {drug} per {'day' if per_day else 'dose'}")
    kind = ("daily_iu" if per_day else "dose_iu") if limit.unit == "IU" else \
        ("daily_mass" if per_day else "dose_mass")
    try:
        dose = parse_quantity(raw, kind, field)
    except UserInputError as err:
        # the drug's own limit in every case (not the generic range of any mass or IU dose)
        if err.problem == "implausible value":
            raise UserInputError(field, raw, accepted, problem="implausible dose") from None
        raise UserInputError(err.field, err.value, f"{err.accepted}; {accepted}",
                             problem=err.problem) from None
    if dose <= 0 or dose > limit.maximum:
        raise UserInputError(field, raw, accepted, problem="implausible dose")
    return (None, dose) if limit.unit == "IU" else (dose, None)


def _endpoint(raw: Any, field: str, arm_ids: tuple[str, ...]) -> Endpoint:
    raw = require_mapping(raw, field, _ENDPOINT)
    arm, contrast = raw.get("arm"), raw.get("contrast")
    if (arm is None) == (contrast is None):
        raise UserInputError(field, "arm" if arm is not None else None,
                             "exactly one of 'arm' or 'contrast: [arm, arm]'",
                             problem="endpoint needs one arm or one contrast")
    contrast_ids: tuple[str, str] | None = None
    if arm is not None:
        arm = choice(arm, f"{field}.arm", arm_ids)
    else:
        items = optional_list(contrast, f"{field}.contrast")
        if len(items) != 2:
            raise UserInputError(f"{field}.contrast", contrast, "two arm ids [arm, arm]",
                                 problem="a contrast needs two arms")
        first = choice(items[0], f"{field}.contrast[0]", arm_ids)
        second = choice(items[1], f"{field}.contrast[1]", arm_ids)
        if first == second:
            raise UserInputError(f"{field}.contrast", contrast, "two different arms",
                                 problem="contrast of an arm with itself")
        contrast_ids = (first, second)
    quantities = accepted_quantities()
    if raw.get("quantity") is None:
        raise UserInputError(f"{field}.quantity", None, "a quantity name", problem="missing field")
    quantity = raw["quantity"]
    if not isinstance(quantity, str) or quantity not in quantities:
        raise UserInputError(f"{field}.quantity", quantity,
                             "a lab name from codes.yaml, <lab>_change_pct, <site>_bmd_change_pct "
                             "or fracture_incidence_pct", problem="unknown quantity")
    for key in ("at", "value"):
        if raw.get(key) is None:
            raise UserInputError(f"{field}.{key}", None, "a value", problem="missing field")
    at_d = parse_time_offset_d(raw["at"], f"{field}.at")
    from_d = parse_time_offset_d(raw["from"], f"{field}.from") if raw.get("from") is not None else 0.0
    if from_d < 0:
        raise UserInputError(f"{field}.from", raw["from"],
                             "study start or a time after it, before 'at' (e.g. '6 mo'; "
                             "default 0 d)", problem="'from' before study start")
    # an absolute lab level may be published at study start (the baseline); a change may not
    if at_d < 0 or (at_d == 0 and quantity not in LAB_SPECS):
        raise UserInputError(f"{field}.at", raw["at"], "a time after study start (e.g. '12 mo')",
                             problem="time not after study start")
    if at_d > MAX_OFFSET_D:
        raise beyond_horizon(f"{field}.at", raw["at"])
    if (at_d > 0 or from_d > 0) and at_d <= from_d:
        raise UserInputError(f"{field}.at", raw["at"], f"a time after 'from' ({raw.get('from')})",
                             problem="'at' not after 'from'")
    value = number(raw["value"], f"{field}.value")
    given_value = value
    given_unit: str | None = None
    unit: str | None = None
    uncertainty = _uncertainty(raw, field)
    if quantity in LAB_SPECS:
        if raw.get("unit") is None:
            raise UserInputError(f"{field}.unit", None, " or ".join(LAB_SPECS[quantity].units),
                                 problem="missing unit for an absolute lab level")
        reported = plain_text(raw["unit"], f"{field}.unit")
        given_unit = reported
        unit = LAB_SPECS[quantity].canonical
        value = convert_lab(quantity, value, reported, field=field)
        uncertainty = _uncertainty_to_canonical(quantity, uncertainty, reported, field)
    elif raw.get("unit") not in (None, "%", "percent"):
        raise UserInputError(f"{field}.unit", raw["unit"], "no unit (or '%') for a change or incidence",
                             problem="unit does not fit")
    else:
        given_unit = "%"
    if quantity == FRACTURE_QUANTITY and not (0.0 <= value <= 100.0):
        raise UserInputError(f"{field}.value", value, "0 to 100 (%)", problem="implausible value")
    return Endpoint(
        quantity=quantity, at_d=at_d, at_text=str(raw["at"]), value=value, unit=unit,
        uncertainty=uncertainty, arm=arm, contrast=contrast_ids, from_d=from_d,
        source=plain_text(raw["source"], f"{field}.source") if raw.get("source") is not None else None,
        derived=boolean(raw["derived"], f"{field}.derived") if raw.get("derived") is not None else False,
        given_value=given_value, given_unit=given_unit,
    )


def _uncertainty(raw: Mapping[str, Any], field: str) -> Uncertainty:
    given = [k for k in ("ci95", "se", "sd") if raw.get(k) is not None]
    if len(given) > 1:
        raise UserInputError(field, ", ".join(given), "at most one of ci95, se, sd",
                             problem="more than one uncertainty given")
    if not given:
        return Uncertainty()
    key = given[0]
    if key == "ci95":
        items = optional_list(raw["ci95"], f"{field}.ci95")
        if len(items) != 2:
            raise UserInputError(f"{field}.ci95", raw["ci95"], "[low, high]",
                                 problem="a 95% interval needs two numbers")
        lo, hi = (number(v, f"{field}.ci95[{i}]") for i, v in enumerate(items))
        if lo > hi:
            raise UserInputError(f"{field}.ci95", raw["ci95"], "[low, high] with low <= high",
                                 problem="interval reversed")
        return Uncertainty(ci95=(lo, hi))
    spread = number(raw[key], f"{field}.{key}", 0.0)
    return Uncertainty(se=spread) if key == "se" else Uncertainty(sd=spread)


def _uncertainty_to_canonical(lab: str, unc: Uncertainty, unit: str, field: str) -> Uncertainty:
    """Convert an absolute lab's interval or spread (linear conversions) to the canonical unit."""
    def conv(value: float) -> float:
        if value == 0.0:
            return 0.0
        sign = -1.0 if value < 0 else 1.0
        return sign * convert_lab(lab, abs(value), unit, field=field)

    if unc.ci95 is not None:
        return Uncertainty(ci95=(conv(unc.ci95[0]), conv(unc.ci95[1])))
    if unc.se is not None:
        return Uncertainty(se=conv(unc.se))
    if unc.sd is not None:
        return Uncertainty(sd=conv(unc.sd))
    return unc
