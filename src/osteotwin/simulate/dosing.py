"""Regimens → piecewise-constant inputs and dose events ("segments") for the solvers.

Dosing representation (same for both solvers, so they solve the same ODE):
- oral AIs and tamoxifen dosed at most daily: continuous at the daily-average rate (half-lives of
  1-7 days make the within-day swing small; tested against explicit daily boluses);
  longer intervals (e.g. anastrozole 0.5 mg every 3.5 d): explicit boluses;
- testosterone esters, zoledronic acid, denosumab, goserelin, hCG: explicit boluses; a goserelin
  implant larger than the 28-day 3.6 mg one releases over proportionally longer (Zoladex labels:
  3.6 mg every 28 days, 10.8 mg every 12 weeks), so it enters as 28-day implants of 3.6 mg or less
  spread evenly over that time (the depot state models the 28-day implant);
- gels, patches, oral estradiol, oral testosterone undecanoate (lymphatic, short-lived),
  oral bisphosphonates (bone-bound pool with a half-life of a year),
  vitamin D3 (25(OH)D t½ ~15 d) and calcium: continuous daily-average rates.
A regimen with an unknown dose uses the usual labelled dose (``TYPICAL_DOSES``; listed in the
trajectory's ``meta['assumed_doses']``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology import states as S
from osteotwin.physiology.parameters import ModelParameters
from osteotwin.physiology.pk import ESTER_T_FRACTION
from osteotwin.simulate.scenario import Regimen

#: Usual labelled dose and interval (mg or IU, days) used when a source gives no dose
#: (Arimidex, Femara, Aromasin, Nolvadex, Fosamax, Actonel, Zometa/Z-FAST, Prolia, Zoladex labels).
TYPICAL_DOSES: dict[str, tuple[float, float | None]] = {
    "anastrozole": (1.0, 1.0), "letrozole": (2.5, 1.0), "exemestane": (25.0, 1.0),
    "tamoxifen": (20.0, 1.0), "alendronate": (70.0, 7.0), "risedronate": (35.0, 7.0),
    "zoledronic_acid": (4.0, 182.6), "denosumab": (60.0, 182.6), "goserelin": (3.6, 28.0),
    "testosterone_cypionate": (100.0, 7.0), "testosterone_enanthate": (100.0, 7.0),
    "testosterone_undecanoate": (750.0, 70.0), "testosterone_gel": (50.0, None),
    "estradiol_transdermal": (0.05, None), "estradiol_oral": (1.0, 1.0),
    "vitamin_d3": (800.0, 1.0), "calcium_carbonate": (500.0, 1.0), "calcium_citrate": (500.0, 1.0),
    # hCG in IU (Pregnyl/Novarel labels, hypogonadotropic hypogonadism: 500-1000 IU 2-3 times a week)
    "hcg": (1000.0, 3.5),
}
#: Where a drug's usual dose depends on its route: (drug, route) → dose and interval, looked up
#: before ``TYPICAL_DOSES`` (oral testosterone undecanoate: Jatenzo label, 237 mg twice daily).
TYPICAL_DOSES_BY_ROUTE: dict[tuple[str, str], tuple[float, float | None]] = {
    ("testosterone_undecanoate", "oral"): (237.0, 0.5),
}
_CONTINUOUS_MAX_INTERVAL_D = 1.0
#: Drugs whose dose is a daily delivery rate whatever the interval (spec/codes.yaml: an estradiol
#: patch's dose is µg/day; its ``every`` is how often the patch is changed).
DOSE_PER_DAY = ("estradiol_transdermal",)
#: The 28-day goserelin implant (Zoladex 3.6 mg label); larger implants release over
#: dose/3.6 mg × 28 days (Zoladex 10.8 mg label: 12 weeks).
GOSERELIN_IMPLANT_MG, GOSERELIN_IMPLANT_D = 3.6, 28.0
_MG_PER_MMOL_CA = 40.078


@dataclass(frozen=True)
class Schedule:
    """Segment boundaries (K+1), inputs per segment (K × inputs), boluses at segment starts."""

    times_d: NDArray[np.float64]
    inputs: NDArray[np.float64]
    boluses: NDArray[np.float64]
    assumed_doses: tuple[str, ...]


def _dose(regimen: Regimen) -> tuple[float, float | None, bool]:
    """(dose in mg or IU, interval in days or None, whether a typical dose was assumed)."""
    typical, typical_every = TYPICAL_DOSES_BY_ROUTE.get(
        (regimen.drug, regimen.route), TYPICAL_DOSES.get(regimen.drug, (0.0, 1.0)))
    dose = regimen.dose
    assumed = dose is None
    every = regimen.every_d
    if assumed:
        dose = typical
        every = every if every is not None else typical_every
    return float(dose or 0.0), every, assumed


def _averaged(every: float | None, explicit: bool) -> bool:
    return every is None or (not explicit and every <= _CONTINUOUS_MAX_INTERVAL_D)


def _continuous_rates(regimen: Regimen, params: ModelParameters,
                      explicit: bool = False) -> dict[int, float]:
    """Input-vector contributions of a regimen given as a continuous daily-average rate."""
    dose, every, _ = _dose(regimen)
    drug = regimen.drug
    per_day = dose / every if every and drug not in DOSE_PER_DAY else dose
    oral = {"anastrozole": S.U_ANA, "letrozole": S.U_LET, "exemestane": S.U_EXE,
            "tamoxifen": S.U_TAM}
    if drug in oral:
        return {oral[drug]: per_day} if _averaged(every, explicit) else {}
    if drug == "testosterone_gel":
        return {S.U_TGEL: per_day}
    if drug == "testosterone_undecanoate" and regimen.route == "oral":
        return {S.U_TORAL: per_day * ESTER_T_FRACTION[drug]
                * params["testosterone_undecanoate_oral_bioavailability"]}
    if drug == "estradiol_transdermal":
        return {S.U_E2TD: per_day}
    if drug == "estradiol_oral":
        return {S.U_E2OR: per_day}
    if drug in ("alendronate", "risedronate"):
        potency = 1.0 if drug == "alendronate" else params["risedronate_relative_potency"]
        bound = (per_day * params["alendronate_oral_bioavailability"]
                 * params["bp_bone_uptake_fraction"] * potency)
        return {S.U_BP: bound}
    if drug == "vitamin_d3":
        return {S.U_VITD: per_day}
    if drug in ("calcium_carbonate", "calcium_citrate"):
        return {S.U_CA: per_day / _MG_PER_MMOL_CA}
    return {}


def _bolus(regimen: Regimen, params: ModelParameters, weight_kg: float,
           explicit: bool = False) -> dict[int, float]:
    """State increments of one administration (empty when the regimen is continuous)."""
    dose, every, _ = _dose(regimen)
    drug = regimen.drug
    if drug in ("anastrozole", "letrozole", "exemestane", "tamoxifen"):
        if _averaged(every, explicit):
            return {}
        index, volume = {"anastrozole": (S.ANA, "anastrozole_vd_l"),
                         "letrozole": (S.LET, "letrozole_vd_l"),
                         "exemestane": (S.EXE, "exemestane_vd_l"),
                         "tamoxifen": (S.TAM, "tamoxifen_vd_l")}[drug]
        return {index: dose * 1e6 / (params[volume] * 1000.0)}
    if drug in ESTER_T_FRACTION:
        index = {"testosterone_cypionate": S.T_CYP, "testosterone_enanthate": S.T_ENA,
                 "testosterone_undecanoate": S.T_UND}[drug]
        return {index: dose * ESTER_T_FRACTION[drug]}
    if drug == "zoledronic_acid":
        return {S.BP: dose * params["bp_bone_uptake_fraction"]
                * params["zoledronic_relative_potency"]}
    if drug == "denosumab":
        return {S.DEN_SC: dose * 1e6 * params["denosumab_bioavailability"]}
    if drug == "goserelin":
        return {S.GOS: dose}
    if drug == "hcg":
        return {S.HCG: dose * params["hcg_bioavailability"] / params["hcg_vd_l"]}
    return {}


def _release_times(regimen: Regimen) -> tuple[tuple[float, float], ...]:
    """(days after administration, share of the dose) at which a bolus regimen enters the depot:
    at once, except goserelin implants larger than the 28-day one (see the module docstring)."""
    if regimen.drug != "goserelin":
        return ((0.0, 1.0),)
    dose, _, _ = _dose(regimen)
    n = max(1, math.ceil(dose / GOSERELIN_IMPLANT_MG - 1e-9))
    spacing = GOSERELIN_IMPLANT_D * dose / GOSERELIN_IMPLANT_MG / n
    return tuple((j * spacing, 1.0 / n) for j in range(n))


def build_schedule(regimens: tuple[Regimen, ...], base_inputs: NDArray[np.float64],
                   params: ModelParameters, t_start: float, t_end: float,
                   explicit_oral_dosing: bool = False,
                   inputs_from_t0: NDArray[np.float64] | None = None) -> Schedule:
    """Segments covering [t_start, t_end] with inputs and boluses (see module docstring).

    ``explicit_oral_dosing`` gives every oral AI/tamoxifen dose as a bolus (used to test the
    daily-average representation). ``inputs_from_t0`` replaces ``base_inputs`` from t = 0 on
    (a lifestyle change; ``single.scenario_schedule`` builds it from a scenario)."""
    weight = float(base_inputs[S.U_WEIGHT])
    changes: set[float] = {t_start, t_end}
    if inputs_from_t0 is not None and t_start < 0.0 < t_end:
        changes.add(0.0)
    continuous: list[tuple[float, float, dict[int, float]]] = []
    doses: list[tuple[NDArray[np.float64], int, float]] = []  # (times, state, amount each)
    assumed: list[str] = []
    for regimen in regimens:
        _, every, was_assumed = _dose(regimen)
        if was_assumed:
            assumed.append(regimen.drug)
        stop = regimen.stop_d if regimen.stop_d is not None else math.inf
        rates = _continuous_rates(regimen, params, explicit_oral_dosing)
        if rates:
            start = max(regimen.start_d, t_start)
            if start < min(stop, t_end):
                continuous.append((start, stop, rates))
                changes.add(start)
                if stop < t_end:
                    changes.add(stop)
            continue
        bolus = _bolus(regimen, params, weight, explicit_oral_dosing)
        if not bolus:
            continue
        interval = every if every is not None else 1.0
        n_doses = math.floor((min(stop, t_end) - regimen.start_d) / interval - 1e-9) + 1
        given = regimen.start_d + np.arange(max(n_doses, 0)) * interval
        given = given[given < min(stop, t_end)]
        for offset, share in _release_times(regimen):  # an implant keeps releasing after a stop
            t = given + offset
            released = np.round(t[(t >= t_start) & (t < t_end)], 9).astype(np.float64)
            doses.extend((released, index, share * amount) for index, amount in bolus.items())
    times = np.unique(np.concatenate([np.fromiter(changes, float), *(t for t, _, _ in doses)]))
    times = times[(times >= t_start) & (times <= t_end)]
    n_seg = len(times) - 1
    inputs = np.repeat(base_inputs[None, :], n_seg, axis=0)
    if inputs_from_t0 is not None:
        inputs[times[:-1] >= 0.0] = inputs_from_t0
    for start, stop, rates in continuous:
        taken = (times[:-1] >= start) & (times[:-1] < stop)
        for index, rate in rates.items():
            inputs[taken, index] += rate
    boluses = np.zeros((n_seg, S.N_STATES))
    for t, index, amount in doses:
        segment = np.searchsorted(times, t)
        np.add.at(boluses[:, index], segment[segment < n_seg], amount)
    return Schedule(times, inputs, boluses, tuple(sorted(set(assumed))))
