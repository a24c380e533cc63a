"""The simulation API: who is simulated (Subject), on what (Regimen), how they live (Lifestyle).

A :class:`Scenario` is a subject, their regimens and a horizon. Times are days relative to the
scenario start (t = 0: the patient file's ``as_of`` date, or a trial's study start); a regimen may
start before t = 0 (prior therapy). Each subject is equilibrated at their own untreated baseline
(their pre-treatment estradiol, calcium intake and activity) before the earliest regimen starts;
results are reported relative to the state at t = 0.

Typical lifestyle defaults are documented per field (sources: IOM 2011 dietary reference intakes for
calcium and vitamin D, NHANES 2009-2010 intakes; see ``docs/model.md``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from osteotwin.errors import UserInputError
from osteotwin.records.drugs import DOSE_LIMITS, ROUTES, daily_average_problem, route_problem
from osteotwin.units import LAB_SPECS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from osteotwin.records.patient import PatientRecord

Sex = Literal["male", "female"]
Intensity = Literal["light", "moderate", "high"]

#: Drugs the model simulates (names as in spec/codes.yaml), grouped by what the model does with them.
AROMATASE_INHIBITORS = ("anastrozole", "letrozole", "exemestane")
ANDROGENS = ("testosterone_cypionate", "testosterone_enanthate", "testosterone_undecanoate",
             "testosterone_gel")
ESTROGENS = ("estradiol_transdermal", "estradiol_oral")
BISPHOSPHONATES = ("alendronate", "risedronate", "zoledronic_acid")
SUPPLEMENTS = ("vitamin_d3", "calcium_carbonate", "calcium_citrate")
#: Products dosed as a rate per day (a gel's daily amount, a patch's delivery rate), so a dose
#: without an interval is expected.
DAILY_RATE_PRODUCTS = ("testosterone_gel", "estradiol_transdermal")
#: Gonadotropins: hCG drives testicular testosterone and estradiol (men).
GONADOTROPINS = ("hcg",)
#: Drugs accepted but without a modelled effect (no human bone evidence, or not in scope).
NO_MODELLED_EFFECT = ("gonadorelin", "sermorelin", "ipamorelin", "cjc_1295", "ibutamoren",
                      "vitamin_k2_mk7", "magnesium")
#: Depot GnRH agonists the record may hold that the simulator gives as goserelin (one PK model:
#: each suppresses the gonads for its labelled interval; Zoladex, Decapeptyl/Trelstar, Lupron labels).
GOSERELIN_EQUIVALENT = ("triptorelin", "leuprorelin")
#: Drugs that move the sex hormones the model follows (estradiol, testosterone, LH): their doses
#: mark a "pre-treatment" result and their dosing cycles the hormone averages
#: (``averaging.summary_window_d``).
SEX_HORMONE_DRUGS: tuple[str, ...] = (*AROMATASE_INHIBITORS, *ANDROGENS, *ESTROGENS, "tamoxifen",
                                      "goserelin", *GONADOTROPINS)
SIMULATED_DRUGS: tuple[str, ...] = (
    *AROMATASE_INHIBITORS, "tamoxifen", *ESTROGENS, *ANDROGENS, *BISPHOSPHONATES, "denosumab",
    "goserelin", *GONADOTROPINS, *SUPPLEMENTS, *NO_MODELLED_EFFECT,
)
SITES = ("lumbar_spine", "total_hip", "femoral_neck")
#: Untreated total testosterone assumed for a man recorded as hypogonadal without a pre-treatment
#: result: just below the Endocrine Society 2018 lower limit (264 ng/dL; Bhasin et al., JCEM
#: 103:1715).
HYPOGONADAL_TESTOSTERONE_NG_DL = 250.0
MAX_YEARS = 30.0
#: Dosing intervals the simulator accepts (days): from 6-hourly to a zoledronic acid infusion
#: every 3 years (18-monthly single infusions: Reid et al. 2018 N Engl J Med 379:2407).
MIN_INTERVAL_D, MAX_INTERVAL_D = 0.25, 1100.0
#: Median age at the final menstrual period, used when a woman's status or timing is not on file
#: (SWAN, clinical_facts.md).
AGE_AT_MENOPAUSE_Y = 51.0
#: A premenopausal woman (regular cycles, STRAW+10 stage -3 or earlier) is taken to have her final
#: period at least this many years ahead: the menopausal transition (stages -2 and -1) lasts about
#: 4 years before it (Harlow et al. 2012 J Clin Endocrinol Metab 97:1159).
PREMENOPAUSE_MIN_YEARS_TO_FMP = 4.0


#: Lowest estradiol measured on treatment that the simulation matches (pg/mL): the most sensitive
#: LC-MS/MS assays quantify down to the sub-pg/mL range, immunoassays far higher (Rosner et al. 2013
#: J Clin Endocrinol Metab 98:1376, Endocrine Society position statement); a lower result reads as
#: undetectable and is not matched.
ON_TREATMENT_E2_MIN_PG_ML = 0.1


@dataclass(frozen=True)
class Regimen:
    """One drug regimen.

    ``dose_mg`` is mass per administration (per day when ``every_d`` is None, e.g. gels; an
    estradiol patch's dose is its delivery rate, µg/day given as mg/day, whatever ``every_d``,
    which is then how often the patch is changed). Drugs dosed in IU (vitamin D3,
    hCG; ``records.drugs.DOSE_LIMITS``) use ``dose_iu``. ``start_d``/``stop_d`` are days from
    scenario start (may be negative); ``stop_d`` None = ongoing.
    """

    drug: str
    dose_mg: float | None = None
    dose_iu: float | None = None
    route: str = "oral"
    every_d: float | None = 1.0
    start_d: float = 0.0
    stop_d: float | None = None

    @property
    def dose_unit(self) -> str:
        """"IU" or "mg": the unit this drug is dosed in (``DOSE_LIMITS``; mg when not listed)."""
        limit = DOSE_LIMITS.get(self.drug)
        return limit.unit if limit is not None else "mg"

    @property
    def dose(self) -> float | None:
        """The dose in ``dose_unit`` (None when the source gives none)."""
        return self.dose_iu if self.dose_unit == "IU" else self.dose_mg

    def validate(self, where: str = "regimen") -> None:
        """Raise UserInputError naming the field, value and what is accepted."""
        if self.drug not in SIMULATED_DRUGS:
            raise UserInputError(f"{where}.drug", self.drug, ", ".join(SIMULATED_DRUGS),
                                 problem="unknown drug")
        if self.route not in ROUTES:
            raise UserInputError(f"{where}.route", self.route, ", ".join(ROUTES),
                                 problem="unknown route")
        wrong_route = route_problem(self.drug, self.route)
        if wrong_route is not None:
            raise UserInputError(f"{where}.route", self.route, wrong_route,
                                 problem="not a route this drug is given by")
        limit = DOSE_LIMITS.get(self.drug)
        dose, unit = self.dose, self.dose_unit
        wrong, wrong_unit = (self.dose_mg, "mg") if unit == "IU" else (self.dose_iu, "IU")
        if wrong is not None:
            raise UserInputError(f"{where}.dose", f"{wrong:g} {wrong_unit}",
                                 f"a dose in {unit} for {self.drug}", problem="wrong dose unit")
        if dose is not None:
            if not math.isfinite(dose) or dose <= 0:
                raise UserInputError(f"{where}.dose", dose, f"a positive dose in {unit}",
                                     problem="implausible dose")
            if limit is not None and dose > limit.maximum:
                raise UserInputError(f"{where}.dose", dose,
                                     f"at most {limit.maximum:g} {unit} for {self.drug}",
                                     problem="implausible dose")
            single = (self.every_d is None and self.stop_d is not None
                      and self.stop_d - self.start_d <= 1.0)  # one day's dose (a one-off)
            too_often = None if single else daily_average_problem(self.drug, dose, self.every_d,
                                                                   self.route)
            if too_often is not None:
                shown = f"{dose:g} {unit}" + (f" every {self.every_d:g} d" if self.every_d else " a day")
                raise UserInputError(f"{where}.dose", shown, too_often,
                                     problem="implausible daily amount (too often, or a unit mix-up?)")
        if self.every_d is not None and (not math.isfinite(self.every_d) or not
                                         MIN_INTERVAL_D <= self.every_d <= MAX_INTERVAL_D):
            raise UserInputError(f"{where}.every", self.every_d,
                                 f"an interval from {MIN_INTERVAL_D:g} to {MAX_INTERVAL_D:g} days, "
                                 "or none for continuous", problem="implausible dosing interval")
        if not math.isfinite(self.start_d) or abs(self.start_d) > MAX_YEARS * 365.25:
            raise UserInputError(f"{where}.start", self.start_d,
                                 f"days within ±{MAX_YEARS:g} years of scenario start")
        if self.stop_d is not None and (not math.isfinite(self.stop_d)
                                        or self.stop_d <= self.start_d):
            raise UserInputError(f"{where}.stop", self.stop_d,
                                 f"a time after start ({self.start_d:g} d), or none for ongoing",
                                 problem="stop is not after start")


@dataclass(frozen=True)
class Lifestyle:
    """Habitual intake and activity. Defaults are typical adult values (documented sources).

    dietary calcium 800 mg/d (NHANES adult median intake, IOM 2011); no supplements;
    protein 1.0 g/kg/d; no resistance or impact training; 60 min/week weight-bearing aerobic.
    """

    dietary_calcium_mg_d: float = 800.0
    supplemental_calcium_mg_d: float = 0.0
    vitamin_d_iu_d: float = 0.0
    protein_g_kg_d: float = 1.0
    resistance_sessions_per_week: float = 0.0
    resistance_intensity: Intensity = "moderate"
    impact_sessions_per_week: float = 0.0
    weight_bearing_aerobic_minutes_per_week: float = 60.0

    def validate(self, where: str = "lifestyle") -> None:
        checks: tuple[tuple[str, float, float, float, str], ...] = (
            ("dietary_calcium_mg_d", self.dietary_calcium_mg_d, 0.0, 4000.0, "mg/d"),
            ("supplemental_calcium_mg_d", self.supplemental_calcium_mg_d, 0.0, 3000.0, "mg/d"),
            ("vitamin_d_iu_d", self.vitamin_d_iu_d, 0.0, 50000.0, "IU/d"),
            ("protein_g_kg_d", self.protein_g_kg_d, 0.0, 4.0, "g/kg/d"),
            ("resistance_sessions_per_week", self.resistance_sessions_per_week, 0.0, 14.0,
             "per week"),
            ("impact_sessions_per_week", self.impact_sessions_per_week, 0.0, 14.0, "per week"),
            ("weight_bearing_aerobic_minutes_per_week",
             self.weight_bearing_aerobic_minutes_per_week, 0.0, 3000.0, "min/week"),
        )
        for name, value, low, high, unit in checks:
            if not math.isfinite(value) or not low <= value <= high:
                raise UserInputError(f"{where}.{name}", value, f"{low:g} to {high:g} {unit}")
        if self.resistance_intensity not in ("light", "moderate", "high"):
            raise UserInputError(f"{where}.resistance_intensity", self.resistance_intensity,
                                 "light, moderate, high")


@dataclass(frozen=True)
class Subject:
    """One person. Labs are untreated (pre-treatment) baseline values; None = population typical.

    ``years_since_menopause`` (women) at t = 0; negative = final menstrual period still ahead.
    ``bmd_g_cm2`` / ``t_scores`` map site names (lumbar_spine, total_hip, femoral_neck) to the last
    scan's values, ``bmd_scan_d`` to that scan's day (≤ 0, relative to t = 0; a site not in it was
    scanned at t = 0): the simulation carries an earlier scan to t = 0 along the person's simulated
    course before reporting absolute BMD and T-scores.
    """

    sex: Sex
    age_y: float
    weight_kg: float = 75.0
    height_cm: float | None = None
    years_since_menopause: float | None = None
    estradiol_pg_ml: float | None = None
    total_testosterone_ng_dl: float | None = None
    vitamin_d_25oh_ng_ml: float | None = None
    #: Measured SHBG (nmol/L) for calculated free testosterone; None = population typical.
    shbg_nmol_l: float | None = None
    bmd_g_cm2: dict[str, float] = field(default_factory=dict)
    t_scores: dict[str, float] = field(default_factory=dict)
    breast_cancer: bool = False
    lifestyle: Lifestyle = field(default_factory=Lifestyle)
    #: An estradiol result measured on treatment: (day relative to t = 0, ≤ 0; pg/mL). When no
    #: untreated estradiol is known, the person's own E2 production is scaled so the simulated
    #: E2 (7-day mean before that day) matches it (``simulate.single.subject_inputs``).
    estradiol_on_treatment: tuple[float, float] | None = None
    bmd_scan_d: dict[str, float] = field(default_factory=dict)

    def validate(self, where: str = "subject") -> None:
        if self.sex not in ("male", "female"):
            raise UserInputError(f"{where}.sex", self.sex, "male, female")
        ranges: tuple[tuple[str, float | None, float, float, str], ...] = (
            ("age_y", self.age_y, 18.0, 110.0, "years"),
            ("weight_kg", self.weight_kg, 30.0, 300.0, "kg"),
            ("height_cm", self.height_cm, 120.0, 230.0, "cm"),
            ("years_since_menopause", self.years_since_menopause, -40.0, 60.0, "years"),
            ("estradiol_pg_ml", self.estradiol_pg_ml, 0.5, 2000.0, "pg/mL"),
            ("total_testosterone_ng_dl", self.total_testosterone_ng_dl, 1.0, 3000.0, "ng/dL"),
            ("vitamin_d_25oh_ng_ml", self.vitamin_d_25oh_ng_ml, 2.0, 200.0, "ng/mL"),
            ("shbg_nmol_l", self.shbg_nmol_l, *LAB_SPECS["shbg"].plausible, "nmol/L"),
        )
        for name, value, low, high, unit in ranges:
            if value is not None and (not math.isfinite(value) or not low <= value <= high):
                raise UserInputError(f"{where}.{name}", value, f"{low:g} to {high:g} {unit}")
        if self.estradiol_on_treatment is not None:
            day, value = self.estradiol_on_treatment
            if not (math.isfinite(day) and -MAX_YEARS * 365.25 <= day <= 0.0):
                raise UserInputError(f"{where}.estradiol_on_treatment", day,
                                     "a day on or before scenario start")
            if not (math.isfinite(value) and ON_TREATMENT_E2_MIN_PG_ML <= value <= 2000.0):
                raise UserInputError(f"{where}.estradiol_on_treatment", value,
                                     f"{ON_TREATMENT_E2_MIN_PG_ML:g} to 2000 pg/mL")
        for site, bmd in self.bmd_g_cm2.items():
            if site not in SITES:
                raise UserInputError(f"{where}.bmd_g_cm2", site, ", ".join(SITES))
            if not 0.2 <= bmd <= 2.5:
                raise UserInputError(f"{where}.bmd_g_cm2.{site}", bmd, "0.2 to 2.5 g/cm2")
        for site, score in self.t_scores.items():
            if site not in SITES:
                raise UserInputError(f"{where}.t_scores", site, ", ".join(SITES))
            if not -8.0 <= score <= 6.0:
                raise UserInputError(f"{where}.t_scores.{site}", score, "-8 to 6")
        for site, day in self.bmd_scan_d.items():
            if site not in SITES:
                raise UserInputError(f"{where}.bmd_scan_d", site, ", ".join(SITES))
            if not (math.isfinite(day) and -MAX_YEARS * 365.25 <= day <= 0.0):
                raise UserInputError(f"{where}.bmd_scan_d.{site}", day,
                                     "a day on or before scenario start")
        self.lifestyle.validate(f"{where}.lifestyle")

    @property
    def postmenopausal(self) -> bool:
        """True for a woman at least one year after her final menstrual period at t = 0."""
        if self.sex != "female":
            return False
        if self.years_since_menopause is not None:
            return self.years_since_menopause >= 1.0
        return self.age_y >= 51.0  # median age at menopause (SWAN; clinical_facts.md)


@dataclass(frozen=True)
class Scenario:
    """A subject, their regimens and the horizon in years."""

    subject: Subject
    regimens: tuple[Regimen, ...] = ()
    years: float = 5.0
    label: str = "current course"
    #: Lifestyle lived from t = 0 on (e.g. training added, calcium changed); None = unchanged.
    #: The person is equilibrated on ``subject.lifestyle`` before t = 0.
    lifestyle_from_t0: Lifestyle | None = None
    #: What was assumed where the patient file is silent or beyond the simulator's range (shown
    #: with the results, never silent).
    assumptions: tuple[str, ...] = ()

    def validate(self) -> None:
        """Check every field; raises UserInputError on the first problem found."""
        if not math.isfinite(self.years) or not 0 < self.years <= MAX_YEARS:
            raise UserInputError("years", self.years, f"more than 0 and at most {MAX_YEARS:g}")
        self.subject.validate()
        if self.lifestyle_from_t0 is not None:
            self.lifestyle_from_t0.validate("lifestyle_from_t0")
        for i, regimen in enumerate(self.regimens):
            regimen.validate(f"regimens[{i}]")

    @property
    def horizon_d(self) -> float:
        return self.years * 365.25

    def with_regimens(self, regimens: tuple[Regimen, ...], label: str) -> Scenario:
        return replace(self, regimens=regimens, label=label)

    @classmethod
    def from_record(cls, record: PatientRecord, years: float = 5.0) -> Scenario:
        """Build a scenario from a patient file; medications are carried forward.

        t = 0 is ``record.as_of`` (or today). Medications with a known start keep it (negative days
        for past starts); an unknown start counts as started one year before t = 0, a start more
        than ``MAX_YEARS`` back as that far back, and a medication stopped before then is left
        out; one stopped on its start day is one day of treatment (a single dose). Supplements
        (vitamin D3, calcium) go to lifestyle. Labs and DXA are used as baseline only when dated
        on or before t = 0; estradiol and testosterone are used only when measured before any
        sex-hormone-altering drug started (they describe the untreated baseline the model
        equilibrates at); a man recorded as hypogonadal without such a result is given an
        untreated testosterone of 250 ng/dL. An estradiol measured on treatment is kept as
        ``estradiol_on_treatment`` (the simulation matches it). A woman's menopausal timing
        follows her recorded status (``_years_since_menopause``). Each such choice is listed in
        ``assumptions``; a value the simulator cannot take is refused naming the file's field.
        """
        from osteotwin.records.patient import PatientRecord  # noqa: F401  (typing at runtime)

        as_of = record.as_of or dt.date.today()
        patient = record.patient
        life = record.lifestyle
        lifestyle = Lifestyle(
            dietary_calcium_mg_d=_or(life.dietary_calcium_mg_d, Lifestyle.dietary_calcium_mg_d),
            supplemental_calcium_mg_d=life.supplement_total("calcium_carbonate",
                                                            "calcium_citrate"),
            vitamin_d_iu_d=life.supplement_total("vitamin_d3"),
            protein_g_kg_d=_or(life.protein_g_kg_d, Lifestyle.protein_g_kg_d),
            resistance_sessions_per_week=_or(life.resistance_sessions_per_week, 0.0),
            resistance_intensity=life.resistance_intensity or "moderate",
            impact_sessions_per_week=_or(life.impact_sessions_per_week, 0.0),
            weight_bearing_aerobic_minutes_per_week=_or(
                life.weight_bearing_aerobic_minutes_per_week,
                Lifestyle.weight_bearing_aerobic_minutes_per_week),
        )
        assumptions: list[str] = []
        regimens: list[Regimen] = []
        medication_of: list[int] = []  # regimens[k] comes from medications[medication_of[k]]
        extra_calcium = 0.0
        extra_vitd = 0.0
        earliest = -MAX_YEARS * 365.25
        for i, med in enumerate(record.medications):
            where = med.words()
            start_d = float((med.start - as_of).days) if med.start else -365.25
            stop_d = float((med.stop - as_of).days) if med.stop else None
            if med.start is None:
                assumptions.append(f"{where}: no start on file, taken as one year before "
                                   f"{as_of.isoformat()}")
            if stop_d is not None and stop_d <= start_d:
                stop_d = start_d + 1.0  # stopped on its start day: one day (a single dose)
            if stop_d is not None and stop_d <= earliest:
                assumptions.append(f"{where}: stopped more than {MAX_YEARS:g} years before "
                                   f"{as_of.isoformat()}, not simulated")
                continue
            if start_d < earliest:
                start_d = earliest
                assumptions.append(f"{where}: started more than {MAX_YEARS:g} years before "
                                   f"{as_of.isoformat()}, simulated from then (the longest history "
                                   "the simulator runs)")
            if (med.every_d is None and med.drug not in (*SUPPLEMENTS, *DAILY_RATE_PRODUCTS)
                    and (med.dose_mg is not None or med.dose_iu is not None)):
                assumptions.append(f"{where}: no dosing interval on file, taken as a daily dose")
            ongoing = stop_d is None or stop_d > 0
            if med.drug in ("calcium_carbonate", "calcium_citrate") and ongoing:
                extra_calcium += med.daily_dose_mg() or 0.0
                continue
            if med.drug == "vitamin_d3" and ongoing and med.dose_iu is not None:
                extra_vitd += med.dose_iu / (med.every_d or 1.0)
                continue
            if med.drug in GOSERELIN_EQUIVALENT:
                # every depot GnRH agonist at its labelled dose suppresses the gonads for its
                # interval: simulated as the 28-day goserelin implant over the same course
                assumptions.append(f"{where}: simulated as goserelin 3.6 mg every 28 days over the "
                                   "same course (a depot GnRH agonist at its labelled dose "
                                   "suppresses the gonads as goserelin does)")
                regimens.append(Regimen(drug="goserelin", dose_mg=3.6, route="subcutaneous",
                                        every_d=28.0, start_d=start_d, stop_d=stop_d))
                medication_of.append(i)
                continue
            regimens.append(Regimen(drug=med.drug, dose_mg=med.dose_mg, dose_iu=med.dose_iu,
                                    route=med.route or _default_route(med.drug),
                                    every_d=med.every_d, start_d=start_d, stop_d=stop_d))
            medication_of.append(i)
        assumptions.extend(_overlap_notes(record, regimens, medication_of, as_of))
        lifestyle = replace(
            lifestyle,
            supplemental_calcium_mg_d=lifestyle.supplemental_calcium_mg_d + extra_calcium,
            vitamin_d_iu_d=lifestyle.vitamin_d_iu_d + extra_vitd,
        )
        first_hormone = min((r.start_d for r in regimens if r.drug in SEX_HORMONE_DRUGS),
                            default=math.inf)

        def pre_treatment(test: str) -> float | None:
            lab = record.latest_lab(test, on_or_before=as_of)
            if lab is None or (lab.date - as_of).days >= first_hormone:
                return None
            return lab.value

        later = sorted({f"{lab.test} ({lab.date.isoformat()})" for lab in record.labs
                        if lab.date > as_of}
                       | {f"{scan.site} scan ({scan.date.isoformat()})" for scan in record.dxa
                          if scan.date > as_of})
        if later:
            assumptions.append(f"dated after {as_of.isoformat()}, not used: {', '.join(later)}")
        vit_d = record.latest_lab("vitamin_d_25oh", on_or_before=as_of)
        age = patient.age_on(as_of)
        t_score_applies, why_not = _t_score_applies(record, age)
        bmd: dict[str, float] = {}
        t_scores: dict[str, float] = {}
        scan_d: dict[str, float] = {}
        for site in SITES:
            scans = record.scans_for(site, on_or_before=as_of)
            if not scans:
                continue
            latest = scans[-1]
            if latest.bmd_g_cm2 is not None:
                bmd[site] = latest.bmd_g_cm2
            if t_score_applies and latest.t_score is not None:
                t_scores[site] = latest.t_score
            elif t_score_applies and latest.bmd_g_cm2 is not None:
                computed = _t_score_from_bmd(latest.bmd_g_cm2, site, latest.device)
                if computed is not None:
                    t_scores[site] = computed
                    assumptions.append(f"{site.replace('_', ' ')} T-score not reported: computed "
                                       f"from the scan's BMD ({computed:+.1f}; NHANES III, Looker "
                                       "1998), as the assessment does")
            if site in bmd or site in t_scores:
                scan_d[site] = max(float((latest.date - as_of).days), -MAX_YEARS * 365.25)
        if why_not is not None and any(record.scans_for(site, on_or_before=as_of)
                                       for site in SITES):
            assumptions.append(why_not)
        ysm: float | None = None
        if patient.sex == "female":
            ysm, assumed = _years_since_menopause(patient.menopausal_status, age)
            if assumed:
                assumptions.append(assumed)
        e2_lab = record.latest_lab("estradiol", on_or_before=as_of)
        on_treatment: tuple[float, float] | None = None
        if e2_lab is not None and pre_treatment("estradiol") is None:
            if e2_lab.value >= ON_TREATMENT_E2_MIN_PG_ML:
                on_treatment = (float((e2_lab.date - as_of).days), e2_lab.value)
            else:
                assumptions.append(f"estradiol {e2_lab.value:g} pg/mL on {e2_lab.date.isoformat()} "
                                   f"is below {ON_TREATMENT_E2_MIN_PG_ML:g} pg/mL (undetectable on "
                                   "most assays): not matched, the model's own estradiol used")
        shbg = record.latest_lab("shbg", on_or_before=as_of)
        testosterone = pre_treatment("total_testosterone")
        if testosterone is None and patient.sex == "male" and record.history.hypogonadism:
            testosterone = HYPOGONADAL_TESTOSTERONE_NG_DL
            assumptions.append(f"hypogonadism on file without a testosterone result before "
                               f"treatment: untreated testosterone taken as "
                               f"{HYPOGONADAL_TESTOSTERONE_NG_DL:g} ng/dL")
        typical = _typical_values_used(record, vitamin_d_measured=vit_d is not None)
        if typical:
            assumptions.append("not on file, typical values used (record them if known): "
                               + "; ".join(typical))
        subject = Subject(
            sex=patient.sex, age_y=age, weight_kg=patient.weight_kg or Subject.weight_kg,
            height_cm=patient.height_cm, years_since_menopause=ysm,
            estradiol_pg_ml=pre_treatment("estradiol"), estradiol_on_treatment=on_treatment,
            total_testosterone_ng_dl=testosterone,
            vitamin_d_25oh_ng_ml=vit_d.value if vit_d else None,
            shbg_nmol_l=shbg.value if shbg else None,
            bmd_g_cm2=bmd, t_scores=t_scores, bmd_scan_d=scan_d,
            breast_cancer=bool(record.history.breast_cancer), lifestyle=lifestyle,
        )
        scenario = cls(subject=subject, regimens=tuple(regimens), years=years,
                       assumptions=tuple(assumptions))
        try:
            scenario.validate()
        except UserInputError as err:
            raise _in_file_terms(err, medication_of) from None
        return scenario


def overlapping_pairs(regimens: Sequence[Regimen]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of regimens of the same drug whose courses overlap in time (each from
    ``start_d`` until ``stop_d``, or without end): the simulator gives both, so their doses add."""
    def end(r: Regimen) -> float:
        return math.inf if r.stop_d is None else r.stop_d

    return [(i, j) for i, a in enumerate(regimens) for j in range(i + 1, len(regimens))
            if regimens[j].drug == a.drug and a.drug not in NO_MODELLED_EFFECT
            and max(a.start_d, regimens[j].start_d) < min(end(a), end(regimens[j]))]


def _overlap_notes(record: PatientRecord, regimens: Sequence[Regimen],
                   medication_of: Sequence[int], as_of: dt.date) -> list[str]:
    """A note for each pair of entries of one drug on file over the same time
    (``overlapping_pairs``), naming both: they are simulated as both taken, doses added, never
    one silently dropped (a repeated entry is the record's to correct)."""
    notes = []
    for i, j in overlapping_pairs(regimens):
        first, second = (record.medications[medication_of[k]] for k in (i, j))
        since = as_of + dt.timedelta(days=max(regimens[i].start_d, regimens[j].start_d))
        notes.append(f"{first.drug.replace('_', ' ')} is on file twice over the same time (from "
                     f"{since.isoformat()}): {first.words()} and "
                     f"{second.words()} are both simulated, their doses added; if one "
                     "entry repeats the other, remove it from the record")
    return notes


def _t_score_applies(record: PatientRecord, age_y: float) -> tuple[bool, str | None]:
    """Whether a T-score is followed for this person, as the assessment reads their scans
    (``clinic.densitometry.score_kind``, ISCD: T-scores for postmenopausal women, women in the
    menopausal transition and men aged 50 or over), and why not where it is not: the simulator
    holds no age- and sex-matched reference to follow a Z-score with."""
    from osteotwin.clinic.densitometry import score_kind

    choice = score_kind(record.patient.sex, age_y, record.patient.menopausal_status)
    if choice.kind == "T":
        return True, None
    return False, (f"no T-score projected: {choice.reason}, as the assessment reads the scans; the "
                   "simulator has no age-matched reference for a Z-score, so bone density is "
                   "followed as % change (and g/cm² where the scan gives it)")


def _t_score_from_bmd(bmd_g_cm2: float, site: str, device: str | None) -> float | None:
    """The assessment's T-score from g/cm² (``clinic.densitometry.t_score_from_bmd``: only where a
    published reference for the site and device is packaged), so both read a scan alike."""
    from osteotwin.clinic.densitometry import t_score_from_bmd

    return t_score_from_bmd(bmd_g_cm2, site, device)


def _typical_values_used(record: PatientRecord, *, vitamin_d_measured: bool) -> list[str]:
    """What ``Scenario.from_record`` took from the typical-adult defaults because the record is
    silent (``Lifestyle`` and ``Subject`` defaults; the physiology's own population values)."""
    life, used = record.lifestyle, []
    if record.patient.weight_kg is None:
        used.append(f"weight {Subject.weight_kg:g} kg")
    if life.dietary_calcium_mg_d is None:
        used.append(f"dietary calcium {Lifestyle.dietary_calcium_mg_d:g} mg/d (adult median, IOM 2011)")
    if life.protein_g_kg_d is None:
        used.append(f"protein {Lifestyle.protein_g_kg_d:g} g/kg/d")
    if all(value is None for value in (life.resistance_sessions_per_week, life.impact_sessions_per_week,
                                       life.weight_bearing_aerobic_minutes_per_week)):
        used.append(f"no resistance or impact training, "
                    f"{Lifestyle.weight_bearing_aerobic_minutes_per_week:g} min/week weight-bearing "
                    "aerobic activity")
    if not vitamin_d_measured:
        used.append("25(OH)D not measured: the population's level without supplements (NHANES), "
                    "plus any vitamin D on file")
    return used


def _years_since_menopause(status: str | None, age_y: float) -> tuple[float, str | None]:
    """A woman's years since her final menstrual period at t = 0 from her recorded status, and
    what was assumed (None when the status settles it).

    Postmenopausal: age − 51 (the median age at the final period), at least 1 year.
    Perimenopausal: the final period now (0). Premenopausal: at age 51, but at least
    ``PREMENOPAUSE_MIN_YEARS_TO_FMP`` years ahead. Not recorded: by age, against the median age at
    the final period (before 51 premenopausal as above, from 51 postmenopausal), stated."""
    premenopausal = min(age_y - AGE_AT_MENOPAUSE_Y, -PREMENOPAUSE_MIN_YEARS_TO_FMP)
    postmenopausal = max(age_y - AGE_AT_MENOPAUSE_Y, 1.0)
    if status == "premenopausal":
        return premenopausal, None
    if status == "perimenopausal":
        return 0.0, None
    if status == "postmenopausal":
        return postmenopausal, None
    if age_y < AGE_AT_MENOPAUSE_Y:
        return premenopausal, (f"menopausal status not on file: taken as premenopausal at "
                               f"{math.floor(age_y)} y (final period expected at {age_y - premenopausal:.0f}"
                               f" y; median age {AGE_AT_MENOPAUSE_Y:g}); record the status if not")
    return postmenopausal, (f"menopausal status not on file: taken as postmenopausal at "
                            f"{math.floor(age_y)} y (median age at the final period "
                            f"{AGE_AT_MENOPAUSE_Y:g}); record the status if not")


#: Where each simulator field comes from in the patient file (``_in_file_terms``).
_FILE_FIELDS = {
    "subject.age_y": "patient.birth_date (age)",
    "subject.weight_kg": "patient.weight",
    "subject.height_cm": "patient.height",
    "subject.estradiol_pg_ml": "labs: estradiol",
    "subject.estradiol_on_treatment": "labs: estradiol",
    "subject.total_testosterone_ng_dl": "labs: total_testosterone",
    "subject.vitamin_d_25oh_ng_ml": "labs: vitamin_d_25oh",
    "subject.shbg_nmol_l": "labs: shbg",
    "subject.bmd_g_cm2": "dxa",
    "subject.t_scores": "dxa",
    "subject.lifestyle.dietary_calcium_mg_d": "lifestyle.dietary_calcium",
    "subject.lifestyle.supplemental_calcium_mg_d":
        "calcium supplements (lifestyle.supplements and medications, in total)",
    "subject.lifestyle.vitamin_d_iu_d":
        "vitamin D3 supplements (lifestyle.supplements and medications, in total)",
    "subject.lifestyle.protein_g_kg_d": "lifestyle.protein",
    "subject.lifestyle": "lifestyle",
}


def _in_file_terms(err: UserInputError, medication_of: list[int]) -> UserInputError:
    """``err`` (a simulator field) renamed to the patient-file field it came from: the file was
    read, but its value lies outside the range the simulator is built for."""
    field = err.field
    if field.startswith("regimens["):
        index, _, rest = field[len("regimens["):].partition("]")
        field = f"medications[{medication_of[int(index)]}]{rest}"
    else:
        for model_field, file_field in _FILE_FIELDS.items():
            if field == model_field or field.startswith(model_field + "."):
                field = file_field + field[len(model_field):]
                break
    if field == err.field:
        return err
    outside = "outside the range the simulator is built for"
    problem = outside if err.problem == "invalid value" else f"{err.problem}: {outside}"
    return UserInputError(field, err.value, err.accepted, problem=problem)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _default_route(drug: str) -> str:
    if drug in ("testosterone_cypionate", "testosterone_enanthate", "testosterone_undecanoate"):
        return "intramuscular"
    if drug in ("testosterone_gel", "estradiol_transdermal"):
        return "transdermal"
    if drug == "zoledronic_acid":
        return "intravenous"
    if drug in ("denosumab", "goserelin", "hcg"):
        return "subcutaneous"
    return "oral"
