"""Known departures of the model that apply to a scenario, said next to its predictions.

The model is checked against published trials it was not fitted to (``docs/model.md``, "Known
departures from published physiology"; ``docs/validation.md``, last section). Where a scenario
falls in a situation the model is known to get wrong, its predictions carry the caveat, so the
numbers are never shown without it. Pure functions of the scenario; the texts give the published
result each departure was measured against.

Beside the departures, a label limit the model knows nothing of: a bisphosphonate simulated for a
person whose recorded eGFR is below the creatinine clearance its label sets (``kidney_caveats``;
the scenario holds no kidney function, so the caller passes the record's eGFR, ``recorded_egfr``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from osteotwin.records.drugs import bone_metastases_schedule
from osteotwin.simulate.scenario import NO_MODELLED_EFFECT, Regimen, Scenario
from osteotwin.vocabulary import drug_class

if TYPE_CHECKING:
    from osteotwin.records.patient import PatientRecord

DOCS = "docs/model.md, Known departures from published physiology"
#: Testosterone-gel doses below which the model's testosterone is off by up to a quarter (mg/d of
#: testosterone; Finkelstein et al. 2013 gave 1.25 and 2.5 g of 1 % gel, 12.5 and 25 mg/d; the
#: training castration study 1.25 g of 1.62 % gel, 20 mg/d; its full dose, 81 mg/d, matches).
LOW_GEL_DOSE_MG_D = 30.0
#: How long after stopping tamoxifen its withdrawal still shapes the course (years; MA.17 and the
#: ATAC off-treatment follow-up measured the first 2).
TAMOXIFEN_WITHDRAWAL_Y = 2.0
#: How long after stopping an aromatase inhibitor its recovery still shapes the course (years; the
#: ATAC and IBIS-II off-treatment follow-ups measured the first 2).
AROMATASE_INHIBITOR_RECOVERY_Y = 2.0
#: How long after a denosumab stop its rebound still shapes the course (years: published turnover is
#: above baseline from 6 months after a missed dose, Cummings et al. 2018; the model's stays above
#: it for about 3 years).
DENOSUMAB_REBOUND_Y = 3.0
#: The longest follow-up the model was checked against (years): SWAN's menopause cohort, 10 years
#: (training); treatment trials ran 5 years or less (FREEDOM's extension, ATAC).
LONGEST_CHECKED_FOLLOW_UP_Y = 10.0


@dataclass(frozen=True)
class Caveat:
    """One known departure: a stable code, what to expect, and where it was measured."""

    code: str
    message: str
    source: str
    #: True for a known departure of the model; False for a label limit (``kidney_caveats``)
    departure: bool = True

    def to_json(self) -> dict[str, str]:
        kind = "model_departure" if self.departure else "label_limit"
        return {"code": self.code, "kind": kind, "message": self.message, "source": self.source}


def _ongoing(regimen: Regimen, horizon_d: float) -> bool:
    """Taken at some time between the scenario start and its horizon."""
    return regimen.start_d < horizon_d and (regimen.stop_d is None or regimen.stop_d > 0.0)


def _stopped_within(regimen: Regimen, start_d: float, end_d: float) -> bool:
    return regimen.stop_d is not None and start_d <= regimen.stop_d < end_d


def _taking(s: Scenario, *classes: str) -> bool:
    """A drug of one of ``classes`` (codes.yaml drug classes) is taken during the scenario."""
    return any(drug_class(r.drug) in classes and _ongoing(r, s.horizon_d) for r in s.regimens)


def _estrogen(s: Scenario) -> bool:
    return _taking(s, "estrogen")


def _androgen_deprivation(s: Scenario) -> bool:
    return s.subject.sex == "male" and _taking(s, "gnrh_agonist_depot")


def _aromatase_inhibitor_in_man(s: Scenario) -> bool:
    return s.subject.sex == "male" and _taking(s, "aromatase_inhibitor")


def _aromatase_inhibitor_with_working_ovaries(s: Scenario) -> bool:
    ysm = s.subject.years_since_menopause
    return (s.subject.sex == "female" and ysm is not None and ysm < 0.0
            and _taking(s, "aromatase_inhibitor") and not _taking(s, "gnrh_agonist_depot"))


def _aromatase_inhibitor_after_menopause(s: Scenario) -> bool:
    ysm = s.subject.years_since_menopause
    return (s.subject.sex == "female" and ysm is not None and ysm >= 0.0
            and _taking(s, "aromatase_inhibitor") and not _taking(s, "gnrh_agonist_depot"))


def _bisphosphonate(s: Scenario) -> bool:
    return _taking(s, "bisphosphonate")


def _bisphosphonate_with_ovarian_suppression(s: Scenario) -> bool:
    return (s.subject.sex == "female" and _taking(s, "bisphosphonate")
            and _taking(s, "gnrh_agonist_depot"))


def _antiresorptive(s: Scenario) -> bool:
    return _taking(s, "bisphosphonate", "rankl_inhibitor")


def _metastatic_dose(s: Scenario) -> bool:
    """Denosumab or zoledronic acid at a bone-metastases schedule (Xgeva 120 mg every 4 weeks;
    Zometa 4 mg every 3-4 weeks): the assessment's rule, ``records.drugs.bone_metastases_schedule``."""
    return any(_ongoing(r, s.horizon_d) and bone_metastases_schedule(r.drug, r.dose_mg, r.every_d)
               for r in s.regimens)


def _antiresorptive_beyond_two_years(s: Scenario) -> bool:
    """A bisphosphonate or denosumab course longer than 2 years that is taken after t = 0."""
    def span_end(r: Regimen) -> float:
        return min(s.horizon_d, s.horizon_d if r.stop_d is None else r.stop_d)

    return any(drug_class(r.drug) in ("bisphosphonate", "rankl_inhibitor") and span_end(r) > 0.0
               and span_end(r) - r.start_d > 2.0 * 365.25 for r in s.regimens)


def _denosumab_stopped(s: Scenario) -> bool:
    return any(r.drug == "denosumab"
               and _stopped_within(r, -DENOSUMAB_REBOUND_Y * 365.25, s.horizon_d)
               for r in s.regimens)


def _tamoxifen_before_menopause(s: Scenario) -> bool:
    """Tamoxifen taken by a premenopausal woman without ovarian suppression (Powles et al. 1996's
    population)."""
    ysm = s.subject.years_since_menopause
    return (s.subject.sex == "female" and ysm is not None and ysm < 0.0
            and any(r.drug == "tamoxifen" and _ongoing(r, s.horizon_d) for r in s.regimens)
            and not _taking(s, "gnrh_agonist_depot"))


def _tamoxifen_stopped(s: Scenario) -> bool:
    return any(r.drug == "tamoxifen"
               and _stopped_within(r, -TAMOXIFEN_WITHDRAWAL_Y * 365.25, s.horizon_d)
               for r in s.regimens)


def _aromatase_inhibitor_stopped(s: Scenario) -> bool:
    """An inhibitor stopped within the recovery window or the scenario, none taken after it (a
    switch to another inhibitor is not a stop)."""
    inhibitors = [r for r in s.regimens if drug_class(r.drug) == "aromatase_inhibitor"]
    for r in inhibitors:
        if r.stop_d is None or not _stopped_within(
                r, -AROMATASE_INHIBITOR_RECOVERY_Y * 365.25, s.horizon_d):
            continue
        if not any(o is not r and o.start_d < s.horizon_d and (o.stop_d is None or o.stop_d > r.stop_d)
                   for o in inhibitors):
            return True
    return False


def _low_gel_dose(s: Scenario) -> bool:
    return any(r.drug == "testosterone_gel" and r.dose_mg is not None
               and r.dose_mg < LOW_GEL_DOSE_MG_D and _ongoing(r, s.horizon_d)
               for r in s.regimens)


def _vitamin_d_supplement(s: Scenario) -> bool:
    later = s.lifestyle_from_t0
    return (s.subject.lifestyle.vitamin_d_iu_d > 0.0 or (later is not None and later.vitamin_d_iu_d > 0.0)
            or any(r.drug == "vitamin_d3" and _ongoing(r, s.horizon_d) for r in s.regimens))


def _unmodelled_drug(s: Scenario) -> bool:
    return any(r.drug in NO_MODELLED_EFFECT and _ongoing(r, s.horizon_d) for r in s.regimens)


def _beyond_checked_follow_up(s: Scenario) -> bool:
    return s.years > LONGEST_CHECKED_FOLLOW_UP_Y


RULES: tuple[tuple[Callable[[Scenario], bool], Caveat], ...] = (
    (_estrogen, Caveat(
        "ESTROGEN_THERAPY",
        "Estrogen therapy is outside what the model was calibrated on (only falls in estradiol "
        "were): a standard-dose patch (50 ug/d) gains about 13 % at the spine in 2 years where "
        "estrogen therapy gained 3.5-5 % in 3 years (PEPI), and an ultra-low-dose patch gives "
        "about twice the measured estradiol (16.4 against 8.5 pg/mL at 1 year: a rise from "
        "baseline three times as large) with about four times the spine gain (ULTRA).",
        f"{DOCS}; Writing Group for the PEPI Trial 1996 JAMA 276:1389; Ettinger et al. 2004 "
        "Obstet Gynecol 104:443")),
    (_androgen_deprivation, Caveat(
        "ANDROGEN_DEPRIVATION",
        "Androgen deprivation: the model loses more bone than published, about 2.8 times the "
        "first-year hip loss (Greenspan et al. 2005: -2.5 %), and keeps losing at the spine "
        "after the first year (HALT placebo: -1.0 % over 2 years).",
        f"{DOCS}; Greenspan et al. 2005 J Clin Endocrinol Metab 90:6410; Smith et al. 2009 "
        "N Engl J Med 361:745")),
    (_aromatase_inhibitor_in_man, Caveat(
        "AROMATASE_INHIBITOR_IN_MAN",
        "Aromatase inhibitor in a man: on daily dosing the model's estradiol runs a quarter to a "
        "half below published values (anastrozole 1 mg daily in older men: 12.0 against 17 "
        "pg/mL; twice weekly matches); it raises CTX by about 30 % where published trials saw "
        "no marker change, and LH to about 1.7 times the published level; testosterone and spine "
        "BMD match the training trials.",
        f"{DOCS}; Leder et al. 2004 J Clin Endocrinol Metab 89:1174 and 2005 Osteoporos Int "
        "16:1487; Burnett-Bowie et al. 2009 J Clin Endocrinol Metab 94:4785")),
    (_aromatase_inhibitor_with_working_ovaries, Caveat(
        "AROMATASE_INHIBITOR_WITH_WORKING_OVARIES",
        "Aromatase inhibitor before the menopause without ovarian suppression: the model's ovaries "
        "go on making estradiol as before (it simulates neither the inhibitor's block of ovarian "
        "aromatase nor the gonadotropin-driven escape that follows), so estradiol and bone follow "
        "the untreated course; published practice gives an inhibitor before the menopause only "
        "with ovarian suppression.",
        f"{DOCS}; Burstein et al. 2016 J Clin Oncol 34:1689 (ASCO)")),
    (_aromatase_inhibitor_after_menopause, Caveat(
        "AROMATASE_INHIBITOR_TURNOVER_MARKERS",
        "Aromatase inhibitor after the menopause: the model's resorption marker rises less than "
        "published (CTX about +8 % in the first year, where Z-FAST's letrozole arm measured urine "
        "NTX +20 %); read the CTX change as an underestimate. The BMD changes are the calibrated "
        "part (ATAC, IES, Z-FAST).",
        f"{DOCS}; Brufsky et al. 2007 J Clin Oncol 25:829 (Z-FAST)")),
    (_bisphosphonate, Caveat(
        "BISPHOSPHONATE_MARKERS",
        "Bisphosphonate: CTX and P1NP fall a third to a half as much as published; the BMD gains are "
        "the calibrated part.",
        f"{DOCS}; Sebba et al. 2004 Curr Med Res Opin 20:2031; Grey et al. 2010 J Bone "
        "Miner Res 25:2251")),
    (_bisphosphonate_with_ovarian_suppression, Caveat(
        "BISPHOSPHONATE_WITH_OVARIAN_SUPPRESSION",
        "Bisphosphonate with ovarian suppression: the model's zoledronic acid prevents only about "
        "a third of the loss (anastrozole with goserelin and zoledronic acid 4 mg every 6 months: "
        "spine about -12 % at 3 years against -18 % without it, CTX still about +50 % at 1 "
        "year), where ABCSG-12's zoledronic-acid arms kept BMD stable (-14.4 % at 3 years "
        "without it) and zoledronic acid kept premenopausal women's BMD stable through "
        "chemotherapy (placebo -4.1 % at the spine in 12 months).",
        f"{DOCS}; Gnant et al. 2007 J Clin Oncol 25:820; Hershman et al. 2008 J Clin Oncol "
        "26:4739")),
    (_antiresorptive, Caveat(
        "ANTIRESORPTIVE_FIRST_YEAR",
        "Antiresorptive: first-year spine gains are about 75-80 % of several published trials "
        "outside the training set (weekly alendronate 3.9 against 4.9 %; denosumab in women on an "
        "aromatase inhibitor 4.9 against 6.6 %, in older men 4.6 against 5.7 %), and hip gains "
        "run above some published trials and below others (FREEDOM extension: 5.7 against 7.0 % "
        "at 5 years); the training trials (Z-FAST, ABCSG-18) are matched.",
        f"{DOCS}; docs/validation.md, outside checks: Nakatsukasa et al. 2018 J Bone Miner "
        "Metab; ADAMO, Orwoll et al. 2012 J Clin Endocrinol Metab 97:3161; once-weekly "
        "alendronate in Chinese women, J Bone Miner Metab 2009")),
    (_antiresorptive_beyond_two_years, Caveat(
        "ANTIRESORPTIVE_LONG_TERM",
        "Antiresorptive beyond 2 years: the modelled spine gain levels off after the second year "
        "(and on an aromatase inhibitor falls back), where published gains go on: zoledronic acid "
        "4 mg every 6 months with letrozole +4.3 % at the spine at 5 years in ZO-FAST against the "
        "model's -0.2 %, its Z-FAST difference from delayed treatment 8.9 points at 61 months "
        "against 6.2; denosumab +13.7 % at 5 years against 12.2 (FREEDOM extension). Read later "
        "years as a lower estimate of the gain.",
        f"{DOCS}; docs/validation.md, outside checks: Coleman et al. 2013 Ann Oncol 24:398 "
        "(ZO-FAST); Brufsky et al. 2012 Cancer 118:1192 (Z-FAST); Papapoulos et al. 2012 J Bone "
        "Miner Res 27:694 (FREEDOM extension)")),
    (_denosumab_stopped, Caveat(
        "DENOSUMAB_STOPPED",
        "Denosumab stopped: after 2 years of treatment the modelled spine is back near its "
        "untreated course 18 months after the last dose and about 3 points below it at 30 "
        "months, where published BMD returned to about its pre-treatment level within a year of "
        "stopping; after 8 years it loses about 11 % at the spine and 8 % at the hip in the year "
        "after the missed dose, against 6.7 and 6.6 %; the rise in resorption markers is smaller "
        "than published (CTX about +25 % against 40-60 % above pre-treatment).",
        f"{DOCS}; Cummings et al. 2018 J Bone Miner Res 33:190; McClung et al. 2017 "
        "Osteoporos Int 28:1723; Anastasilakis et al. 2021 J Clin Med 10:152")),
    (_tamoxifen_before_menopause, Caveat(
        "TAMOXIFEN_BEFORE_MENOPAUSE",
        "Tamoxifen before the menopause: the model loses less spine bone than published (about "
        "-0.4 % in the first year, where premenopausal women on tamoxifen 20 mg daily lost about "
        "1.4 % a year at the lumbar spine); read the modelled loss as an underestimate.",
        f"{DOCS}; Powles et al. 1996 J Clin Oncol 14:78")),
    (_tamoxifen_stopped, Caveat(
        "TAMOXIFEN_STOPPED",
        "Tamoxifen stopped: the model loses more spine bone after stopping than published (ATAC "
        "off-treatment: -0.3 % in 2 years, model about -3.1 %); at the total hip the published "
        "2-year losses disagree (MA.17 placebo -0.7 %, ATAC -2.5 %; model about -3.0 %).",
        f"{DOCS}; Eastell et al. 2011 Ann Oncol 22:857 (ATAC); MA.17 bone substudy, Oncology "
        "(Williston Park) 2006;20:1029, Table 3")),
    (_aromatase_inhibitor_stopped, Caveat(
        "AROMATASE_INHIBITOR_STOPPED",
        "Aromatase inhibitor stopped: published recovery differs between trials for like women "
        "(spine +4.0 % in the 2 years after 5 years of anastrozole in ATAC, +1.3 % in IBIS-II; "
        "the model about +2 % for such women). No published recovery after an inhibitor is "
        "stored for men. A man on testosterone therapy regains the therapy's own bone effect as "
        "his estradiol rises back: testosterone enanthate 200 mg every 2 weeks raised older "
        "hypogonadal men's spine 10.2 % and hip 2.7 % in 3 years (the model 7.4 and 3.0 %), so "
        "several percent in the years after stopping is within the published range; without "
        "testosterone therapy, where estradiol rises from a low level the model gains more bone "
        "than the estradiol trials measured (ultra-low-dose patch: 7.8 spine points over placebo "
        "in 2 years against 2.0).",
        f"{DOCS}; Eastell et al. 2011 Ann Oncol 22:857 (ATAC); Sestak et al. 2021 Br J Cancer "
        "124:1373 (IBIS-II); Amory et al. 2004 J Clin Endocrinol Metab 89:503 (outside check); "
        "Ettinger et al. 2004 Obstet Gynecol 104:443 (ULTRA)")),
    (_low_gel_dose, Caveat(
        "LOW_TESTOSTERONE_GEL_DOSE",
        "Low testosterone-gel dose: the model's testosterone is off by up to about a quarter "
        "either way at these doses (13-23 % above the published levels at 12.5 and 25 mg/d of 1 % "
        "gel; 24 % below them at 20 mg/d of 1.62 % gel in the training castration study).",
        f"{DOCS}; Finkelstein et al. 2013 N Engl J Med 369:1011; PMC5792144 Table 1")),
    (_vitamin_d_supplement, Caveat(
        "VITAMIN_D_RESPONSE",
        "Vitamin D supplement: the model raises 25(OH)D by the same amount per IU whatever the "
        "starting level, at the rise measured in deficient women (B-ABLE: about 18 ng/mL per "
        "1,000 IU/d); people already replete rise about half as much, so the modelled 25(OH)D on "
        "a supplement, and the level inferred without one from a result measured on it, can be "
        "too far apart.",
        f"{DOCS}; Heaney et al. 2003 Am J Clin Nutr 77:204; Aloia et al. 2008 Am J Clin Nutr "
        "87:1952")),
    (_metastatic_dose, Caveat(
        "METASTATIC_DOSE_ANTIRESORPTIVE",
        "Antiresorptive at a bone-metastases schedule (denosumab 120 mg every 4 weeks, zoledronic "
        "acid 4 mg every 3-4 weeks): the model's antiresorptive effects were fitted to the "
        "osteoporosis and adjuvant schedules (denosumab 60 mg every 6 months, zoledronic acid "
        "every 6 months or yearly), it has no bone metastases in it, and the BMD of a bone with "
        "metastases is not what it predicts: read these courses as the model's extrapolation, not "
        "as this person's bone.",
        f"{DOCS}; Xgeva and Zometa prescribing information")),
    (_unmodelled_drug, Caveat(
        "NO_MODELLED_EFFECT",
        "A drug on this course is not in the model (gonadorelin, the growth-hormone "
        "secretagogues sermorelin, ipamorelin, CJC-1295 and ibutamoren, vitamin K2 or "
        "magnesium): it is carried with no effect on hormones or bone, so whatever it does is not "
        "in these numbers.",
        "docs/model.md, Inputs (drugs without a modelled effect)")),
    (_beyond_checked_follow_up, Caveat(
        "BEYOND_CHECKED_FOLLOW_UP",
        f"Horizon beyond {LONGEST_CHECKED_FOLLOW_UP_Y:g} years, the longest follow-up the model "
        "was checked against (SWAN's menopause cohort; treatment trials 5 years or less): the "
        "slow parts are extrapolated, the background loss with age and, at the PA spine, the rise "
        "with age from osteophytes and calcification (measured in men of 51-81 at +0.73 %/y), "
        "which the model carries forward: an untreated man of 60 gains about 7 % at the spine in "
        "10 years and 35 % in 30 while his hip loses 13 %. Read long projections as trends, and "
        "the hip before the spine.",
        f"{DOCS}; Greendale et al. 2012 J Bone Miner Res 27:111 (SWAN); Zmuda et al. 2000 J Bone "
        "Miner Res 15:1417")),
)


@dataclass(frozen=True)
class Egfr:
    """A recorded eGFR (mL/min/1.73 m²) and the day it was measured."""

    value: float
    date: dt.date


def recorded_egfr(record: PatientRecord, as_of: dt.date) -> Egfr | None:
    """The latest eGFR on file on or before ``as_of`` (None: none recorded)."""
    lab = record.latest_lab("egfr", on_or_before=as_of)
    return None if lab is None else Egfr(lab.value, lab.date)


@dataclass(frozen=True)
class DoseBand:
    """A creatinine-clearance band (mL/min: from ``low``, up to ``high``, which is in the band only
    where ``high_included``) in which a label reduces the dose to ``dose_mg`` (``dose`` in words)."""

    low: float
    high: float
    dose_mg: float
    dose: str
    high_included: bool = True

    def holds(self, crcl: float) -> bool:
        return self.low <= crcl and (crcl <= self.high if self.high_included else crcl < self.high)

    @property
    def words(self) -> str:
        return f"{self.low:g}-{self.high:g}" if self.high_included else f"{self.low:g} to below {self.high:g}"


@dataclass(frozen=True)
class KidneyLimit:
    """One bisphosphonate product's kidney limit: its drug (``vocabulary`` key) and the dose rule
    that picks the product where one drug has two (``dose_below_mg``: this product below that dose
    per administration); the creatinine clearance (mL/min) below which the label says ``below``; the
    bands above it where the label reduces the dose; the source, and its id in the assessment's
    citation registry (``data/clinic/citations.yaml``)."""

    product: str
    drug: str
    drug_words: str
    dose_rule: str
    crcl_ml_min: float
    below: str  # "contraindicated" or "not recommended"
    source: str
    citation: str
    reduced: tuple[DoseBand, ...] = ()
    dose_below_mg: float | None = None

    def reduced_dose(self, crcl: float) -> DoseBand | None:
        """The label's reduced-dose band that holds ``crcl`` (None: none does)."""
        return next((band for band in self.reduced if band.holds(crcl)), None)


#: Zoledronic acid dose (mg) of the osteoporosis product, Reclast; below it, the oncology product
#: (Zometa: 4 mg, reduced for a clearance of 30-60 mL/min, its label).
RECLAST_DOSE_MG = 5.0
RECLAST = KidneyLimit(
    "Reclast", "zoledronic_acid", "zoledronic acid 5 mg", "5 mg or more a dose, or no dose recorded "
    "(osteoporosis)", 35.0, "contraindicated",
    "Reclast (zoledronic acid) prescribing information, US FDA label 2020", "reclast_label")
ZOMETA = KidneyLimit(
    "Zometa", "zoledronic_acid", "zoledronic acid 4 mg", f"under {RECLAST_DOSE_MG:g} mg a dose "
    "(oncology)", 30.0, "not recommended",
    "Zometa (zoledronic acid) prescribing information, US FDA label 2018 (dosage in renal "
    "impairment: 3.5 mg at a creatinine clearance of 50-60 mL/min, 3.3 mg at 40-49, 3.0 mg at 30-39)",
    "zometa_label",
    # the label's whole-number bands 40-49 and 30-39 read as 40 to below 50 and 30 to below 40
    reduced=(DoseBand(50.0, 60.0, 3.5, "3.5 mg"),
             DoseBand(40.0, 50.0, 3.3, "3.3 mg", high_included=False),
             DoseBand(30.0, 40.0, 3.0, "3.0 mg", high_included=False)),
    dose_below_mg=RECLAST_DOSE_MG)
FOSAMAX = KidneyLimit(
    "Fosamax", "alendronate", "alendronate", "any dose", 35.0, "not recommended",
    "Fosamax (alendronate sodium) prescribing information, US FDA label 2019", "fosamax_label")
ACTONEL = KidneyLimit(
    "Actonel", "risedronate", "risedronate", "any dose", 30.0, "not recommended",
    "Actonel (risedronate sodium) prescribing information, US FDA label 2020", "actonel_label")
#: Oral clodronate (adjuvant, 1600 mg a day): not a drug the model simulates, kept here so the one
#: table holds every bisphosphonate limit osteotwin quotes.
BONEFOS = KidneyLimit(
    "Bonefos", "clodronate", "clodronate", "1600 mg a day (adjuvant)", 10.0, "contraindicated",
    "Bonefos (sodium clodronate) summary of product characteristics, MHRA 2017", "bonefos_smpc",
    reduced=(DoseBand(30.0, 50.0, 1200.0, "1200 mg a day", high_included=False),
             DoseBand(10.0, 30.0, 800.0, "800 mg a day", high_included=False)))
#: The one table of bisphosphonate kidney limits (the products' labels). Labels set their limits in
#: creatinine clearance (Cockcroft-Gault); osteotwin compares the record's eGFR, its screen. The
#: assessment's rule texts (``data/clinic/rules.yaml``, KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE and the
#: kidney variants of DISCUSS_ANTIRESORPTIVE and CONSIDER_ADJUVANT_BISPHOSPHONATE) are written by
#: hand and do not read this table (``tests/clinic/test_rules_kidney_table.py`` holds their thresholds
#: and quoted limits to it); the report's what-if (``reports.whatif``) reads it.
KIDNEY_LIMITS: tuple[KidneyLimit, ...] = (RECLAST, ZOMETA, FOSAMAX, ACTONEL, BONEFOS)


def kidney_limit(regimen: Regimen) -> KidneyLimit | None:
    """The label's kidney limit for ``regimen`` (None: not a bisphosphonate with one stored): where a
    drug has two products, the one whose dose rule the regimen's dose meets (zoledronic acid below
    5 mg a dose is Zometa; 5 mg, or no dose, Reclast)."""
    entries = [limit for limit in KIDNEY_LIMITS if limit.drug == regimen.drug]
    dose = regimen.dose_mg
    by_dose = [limit for limit in entries
               if limit.dose_below_mg is not None and dose is not None and dose < limit.dose_below_mg]
    return next(iter(by_dose or [limit for limit in entries if limit.dose_below_mg is None]), None)


def below_kidney_limit(regimen: Regimen, egfr: Egfr | None) -> KidneyLimit | None:
    """``regimen``'s kidney limit where the recorded ``egfr`` is below it (None: not, or no eGFR)."""
    limit = kidney_limit(regimen)
    return limit if limit is not None and egfr is not None and egfr.value < limit.crcl_ml_min else None


def kidney_caveats(scenario: Scenario, egfr: Egfr | None) -> tuple[Caveat, ...]:
    """A label limit for each bisphosphonate taken during ``scenario`` whose label's creatinine
    clearance is above the recorded ``egfr`` (none without one), and for each simulated above its
    label's reduced dose where the ``egfr`` falls in the label's reduced-dose band. The labels use
    creatinine clearance, the record eGFR: the comparison is the assessment's screen, not the label's
    test."""
    if egfr is None:
        return ()
    ongoing = [r for r in scenario.regimens if _ongoing(r, scenario.horizon_d)]
    limits = dict.fromkeys(limit for r in ongoing if (limit := below_kidney_limit(r, egfr)) is not None)
    reduced = dict.fromkeys(
        (limit, band) for r in ongoing if (limit := kidney_limit(r)) is not None
        and limit not in limits and (band := limit.reduced_dose(egfr.value)) is not None
        and r.dose_mg is not None and r.dose_mg > band.dose_mg)
    on_file = f"the eGFR on file is {egfr.value:g} mL/min/1.73 m² ({egfr.date.isoformat()})"
    return (*(Caveat(
        f"BISPHOSPHONATE_KIDNEY_LIMIT_{limit.product.upper()}",
        f"Kidney function: {limit.drug_words} is {limit.below} below a creatinine clearance of "
        f"{limit.crcl_ml_min:g} mL/min ({limit.product} label), and {on_file}. The model simulates "
        "the drug's bone effect whatever the kidney function; the label uses creatinine clearance "
        "(Cockcroft-Gault), not eGFR, so the clearance is estimated before such a course is "
        "considered.", limit.source, departure=False) for limit in limits),
        *(Caveat(
            f"BISPHOSPHONATE_KIDNEY_DOSE_{limit.product.upper()}",
            f"Kidney function: the {limit.product} label reduces {limit.drug_words} to {band.dose} "
            f"at a creatinine clearance of {band.words} mL/min, and {on_file}. The model simulates "
            "the full dose; the label uses creatinine clearance (Cockcroft-Gault), not eGFR, so the "
            "clearance is estimated before the dose is chosen.", limit.source, departure=False)
          for limit, band in reduced))


def model_caveats(scenario: Scenario, egfr: Egfr | None = None) -> tuple[Caveat, ...]:
    """The known departures that apply to ``scenario`` (in a fixed order; none when none do), then,
    given the record's ``egfr`` (``recorded_egfr``), the label limits of ``kidney_caveats``."""
    return (*(caveat for applies, caveat in RULES if applies(scenario)),
            *kidney_caveats(scenario, egfr))


def caveats_by_course(courses: Iterable[tuple[str, Sequence[Caveat]]]
                      ) -> list[tuple[Caveat, list[str]]]:
    """Group the caveats of courses shown side by side (``(label, model_caveats(scenario))``
    pairs): each departure once, with the labels of the courses it applies to, in order of first
    appearance."""
    found: dict[str, tuple[Caveat, list[str]]] = {}
    for label, caveats in courses:
        for caveat in caveats:
            found.setdefault(caveat.code, (caveat, []))[1].append(label)
    return list(found.values())


__all__ = ["KIDNEY_LIMITS", "RULES", "Caveat", "DoseBand", "Egfr", "KidneyLimit", "below_kidney_limit",
           "caveats_by_course", "kidney_caveats", "kidney_limit", "model_caveats", "recorded_egfr"]
