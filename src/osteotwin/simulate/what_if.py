"""What-if overrides: change or stop a drug, add training, change calcium or vitamin D, from t = 0.

Syntax of one override set (comma-separated items), e.g. ``"anastrozole=0.5mg/3.5d"``,
``"anastrozole=none"``, ``"anastrozole=1mg/d,training=2xhigh,impact=2,calcium=1000"``:

- ``<drug>=<dose><mg|ug|IU>[/<interval>d|/d|/wk]``: the drug's regimens stop at t = 0 and the new one
  starts at t = 0 (no interval: continuous per-day dose, e.g. gels and patches);
- ``<drug>=none`` (or ``stop``, ``0``): the drug stops at t = 0;
- ``training=<sessions>x<light|moderate|high>``, ``impact=<sessions/week>``,
  ``aerobic=<minutes/week>``: exercise from t = 0;
- ``calcium=<mg/d>`` (supplemental), ``dietary_calcium=<mg/d>``, ``vitamin_d=<IU/d>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from osteotwin.errors import UserInputError
from osteotwin.simulate.scenario import SIMULATED_DRUGS, Lifestyle, Regimen, Scenario

_DOSE = re.compile(
    r"^(?P<dose>\d+(?:\.\d+)?)\s*(?P<unit>mg|ug|µg|mcg|iu)"
    r"(?:\s*/\s*(?:(?P<every>\d+(?:\.\d+)?)\s*)?(?P<per>d|day|wk|week))?$",
    re.IGNORECASE)
_TRAINING = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*x\s*(?P<intensity>light|moderate|high)$",
                       re.IGNORECASE)
#: Virtual people per course for the bands of the web what-if and the report, and their seed (the
#: same request gives the same bands, so cached results stay truthful): a compromise between a
#: stable band (Latin hypercube draws) and an answer within seconds (each draw is one simulation).
BAND_DRAWS = 12
BAND_SEED = 20250601
_LIFESTYLE_KEYS = ("training", "impact", "aerobic", "calcium", "dietary_calcium", "vitamin_d")
ACCEPTED = ("<drug>=<dose>mg/<days>d | <drug>=none | training=<n>x<light|moderate|high> | "
            "impact=<n> | aerobic=<min> | calcium=<mg> | dietary_calcium=<mg> | vitamin_d=<IU>")


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


def parse_what_if(text: str) -> WhatIf:
    """Parse one ``--what-if`` value (see module docstring)."""
    regimens: dict[str, Regimen | None] = {}
    lifestyle: dict[str, float | str] = {}
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise UserInputError("--what-if", text, ACCEPTED, problem="empty override")
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise UserInputError("--what-if", item, ACCEPTED, problem="expected key=value")
        if key in _LIFESTYLE_KEYS:
            if key == "training":
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
            elif key == "calcium":
                lifestyle["supplemental_calcium_mg_d"] = _number(
                    "--what-if calcium", value.lower().removesuffix("mg"), 0, 3000)
            elif key == "dietary_calcium":
                lifestyle["dietary_calcium_mg_d"] = _number(
                    "--what-if dietary_calcium", value.lower().removesuffix("mg"), 0, 4000)
            else:
                lifestyle["vitamin_d_iu_d"] = _number(
                    "--what-if vitamin_d", value.lower().removesuffix("iu"), 0, 50000)
            continue
        if key not in SIMULATED_DRUGS:
            raise UserInputError("--what-if", key, f"a drug ({', '.join(SIMULATED_DRUGS)}) or "
                                 f"{', '.join(_LIFESTYLE_KEYS)}", problem="unknown drug or key")
        if value.lower() in ("none", "stop", "0", "off"):
            regimens[key] = None
            continue
        match = _DOSE.match(value.replace(" ", ""))
        if match is None:
            raise UserInputError(f"--what-if {key}", value,
                                 "<dose><mg|ug|IU>[/<days>d|/d|/wk], e.g. 0.5mg/3.5d, or none")
        dose = float(match["dose"])
        unit = match["unit"].lower()
        every: float | None = None
        if match["per"]:
            days = 7.0 if match["per"].lower() in ("wk", "week") else 1.0
            every = float(match["every"] or 1.0) * days
        route = _default_route(key)
        if unit == "iu":
            regimen = Regimen(key, dose_iu=dose, route=route, every_d=every, start_d=0.0)
        else:
            mg = dose / 1000.0 if unit in ("ug", "µg", "mcg") else dose
            regimen = Regimen(key, dose_mg=mg, route=route, every_d=every, start_d=0.0)
        regimen.validate(f"--what-if {key}")
        regimens[key] = regimen
    return WhatIf(label=text.strip(), regimens=regimens, lifestyle=lifestyle)


def apply_what_if(scenario: Scenario, what_if: WhatIf) -> Scenario:
    """The scenario with the overrides applied from t = 0 (history before t = 0 unchanged)."""
    regimens: list[Regimen] = []
    for regimen in scenario.regimens:
        if regimen.drug not in what_if.regimens:
            regimens.append(regimen)
        elif regimen.start_d < 0.0 and (regimen.stop_d is None or regimen.stop_d > 0.0):
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
