"""What-if overrides: change or stop a drug, add training, change calcium or vitamin D, from t = 0.

Syntax of one override set (comma-separated items, each key at most once), e.g.
``"anastrozole=0.5mg/3.5d"``, ``"anastrozole=none"``, ``"denosumab=60mg/6mo"``,
``"anastrozole=1mg/d,training=2xhigh,impact=2,calcium=1000mg/d"``:

- ``<drug>=<dose><mg|g|ug|mcg|IU>[/[<n>]<d|h|wk|mo|y>]``: the drug's regimens stop at t = 0 and
  the new one starts at t = 0, given every n days, hours, weeks, months (30.4375 d) or years
  (365.25 d), n = 1 when left out (no interval: continuous per-day dose, e.g. gels and patches);
- ``<drug>=none`` (or ``stop``, ``off``, ``0``): the drug stops at t = 0; refused when the drug is
  not taken at or after t = 0 (nothing would change);
- ``training=<sessions>x<light|moderate|high>``, ``impact=<sessions/week>``,
  ``aerobic=<minutes/week>``: exercise from t = 0;
- ``calcium=<amount>`` (all supplemental calcium, elemental), ``dietary_calcium=<amount>``: a bare
  number is mg/d, or a mass per day or week as in the patient file (``1000mg/d``, ``1g/d``; a mass
  without ``/`` is per day); ``vitamin_d=<amount>``: all supplemental vitamin D, a bare number is
  IU/d, or ``2000IU/d``, ``50ug`` (1 µg = 40 IU). These replace the supplements on file.

The supplements themselves (vitamin_d3, calcium_carbonate, calcium_citrate) are refused as drug
keys, naming ``vitamin_d=`` or ``calcium=``: the model sums them into one daily intake, so a
drug-style override could neither replace nor stop one of them alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from osteotwin.errors import UserInputError
from osteotwin.simulate.scenario import (
    SIMULATED_DRUGS,
    SUPPLEMENTS,
    Lifestyle,
    Regimen,
    Scenario,
)
from osteotwin.units import parse_quantity

_DOSE = re.compile(r"^(?P<dose>\d+(?:\.\d+)?)(?P<unit>mg|g|ug|µg|μg|mcg|iu)$")
_INTERVAL = re.compile(r"^(?P<every>\d+(?:\.\d+)?)?(?P<unit>[a-z]+)$")
_BARE = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_STOP = ("none", "stop", "off", "0")
_TRAINING = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*x\s*(?P<intensity>light|moderate|high)$",
                       re.IGNORECASE)
#: Virtual people per course for the bands of the web what-if and the report, and their seed (the
#: same request gives the same bands, so cached results stay truthful): a compromise between a
#: stable band (Latin hypercube draws) and an answer within seconds (each draw is one simulation).
BAND_DRAWS = 12
#: Fewest draws that make a 5-95 % band (0: none): below 10 values the 5th and 95th percentiles are
#: the extremes, or interpolations between the outermost one or two, not a band.
MIN_BAND_DRAWS = 10
BAND_SEED = 20250601
#: Draws from which a band's edges are steady from seed to seed (osteotwin's choice, measured: with
#: 12 draws the 3-year spine 5th percentile of a woman on anastrozole ranged from -5.3 to -11.9 %
#: over four seeds, -8.7 % with 400; at 100 the 5th percentile lies between the 5th and 6th values
#: rather than at the smallest).
STABLE_BAND_DRAWS = 100


def band_precision(draws: int, *, how_to_widen: str = "--draws 100 or more") -> str:
    """The sentence that says a band of ``draws`` virtual people is rough, where it is (empty from
    ``STABLE_BAND_DRAWS``, or with no band): its edges move with the seed, not only the people."""
    if draws <= 0 or draws >= STABLE_BAND_DRAWS:
        return ""
    return (f"With {draws} virtual people the band's edges are rough: they move with the draws' "
            f"seed (use {how_to_widen} for a steady band).")
_LIFESTYLE_KEYS = ("training", "impact", "aerobic", "calcium", "dietary_calcium", "vitamin_d")
#: Drugs a what-if may change or stop (the supplements go through ``calcium=`` and ``vitamin_d=``).
WHAT_IF_DRUGS = tuple(drug for drug in SIMULATED_DRUGS if drug not in SUPPLEMENTS)
_DRUG_DOSE = ("<dose><mg|g|ug|mcg|IU>[/[<n>]<d|h|wk|mo|y>], e.g. 0.5mg/3.5d, 70mg/wk, "
              "60mg/6mo, or none")
ACCEPTED = ("<drug>=<dose><unit>[/<n><d|wk|mo|y>] | <drug>=none | "
            "training=<n>x<light|moderate|high> | impact=<n> | aerobic=<min> | "
            "calcium=<mg/d> | dietary_calcium=<mg/d> | vitamin_d=<IU/d>")
#: Per-day lifestyle keys: (lifestyle field, quantity kind, implied unit of a bare number, upper
#: limit, units accepted).
_PER_DAY: dict[str, tuple[str, str, str, float, str]] = {
    "calcium": ("supplemental_calcium_mg_d", "daily_mass", "mg/d", 3000.0, "mg/d, g/d, mg/wk"),
    "dietary_calcium": ("dietary_calcium_mg_d", "daily_mass", "mg/d", 4000.0, "mg/d, g/d, mg/wk"),
    "vitamin_d": ("vitamin_d_iu_d", "daily_iu", "IU/d", 50000.0, "IU/d, ug/d (1 ug = 40 IU), IU/wk"),
}
#: The key to use instead of a supplement's name.
_SUPPLEMENT_KEY = {"vitamin_d3": "vitamin_d=<IU/d> (e.g. vitamin_d=2000IU/d; vitamin_d=0 stops it)",
                   "calcium_carbonate": "calcium=<mg/d elemental> (e.g. calcium=1000mg/d; "
                   "calcium=0 stops it)"}
_SUPPLEMENT_KEY["calcium_citrate"] = _SUPPLEMENT_KEY["calcium_carbonate"]


@dataclass(frozen=True)
class Course:
    """A named antiresorptive course a what-if can add from t = 0 (doses in mg), with its source."""

    drug: str
    dose_mg: float
    route: str
    every_d: float
    label: str
    source: str

    def regimen(self) -> Regimen:
        """The course as a regimen starting at t = 0."""
        return Regimen(self.drug, self.dose_mg, route=self.route, every_d=self.every_d, start_d=0.0)


#: Antiresorptive courses offered to compare (the web what-if, the report's illustration), each as
#: given in the trials or guidance named.
ANTIRESORPTIVE_COURSES: dict[str, Course] = {
    "zoledronic_acid_4mg_6mo": Course(
        "zoledronic_acid", 4.0, "intravenous", 182.625, "zoledronic acid 4 mg every 6 months",
        "Z-FAST and ABCSG-12 (women on an aromatase inhibitor); ESMO 2020, Coleman et al. Ann "
        "Oncol 31:1650"),
    "zoledronic_acid_5mg_yearly": Course(
        "zoledronic_acid", 5.0, "intravenous", 365.25, "zoledronic acid 5 mg yearly",
        "HORIZON, Black et al. 2007 N Engl J Med 356:1809; after a denosumab stop, ECTS, Tsourdi "
        "et al. 2021 J Clin Endocrinol Metab 106:264"),
    "alendronate_70mg_weekly": Course(
        "alendronate", 70.0, "oral", 7.0, "alendronate 70 mg weekly",
        "first-line in BHOF 2022, LeBoff et al. Osteoporos Int 33:2049"),
    "denosumab_60mg_6mo": Course(
        "denosumab", 60.0, "subcutaneous", 182.625, "denosumab 60 mg every 6 months",
        "ABCSG-18, Gnant et al. 2015 Lancet 386:433 (women on an aromatase inhibitor); FREEDOM"),
}


@dataclass(frozen=True)
class WhatIf:
    """A named set of overrides applied from t = 0."""

    label: str
    regimens: dict[str, Regimen | None]  # drug → new regimen (None = stop)
    lifestyle: dict[str, float | str]


def _number(field: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(field, text, f"a number from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise UserInputError(field, value, f"a number from {low:g} to {high:g}")
    return value


def _default_route(drug: str) -> str:
    from osteotwin.simulate.scenario import _default_route as route

    return route(drug)


def _per_day(key: str, value: str) -> float:
    """A daily amount for ``calcium``/``dietary_calcium``/``vitamin_d`` in the field's unit."""
    _, kind, implied, high, units = _PER_DAY[key]
    field = f"--what-if {key}"
    accepted = (f"0 to {high:g} {implied}: a bare number ({implied}) or an amount with a unit "
                f"({units})")
    text = value.replace(" ", "").lower()
    if _BARE.match(text):
        amount = float(text)
    else:
        quantity = text if "/" in text else f"{text}/d"  # a mass or IU without "/" is per day
        try:
            amount = parse_quantity(quantity, kind, field)
        except UserInputError as error:
            problem = ("not a number or an amount with a unit"
                       if error.problem == "not a quantity with a unit" else error.problem)
            raise UserInputError(field, value, accepted, problem=problem) from None
    if not 0.0 <= amount <= high:
        raise UserInputError(field, value, accepted, problem="out of range")
    return amount


def _regimen(key: str, value: str) -> Regimen:
    """The regimen of ``<drug>=<dose><unit>[/<interval>]``, starting at t = 0."""
    field = f"--what-if {key}"
    dose_text, _, every_text = value.replace(" ", "").lower().partition("/")
    dose = _DOSE.match(dose_text)
    interval = _INTERVAL.match(every_text) if every_text else None
    if dose is None or (every_text and interval is None):
        raise UserInputError(field, value, _DRUG_DOSE)
    every: float | None = None
    if interval is not None:
        every = parse_quantity(f"{interval['every'] or 1} {interval['unit']}", "interval",
                               f"{field}.every")
    route = _default_route(key)
    if dose["unit"] == "iu":
        iu = parse_quantity(f"{dose['dose']} IU", "dose_iu", f"{field}.dose")
        regimen = Regimen(key, dose_iu=iu, route=route, every_d=every, start_d=0.0)
    else:
        mg = parse_quantity(f"{dose['dose']} {dose['unit']}", "dose_mass", f"{field}.dose")
        regimen = Regimen(key, dose_mg=mg, route=route, every_d=every, start_d=0.0)
    regimen.validate(field)
    return regimen


def parse_what_if(text: str) -> WhatIf:
    """Parse one ``--what-if`` value (see module docstring); refuses repeated keys."""
    regimens: dict[str, Regimen | None] = {}
    lifestyle: dict[str, float | str] = {}
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise UserInputError("--what-if", text, ACCEPTED, problem="empty override")
    seen: set[str] = set()
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise UserInputError("--what-if", item, ACCEPTED, problem="expected key=value")
        if key in seen:
            raise UserInputError(f"--what-if {key}", text,
                                 "each key once per --what-if (repeat --what-if for another "
                                 "alternative)", problem=f"{key} given more than once")
        seen.add(key)
        if key in _PER_DAY:
            lifestyle[_PER_DAY[key][0]] = _per_day(key, value)
        elif key == "training":
            match = _TRAINING.match(value)
            if match is None:
                raise UserInputError("--what-if training", value,
                                     "<sessions per week>x<light|moderate|high>, e.g. 2xhigh")
            lifestyle["resistance_sessions_per_week"] = _number(
                "--what-if training", match["n"], 0, 14)
            lifestyle["resistance_intensity"] = match["intensity"].lower()
        elif key == "impact":
            lifestyle["impact_sessions_per_week"] = _number("--what-if impact", value, 0, 14)
        elif key == "aerobic":
            lifestyle["weight_bearing_aerobic_minutes_per_week"] = _number(
                "--what-if aerobic", value, 0, 3000)
        elif key in _SUPPLEMENT_KEY:
            raise UserInputError(f"--what-if {key}", value, _SUPPLEMENT_KEY[key],
                                 problem=f"{key} is a supplement, changed as a daily total")
        elif key not in WHAT_IF_DRUGS:
            raise UserInputError("--what-if", key, f"a drug ({', '.join(WHAT_IF_DRUGS)}) or "
                                 f"{', '.join(_LIFESTYLE_KEYS)}", problem="unknown drug or key")
        elif value.lower() in _STOP:
            regimens[key] = None
        else:
            regimens[key] = _regimen(key, value)
    return WhatIf(label=text.strip(), regimens=regimens, lifestyle=lifestyle)


def _taken(regimen: Regimen) -> bool:
    """True when the regimen is taken at or after t = 0 (a what-if can change it)."""
    return regimen.stop_d is None or regimen.stop_d > 0.0


def apply_what_if(scenario: Scenario, what_if: WhatIf) -> Scenario:
    """The scenario with the overrides applied from t = 0 (history before t = 0 unchanged).

    Stopping a drug not taken at or after t = 0 is refused, naming the drugs that are.
    """
    taken = sorted({r.drug for r in scenario.regimens if _taken(r)})
    on_file = ", ".join(taken) or "none on file"
    for drug, new in what_if.regimens.items():
        if new is None and drug not in taken:
            raise UserInputError(f"--what-if {drug}", "none",
                                 f"stopping a drug taken at t = 0 ({on_file})",
                                 problem=f"{drug} is not taken at t = 0")
    regimens: list[Regimen] = []
    for regimen in scenario.regimens:
        if regimen.drug not in what_if.regimens:
            regimens.append(regimen)
        elif regimen.start_d < 0.0 and _taken(regimen):
            regimens.append(replace(regimen, stop_d=0.0))
        elif regimen.start_d < 0.0:
            regimens.append(regimen)
    regimens.extend(r for r in what_if.regimens.values() if r is not None)
    lifestyle = scenario.lifestyle_from_t0
    if what_if.lifestyle:
        base: Lifestyle = lifestyle or scenario.subject.lifestyle
        lifestyle = replace(base, **what_if.lifestyle)  # type: ignore[arg-type]
    changed = replace(scenario, regimens=tuple(regimens), label=what_if.label,
                      lifestyle_from_t0=lifestyle)
    changed.validate()
    return changed
