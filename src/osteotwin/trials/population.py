"""Virtual populations: draw people for a trial arm from its ``population`` block.

Each characteristic is drawn from a normal distribution with the published mean and SD, truncated to
the published ``min``/``max`` (and to physiological limits); hormone levels are drawn log-normally
with the published mean and SD (they are skewed and positive). Arms of one trial share their random
numbers (common random numbers), so a contrast compares like with like and an arm-minus-arm difference
per virtual person is meaningful.

Where a trial does not report a characteristic, a typical value is assumed and reported in
``ArmPeople.assumptions`` (never silently): ages by population type, weights from NHANES
2015-2016 adult means (CDC NCHS Data Brief; women 77 kg, men 90 kg, SD about 20 kg, truncated),
menopause at 51 y when only the menopausal status is given (SWAN median age at the final menstrual
period, clinical_facts.md).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology.draws import stratify_by_rank
from osteotwin.records.patient import Lifestyle as RecordLifestyle
from osteotwin.simulate.scenario import Lifestyle, Regimen, Scenario, Subject
from osteotwin.trials.background import background_regimens
from osteotwin.trials.model import (
    BMD_SITES,
    Arm,
    Distribution,
    Population,
    Trial,
    TrialRegimen,
    merge_lifestyle,
)
from osteotwin.trials.reader import MENOPAUSE_AGE_RANGE_Y, STATUS_YSM_RANGE

#: Median age at the final menstrual period (SWAN; shared/data/literature/clinical_facts.md).
MENOPAUSE_AGE_Y = 51.0
#: Spread of the age at natural menopause (SD, years; typical of cohort studies such as SWAN).
MENOPAUSE_AGE_SD_Y = 4.0

#: Assumed age (mean, SD, min, max) where a trial gives none, by population type. These are
#: assumptions (reported with every result), chosen as typical of the trial populations encoded:
#: adjuvant-AI breast-cancer trials enrol women in their early sixties; premenopausal women on
#: ovarian suppression are in their forties; men in the AI/TRT trials are older men.
DEFAULT_AGE: dict[str, tuple[float, float, float, float]] = {
    "postmenopausal": (63.0, 8.0, 45.0, 90.0),
    "premenopausal": (43.0, 5.0, 25.0, 54.0),
    "perimenopausal": (50.0, 3.0, 40.0, 58.0),
    "female": (55.0, 12.0, 30.0, 90.0),
    "male": (60.0, 12.0, 30.0, 90.0),
}
#: Years added to a lower age bound to get the mean when only ``min`` is published (and its SD).
AGE_ABOVE_MIN_Y = (7.0, 5.0)
#: Adult weight (mean, SD) kg, NHANES 2015-2016 (CDC NCHS Data Brief); truncated to 40-160 kg.
DEFAULT_WEIGHT_KG: dict[str, tuple[float, float]] = {"female": (77.0, 20.0), "male": (90.0, 20.0)}
WEIGHT_LIMITS_KG = (40.0, 160.0)
#: Spread of years since menopause when a trial gives only a positive mean (cohorts whose timeline
#: starts before the final menstrual period get none: ``_ysm_spread``).
YSM_DEFAULT_SD = 0.5
#: Years since menopause the simulator accepts (``Subject.validate``).
YSM_LIMITS = (-20.0, 60.0)
#: Years since menopause a woman of each menopausal status is held to when drawn: the reader's
#: ``STATUS_YSM_RANGE`` (after her final menstrual period if postmenopausal, before it if
#: premenopausal) within ``YSM_LIMITS``.
STATUS_YSM_LIMITS: dict[str, tuple[float, float]] = {
    status: (YSM_LIMITS[0] if lo is None else lo, YSM_LIMITS[1] if hi is None else hi)
    for status, (lo, hi) in STATUS_YSM_RANGE.items()}
#: Baseline lab ranges the simulator accepts (``Subject.validate``), canonical units.
LAB_LIMITS: dict[str, tuple[float, float]] = {"estradiol": (0.5, 2000.0),
                                              "total_testosterone": (1.0, 3000.0),
                                              "vitamin_d_25oh": (2.0, 200.0)}

@dataclass(frozen=True)
class ArmPeople:
    """The virtual people of one arm, as scenarios ready to simulate."""

    arm_id: str
    scenarios: tuple[Scenario, ...]
    assumptions: tuple[str, ...] = ()
    prior_fracture: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))


def trial_rng(trial_id: str, seed: int) -> np.random.Generator:
    """A generator seeded by the run seed and the trial id (same draws for every arm of a trial)."""
    digest = hashlib.sha256(f"{seed}:{trial_id}".encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


@dataclass(frozen=True)
class StandardDraws:
    """Standard-normal and uniform draws shared by the arms of a trial (common random numbers)."""

    normals: dict[str, NDArray[np.float64]]
    n: int

    @classmethod
    def make(cls, rng: np.random.Generator, n: int, names: tuple[str, ...], *,
             stratified: bool = False) -> StandardDraws:
        """``n`` draws per name from ``rng``; ``stratified``: a Latin hypercube over the names
        (``physiology.draws.stratify_by_rank``)."""
        z = np.column_stack([rng.standard_normal(n) for _ in names]) if names else np.empty((n, 0))
        if stratified:
            z = stratify_by_rank(z)
        return cls({name: z[:, j].copy() for j, name in enumerate(names)}, n)

    def get(self, name: str) -> NDArray[np.float64]:
        return self.normals[name]


DRAW_NAMES: tuple[str, ...] = ("age", "weight", "ysm", "estradiol", "total_testosterone",
                               "vitamin_d_25oh", *BMD_SITES, *(f"{s}_t_score" for s in BMD_SITES))


Bound = float | NDArray[np.float64]


def truncated_normal(z: NDArray[np.float64], mean: float, sd: float, lo: Bound,
                     hi: Bound) -> NDArray[np.float64]:
    """Map standard-normal draws onto N(mean, sd) truncated to [lo, hi] by inverse-CDF (monotone);
    ``lo`` and ``hi`` are one bound for everyone or one per draw (``lo <= hi``)."""
    from scipy.stats import norm

    low = np.broadcast_to(np.asarray(lo, dtype=np.float64), z.shape)
    high = np.broadcast_to(np.asarray(hi, dtype=np.float64), z.shape)
    fixed: NDArray[np.float64] = np.minimum(np.maximum(mean, low), high)
    if sd <= 0:
        return fixed.copy()
    a, b = norm.cdf((low - mean) / sd), norm.cdf((high - mean) / sd)
    u = a + norm.cdf(z) * (b - a)
    out: NDArray[np.float64] = np.clip(mean + sd * norm.ppf(np.clip(u, 1e-15, 1 - 1e-15)),
                                       low, high)
    return np.where(b - a < 1e-12, fixed, out)


def lognormal(z: NDArray[np.float64], mean: float, sd: float | None) -> NDArray[np.float64]:
    """Log-normal draws with the given arithmetic mean and SD (fixed at the mean when no SD)."""
    if sd is None or sd <= 0 or mean <= 0:
        return np.full_like(z, mean)
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    mu = math.log(mean) - 0.5 * sigma2
    out: NDArray[np.float64] = np.exp(mu + math.sqrt(sigma2) * z)
    return out


def _dist_draws(z: NDArray[np.float64], dist: Distribution, default_sd: float, lo: Bound,
                hi: Bound, default_mean: float | None = None) -> NDArray[np.float64]:
    """Draws from ``dist`` truncated to its bounds and [lo, hi] (one for all or one per draw); a
    distribution published as one bound only (no mean) is the default N(default_mean,
    default_sd) truncated at that bound."""
    lo = np.maximum(lo, dist.minimum) if dist.minimum is not None else lo
    hi = np.minimum(hi, dist.maximum) if dist.maximum is not None else hi
    centre = dist.centre if dist.centre is not None else default_mean
    if centre is None:
        raise ValueError("a distribution without a centre needs a default mean")
    sd = dist.sd if dist.sd is not None else default_sd
    return truncated_normal(z, centre, sd, lo, hi)


def _one_bound(dist: Distribution) -> str:
    """'at least 60' or 'at most 85': the bound of a distribution published without a centre."""
    return (f"at least {dist.minimum:g}" if dist.minimum is not None
            else f"at most {dist.maximum:g}")


def draw_ages(pop: Population, z: NDArray[np.float64]) -> tuple[NDArray[np.float64], list[str]]:
    """Ages in years, with a note of what was assumed."""
    key = pop.menopausal_status or (pop.sex or "female")
    mean, sd, lo, hi = DEFAULT_AGE[key]
    dist = pop.age_y
    if dist is None:
        return truncated_normal(z, mean, sd, lo, hi), [f"age assumed {mean:g} ± {sd:g} y ({key})"]
    notes: list[str] = []
    if dist.mean is None and dist.minimum is not None and dist.maximum is None:
        add, add_sd = AGE_ABOVE_MIN_Y
        dist = Distribution(mean=dist.minimum + add, sd=dist.sd or add_sd, minimum=dist.minimum)
        notes.append(f"age assumed {dist.mean:g} ± {dist.sd:g} y (only a lower bound published)")
    elif dist.centre is None:  # only an upper bound published
        notes.append(f"age assumed {mean:g} ± {sd:g} y ({key}), {_one_bound(dist)} y as published")
        return _dist_draws(z, dist, sd, lo, hi, default_mean=mean), notes
    elif dist.sd is None:
        width = ((dist.maximum - dist.minimum) / 4.0
                 if dist.minimum is not None and dist.maximum is not None else sd)
        dist = replace(dist, sd=width)
        notes.append(f"age SD assumed {width:g} y")
    return _dist_draws(z, dist, sd, 18.0, 105.0), notes


def draw_people(trial: Trial, arm: Arm, draws: StandardDraws) -> ArmPeople:
    """Virtual people for ``arm`` (``draws.n`` of them) as scenarios up to the trial's horizon."""
    pop = arm.population
    assert pop.sex is not None
    n = draws.n
    notes: list[str] = []
    ages, age_notes = draw_ages(pop, draws.get("age"))
    notes += age_notes
    ysm_given = pop.years_since_menopause
    ysm: NDArray[np.float64] | None
    if pop.sex == "female" and pop.age_y is None and ysm_given is not None \
            and ysm_given.centre is not None:
        # Cohorts timed by the final menstrual period: age follows from the age at menopause.
        ysm = _dist_draws(draws.get("ysm"), ysm_given, _ysm_spread(ysm_given),
                          *status_ysm_limits(pop.menopausal_status))
        ages = np.clip(MENOPAUSE_AGE_Y + MENOPAUSE_AGE_SD_Y * draws.get("age") + ysm,
                       35.0, 95.0)
        notes[:len(age_notes)] = [f"age assumed {MENOPAUSE_AGE_Y:g} ± {MENOPAUSE_AGE_SD_Y:g} y at "
                                  "menopause plus years since menopause"]
    else:
        ysm = _years_since_menopause(pop, ages, _ysm_normals(pop, ages, draws, notes), notes)
    mean_kg, sd_kg = DEFAULT_WEIGHT_KG[pop.sex]
    if pop.weight_kg is not None:
        weights = _dist_draws(draws.get("weight"), pop.weight_kg, sd_kg, *WEIGHT_LIMITS_KG,
                              default_mean=mean_kg)
        if pop.weight_kg.centre is None:
            notes.append(f"weight assumed {mean_kg:g} ± {sd_kg:g} kg, "
                         f"{_one_bound(pop.weight_kg)} kg as published")
    else:
        weights = truncated_normal(draws.get("weight"), mean_kg, sd_kg, *WEIGHT_LIMITS_KG)
        notes.append(f"weight assumed {mean_kg:g} ± {sd_kg:g} kg")
    labs = {name: _lab_draws(pop, name, draws.get(name))
            for name in ("estradiol", "total_testosterone", "vitamin_d_25oh")}
    centred = {name: dist for name, dist in pop.baseline.items() if dist.centre is not None}
    notes += [f"baseline {name} published only as {_one_bound(dist)}: not used"
              for name, dist in pop.baseline.items() if dist.centre is None]
    bmd = {site: _dist_draws(draws.get(site), centred[site], 0.0, 0.3, 2.0)
           for site in BMD_SITES if site in centred}
    t_scores = {site: _dist_draws(draws.get(f"{site}_t_score"), centred[f"{site}_t_score"],
                                  0.0, -5.0, 4.0)
                for site in BMD_SITES if f"{site}_t_score" in centred}
    notes += background_regimens(trial)[1]
    notes += [dose.note for dose in assumed_doses(trial, arm)]
    lifestyle = simulation_lifestyle(pop.lifestyle)
    from_t0 = (simulation_lifestyle(merge_lifestyle(pop.lifestyle, arm.lifestyle))
               if arm.lifestyle is not None else None)
    drug_regimens = arm_regimens(trial, arm)
    horizon_y = max(trial.horizon_d / 365.25, 1.0 / 365.25)
    scenarios = []
    for i in range(n):
        subject = Subject(
            sex=pop.sex,
            age_y=float(ages[i]),
            weight_kg=float(weights[i]),
            years_since_menopause=None if ysm is None else float(ysm[i]),
            estradiol_pg_ml=_opt_item(labs["estradiol"], i),
            total_testosterone_ng_dl=_opt_item(labs["total_testosterone"], i),
            vitamin_d_25oh_ng_ml=_opt_item(labs["vitamin_d_25oh"], i),
            bmd_g_cm2={site: float(v[i]) for site, v in bmd.items()},
            t_scores={site: float(v[i]) for site, v in t_scores.items()},
            breast_cancer=bool(pop.breast_cancer),
            lifestyle=lifestyle,
        )
        scenarios.append(Scenario(subject=subject, regimens=drug_regimens, years=horizon_y,
                                  label=f"{trial.id}:{arm.id}", lifestyle_from_t0=from_t0))
    return ArmPeople(arm_id=arm.id, scenarios=tuple(scenarios), assumptions=tuple(notes),
                     prior_fracture=np.zeros(n, dtype=bool))


def median_draws() -> StandardDraws:
    """One set of draws at the median of every standard normal (z = 0): the person whose every
    characteristic sits at the middle of its distribution."""
    return StandardDraws({name: np.zeros(1) for name in DRAW_NAMES}, 1)


def representative_scenario(trial: Trial, arm: Arm) -> Scenario:
    """The arm's median person (``median_draws``) with its regimens and the trial's background
    therapy, to the trial's horizon: what the arm's caveats are judged on."""
    return draw_people(trial, arm, median_draws()).scenarios[0]


def arm_regimens(trial: Trial, arm: Arm) -> tuple[Regimen, ...]:
    """What every person of ``arm`` takes, as simulation regimens: the arm's own, then the trial's
    background therapy (``background.background_regimens``)."""
    return tuple(to_regimen(reg) for reg in (*arm.regimens, *background_regimens(trial)[0]))


def _opt_item(values: NDArray[np.float64] | None, i: int) -> float | None:
    return None if values is None else float(values[i])


def _lab_draws(pop: Population, name: str, z: NDArray[np.float64]) -> NDArray[np.float64] | None:
    dist = pop.baseline.get(name)
    if dist is None or dist.centre is None:
        return None
    values = lognormal(z, dist.centre, dist.sd)
    lo, hi = LAB_LIMITS[name]
    lo = max(lo, dist.minimum) if dist.minimum is not None else lo
    hi = min(hi, dist.maximum) if dist.maximum is not None else hi
    return np.clip(values, lo, hi)


def _ysm_spread(dist: Distribution) -> float:
    """SD of years since menopause where a trial gives none.

    A timeline that starts before the final menstrual period (mean <= 0) can only have been set
    by aligning each woman on her own FMP (it is known only in retrospect), so
    every woman sits at the same time from her FMP; otherwise ``YSM_DEFAULT_SD``.
    """
    centre = dist.centre
    return 0.0 if centre is not None and centre <= 0.0 else YSM_DEFAULT_SD


def status_ysm_limits(status: str | None) -> tuple[float, float]:
    """Years since menopause a woman of menopausal ``status`` may have (``STATUS_YSM_LIMITS``;
    the simulator's ``YSM_LIMITS`` when the status is not given or perimenopausal)."""
    return STATUS_YSM_LIMITS.get(status or "", YSM_LIMITS)


def ysm_bounds(status: str | None, ages: NDArray[np.float64]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-person bounds on years since menopause drawn beside an age: those of the menopausal
    status (``status_ysm_limits``) and those that put the age at menopause (age minus years since
    it) within ``reader.MENOPAUSE_AGE_RANGE_Y``, the range the reader holds a population's means
    to. Where the two cannot both hold (a "postmenopausal" woman drawn younger than 30) the
    status wins: she is at its bound."""
    lo, hi = status_ysm_limits(status)
    earliest, latest = MENOPAUSE_AGE_RANGE_Y
    high = np.maximum(np.minimum(hi, ages - earliest), lo)
    low = np.minimum(np.maximum(lo, ages - latest), high)
    return low, high


def age_ysm_correlation(age_sd_y: float, ysm_sd_y: float,
                        menopause_age_sd_y: float = MENOPAUSE_AGE_SD_Y) -> float:
    """Correlation between a woman's age and her years since menopause when both are drawn from
    published spreads (SD, years) and the age at menopause (age minus years since it) varies by
    ``menopause_age_sd_y`` independently of the years since: var(M) = var(A) + var(Y) −
    2ρ·sd(A)·sd(Y) solved for ρ, held to [0, 1] (spreads the three cannot share give the nearest
    feasible correlation)."""
    if age_sd_y <= 0.0 or ysm_sd_y <= 0.0:
        return 0.0
    rho = (age_sd_y ** 2 + ysm_sd_y ** 2 - menopause_age_sd_y ** 2) / (2.0 * age_sd_y * ysm_sd_y)
    return float(min(max(rho, 0.0), 1.0))


def _ysm_normals(pop: Population, ages: NDArray[np.float64], draws: StandardDraws,
                 notes: list[str]) -> NDArray[np.float64]:
    """The standard normals years since menopause are drawn from: where a woman's age and her years
    since menopause both come with a published spread, joined to her age's normal (a Gaussian
    copula) with ``age_ysm_correlation`` of the drawn ages' spread and the published one, so that
    the age at menopause spreads as ``MENOPAUSE_AGE_SD_Y`` (drawn independently, a woman of 55
    and one of 75 would be as likely to be 20 years past it); otherwise the draws' own."""
    z_ysm = draws.get("ysm")
    dist = pop.years_since_menopause
    if (pop.sex != "female" or dist is None or dist.centre is None or dist.sd is None
            or dist.sd <= 0.0 or ages.size < 2):
        return z_ysm
    rho = age_ysm_correlation(float(np.std(ages)), dist.sd)
    if rho <= 0.0:
        return z_ysm
    notes.append(f"years since menopause drawn with correlation {rho:.2f} to age, so the age at "
                 f"menopause spreads about ± {MENOPAUSE_AGE_SD_Y:g} y")
    z_age = draws.get("age")
    z: NDArray[np.float64] = rho * z_age + math.sqrt(1.0 - rho ** 2) * z_ysm
    return z


def _years_since_menopause(pop: Population, ages: NDArray[np.float64], z: NDArray[np.float64],
                           notes: list[str]) -> NDArray[np.float64] | None:
    """Years since menopause of women aged ``ages`` drawn from ``z`` (``_ysm_normals``): from the
    published distribution held to ``ysm_bounds``, else as the menopausal status implies."""
    if pop.sex != "female":
        return None
    dist = pop.years_since_menopause
    if dist is not None and dist.centre is not None:
        return _dist_draws(z, dist, _ysm_spread(dist), *ysm_bounds(pop.menopausal_status, ages))
    if dist is not None:  # only a bound published: the default below, held to that bound
        notes.append(f"years since menopause {_one_bound(dist)} y as published")
        default = _years_since_menopause(replace(pop, years_since_menopause=None), ages, z, notes)
        assert default is not None
        return np.clip(default, dist.minimum if dist.minimum is not None else YSM_LIMITS[0],
                       dist.maximum if dist.maximum is not None else YSM_LIMITS[1])
    status = pop.menopausal_status
    if status == "premenopausal":
        notes.append(f"premenopausal: final menstrual period assumed at {MENOPAUSE_AGE_Y:g} y")
        return np.clip(ages - MENOPAUSE_AGE_Y, YSM_LIMITS[0], -1.0)
    if status == "perimenopausal":
        return np.clip(ages - MENOPAUSE_AGE_Y, -2.0, 0.9)  # within YSM_LIMITS
    notes.append(f"years since menopause assumed age - {MENOPAUSE_AGE_Y:g} (at least 1 y)"
                 if status == "postmenopausal" else
                 f"menopause assumed at {MENOPAUSE_AGE_Y:g} y (status not given)")
    if status == "postmenopausal":
        return np.maximum(ages - MENOPAUSE_AGE_Y, 1.0)
    return np.clip(ages - MENOPAUSE_AGE_Y, *YSM_LIMITS)


CALCIUM_DRUGS = ("calcium_carbonate", "calcium_citrate")


def simulation_lifestyle(record: RecordLifestyle | None) -> Lifestyle:
    """A trial's lifestyle block (patient-file fields) as a simulation lifestyle; unset = typical.

    Supplements listed in a lifestyle are habitual; calcium and vitamin D given by protocol are
    regimens (they start at study start, after the person has equilibrated at their habits).
    """
    base = Lifestyle()
    if record is None:
        return base
    return Lifestyle(
        dietary_calcium_mg_d=_or(record.dietary_calcium_mg_d, base.dietary_calcium_mg_d),
        supplemental_calcium_mg_d=record.supplement_total(*CALCIUM_DRUGS),
        vitamin_d_iu_d=record.supplement_total("vitamin_d3"),
        protein_g_kg_d=_or(record.protein_g_kg_d, base.protein_g_kg_d),
        resistance_sessions_per_week=_or(record.resistance_sessions_per_week,
                                         base.resistance_sessions_per_week),
        resistance_intensity=record.resistance_intensity or base.resistance_intensity,
        impact_sessions_per_week=_or(record.impact_sessions_per_week,
                                     base.impact_sessions_per_week),
        weight_bearing_aerobic_minutes_per_week=_or(
            record.weight_bearing_aerobic_minutes_per_week,
            base.weight_bearing_aerobic_minutes_per_week),
    )


def check_simulable(trial: Trial) -> None:
    """Refuse what the simulator cannot run, naming the trial file's field (``endpoints[i].at``,
    ``arms[i].regimens[j].<field>``) rather than the simulator's; the reader refuses the same values
    up front, so this guards trials built in code and the packaged background therapy."""
    from osteotwin.simulate.scenario import MAX_YEARS
    from osteotwin.trials.reader import beyond_horizon

    for i, endpoint in enumerate(trial.endpoints):
        if not endpoint.at_d <= MAX_YEARS * 365.25:
            raise beyond_horizon(f"endpoints[{i}].at", endpoint.at_text)
    for i, arm in enumerate(trial.arms):
        for j, regimen in enumerate(arm.regimens):
            to_regimen(regimen).validate(f"arms[{i}].regimens[{j}]")
    for regimen in background_regimens(trial)[0]:
        to_regimen(regimen).validate(f"background therapy ({regimen.drug})")


@dataclass(frozen=True)
class AssumedDose:
    """The usual labelled dose the simulator gives a regimen whose dose the trial file does not
    (``dose: null``; ``osteotwin.simulate.dosing.TYPICAL_DOSES``), for reporting."""

    drug: str
    dose: float
    unit: str  # "mg" or "IU"
    every_d: float | None  # None: a continuous product, ``dose`` per day

    @property
    def text(self) -> str:
        from osteotwin.simulate.dosing import DOSE_PER_DAY

        if self.every_d is None:
            return f"{self.dose:g} {self.unit}/d (continuous)"
        if self.drug in DOSE_PER_DAY:
            return f"{self.dose:g} {self.unit}/d (changed every {self.every_d:g} d)"
        return f"{self.dose:g} {self.unit} every {self.every_d:g} d"

    @property
    def note(self) -> str:
        if self.dose == 0.0:
            return (f"{self.drug} dose not given and no usual dose known: simulated without "
                    "the drug's effect")
        return f"{self.drug} dose not given: the usual labelled dose, {self.text}, assumed"

    def to_json(self) -> dict[str, object]:
        return {"drug": self.drug, "dose": self.dose, "unit": self.unit, "every_d": self.every_d,
                "note": self.note}


def assumed_doses(trial: Trial, arm: Arm) -> list[AssumedDose]:
    """The doses assumed for ``arm``'s regimens (its own and the trial's background therapy) that
    give none, as the simulator fills them in (``simulate.dosing._dose``: the route's usual dose,
    else the drug's; the file's ``every`` when given, else the usual interval)."""
    from osteotwin.simulate.dosing import TYPICAL_DOSES, TYPICAL_DOSES_BY_ROUTE

    found: list[AssumedDose] = []
    for reg in (*arm.regimens, *background_regimens(trial)[0]):
        if reg.dose_mg is not None or reg.dose_iu is not None:
            continue
        regimen = to_regimen(reg)
        dose, every = TYPICAL_DOSES_BY_ROUTE.get((regimen.drug, regimen.route),
                                                 TYPICAL_DOSES.get(regimen.drug, (0.0, 1.0)))
        found.append(AssumedDose(drug=regimen.drug, dose=float(dose), unit=regimen.dose_unit,
                                 every_d=reg.every_d if reg.every_d is not None else every))
    return found


def to_regimen(reg: TrialRegimen) -> Regimen:
    """A trial regimen as a simulation regimen (route defaults to the drug's usual route)."""
    from osteotwin.simulate.scenario import _default_route

    return Regimen(drug=reg.drug, dose_mg=reg.dose_mg, dose_iu=reg.dose_iu,
                   route=reg.route or _default_route(reg.drug), every_d=reg.every_d,
                   start_d=reg.start_d, stop_d=reg.stop_d)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
