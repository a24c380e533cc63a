"""Plausible dose limits per drug, used to refuse typos and unit mix-ups (not dosing advice).

Limits are generous upper bounds on a single administration (or a day, for continuous products), set
above the highest labelled or trial dose: anastrozole 1 mg/d (Arimidex label), letrozole 2.5 mg/d
(Femara label), exemestane 25 mg/d (Aromasin label), tamoxifen 20-40 mg/d (Nolvadex label), testosterone
undecanoate 750-1000 mg IM (Aveed/Nebido labels), cypionate/enanthate 50-400 mg IM (labels),
testosterone gel up to 100 mg/d (AndroGel 1.62 % label), alendronate 70 mg weekly, risedronate 150 mg
monthly, zoledronic acid 5 mg yearly / 4 mg 6-monthly (labels; Z-FAST), denosumab 60 mg 6-monthly
(Prolia) and 120 mg (Xgeva), goserelin 10.8 mg depot (Zoladex), triptorelin up to 22.5 mg 6-monthly
(Trelstar) and leuprorelin up to 45 mg 6-monthly (Lupron Depot), estradiol oral up to 2-4 mg/d and
transdermal 0.025-0.1 mg/d (labels), hCG 250-10,000 IU (labels), vitamin D3 up to 600,000 IU a dose
(single yearly or "stoss" boluses: 500,000 IU yearly in Sanders et al. 2010 JAMA 303:1815; 16,000 IU
fortnightly in B-ABLE) but at most 50,000 IU a day on average (``DAILY_AVERAGE_LIMITS``), calcium up to
2,500 mg/d (IOM UL).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from osteotwin.units import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR


@dataclass(frozen=True)
class DoseLimit:
    """Largest plausible single dose (or daily dose for continuous products) and its unit."""

    maximum: float
    unit: str  # "mg" or "IU"


DOSE_LIMITS: dict[str, DoseLimit] = {
    "anastrozole": DoseLimit(10.0, "mg"),
    "letrozole": DoseLimit(25.0, "mg"),
    "exemestane": DoseLimit(200.0, "mg"),
    "tamoxifen": DoseLimit(80.0, "mg"),
    "estradiol_transdermal": DoseLimit(0.4, "mg"),
    "estradiol_oral": DoseLimit(8.0, "mg"),
    "testosterone_cypionate": DoseLimit(1000.0, "mg"),
    "testosterone_enanthate": DoseLimit(1000.0, "mg"),
    "testosterone_undecanoate": DoseLimit(1500.0, "mg"),
    "testosterone_gel": DoseLimit(200.0, "mg"),
    "gonadorelin": DoseLimit(5.0, "mg"),
    "hcg": DoseLimit(20000.0, "IU"),
    "alendronate": DoseLimit(140.0, "mg"),
    "risedronate": DoseLimit(300.0, "mg"),
    "zoledronic_acid": DoseLimit(10.0, "mg"),
    "denosumab": DoseLimit(240.0, "mg"),
    "goserelin": DoseLimit(21.6, "mg"),
    "triptorelin": DoseLimit(45.0, "mg"),
    "leuprorelin": DoseLimit(90.0, "mg"),
    "sermorelin": DoseLimit(10.0, "mg"),
    "ipamorelin": DoseLimit(10.0, "mg"),
    "cjc_1295": DoseLimit(10.0, "mg"),
    "ibutamoren": DoseLimit(100.0, "mg"),
    "vitamin_d3": DoseLimit(600000.0, "IU"),
    "calcium_carbonate": DoseLimit(5000.0, "mg"),
    "calcium_citrate": DoseLimit(5000.0, "mg"),
    "vitamin_k2_mk7": DoseLimit(50.0, "mg"),
    "magnesium": DoseLimit(2000.0, "mg"),
}

#: Largest plausible average daily amount (dose ÷ interval; a per-day dose as it is): a single dose may
#: be large, but not given that often. Generous bounds above the most intensive labelled or trial
#: regimen, so only a typo or a unit mix-up is refused (not dosing advice):
#: - vitamin D3 50,000 IU/d: five times the no-observed-adverse-effect level (10,000 IU/d, IOM 2011)
#:   and seven times the largest prescribed bolus regimen's average (50,000 IU weekly); 10 mg written
#:   for 10 µg would be 400,000 IU/d;
#: - zoledronic acid 0.6 mg/d: 4 mg no sooner than 7 days apart (Zometa label, retreatment of
#:   hypercalcaemia of malignancy; bone metastases 4 mg every 3-4 weeks, osteoporosis 5 mg yearly);
#:   a regimen is moreover at least 21 days apart (``INTERVAL_LIMITS``, checked first);
#: - denosumab 18 mg/d: 120 mg weekly, above Xgeva's loading month (120 mg on days 1, 8, 15 and 29);
#: - alendronate 40 mg/d (Fosamax label, Paget's disease); risedronate 30 mg/d (Actonel label,
#:   Paget's disease); goserelin 0.5 mg/d (3.6 mg every 28 days, Zoladex label: 0.13 mg/d);
#:   triptorelin 0.5 mg/d (3.75 mg every 28 days, Decapeptyl/Trelstar labels: 0.13 mg/d); leuprorelin
#:   1 mg/d (7.5 mg monthly, Lupron Depot/Eligard labels: 0.27 mg/d);
#: - testosterone cypionate/enanthate 100 mg/d (700 mg a week; Bhasin et al. 2001 Am J Physiol
#:   Endocrinol Metab 281:E1172 gave up to 600 mg a week); undecanoate 50 mg/d (Aveed label's
#:   loading 750 mg 4 weeks apart is 27 mg/d); hCG 5,000 IU/d (label: up to 4,000 IU three times a
#:   week, 1,714 IU/d);
#: - the aromatase inhibitors, tamoxifen, oral estradiol and testosterone gel: at most one largest
#:   single dose (``DOSE_LIMITS``) a day (labels: once daily).
DAILY_AVERAGE_LIMITS: dict[str, DoseLimit] = {
    "vitamin_d3": DoseLimit(50000.0, "IU"),
    "zoledronic_acid": DoseLimit(0.6, "mg"),
    "denosumab": DoseLimit(18.0, "mg"),
    "alendronate": DoseLimit(40.0, "mg"),
    "risedronate": DoseLimit(30.0, "mg"),
    "goserelin": DoseLimit(0.5, "mg"),
    "triptorelin": DoseLimit(0.5, "mg"),
    "leuprorelin": DoseLimit(1.0, "mg"),
    "testosterone_cypionate": DoseLimit(100.0, "mg"),
    "testosterone_enanthate": DoseLimit(100.0, "mg"),
    "testosterone_undecanoate": DoseLimit(50.0, "mg"),
    "hcg": DoseLimit(5000.0, "IU"),
    **{drug: DOSE_LIMITS[drug] for drug in ("anastrozole", "letrozole", "exemestane", "tamoxifen",
                                            "estradiol_oral", "testosterone_gel")},
}


#: Oral products of a drug whose injection is a depot: testosterone undecanoate capsules, up to 396 mg
#: twice daily (Jatenzo label; Kyzatrex up to 400 mg twice daily).
ORAL_DAILY_AVERAGE_LIMITS: dict[str, DoseLimit] = {"testosterone_undecanoate": DoseLimit(800.0, "mg")}


def daily_average_problem(drug: str, dose: float, every_d: float | None,
                          route: str | None = None) -> str | None:
    """What is accepted, when ``dose`` every ``every_d`` days (None: a dose per day) by ``route``
    averages more than ``DAILY_AVERAGE_LIMITS`` (oral: ``ORAL_DAILY_AVERAGE_LIMITS`` first) allows
    for ``drug``; None when it is within it (or unlisted)."""
    limit = (route == "oral" and ORAL_DAILY_AVERAGE_LIMITS.get(drug)) or DAILY_AVERAGE_LIMITS.get(drug)
    if limit is None or dose / (every_d or 1.0) <= limit.maximum * (1 + 1e-9):
        return None
    return (f"at most {limit.maximum:g} {limit.unit} of {drug} a day on average (dose ÷ interval); "
            "a larger dose only given less often")


ROUTES = ("oral", "intramuscular", "subcutaneous", "transdermal", "intravenous")

#: The routes each drug is given by (labels; the first is the usual one): a record's or what-if's
#: route outside them is a typo (anastrozole is only made as tablets; zoledronic acid only as an
#: infusion; testosterone enanthate also subcutaneously, Xyosted label; undecanoate also as oral
#: capsules, Jatenzo label; vitamin D also as an intramuscular depot, magnesium also intravenously).
DRUG_ROUTES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("anastrozole", "letrozole", "exemestane", "tamoxifen", "estradiol_oral", "alendronate", "risedronate", "ibutamoren", "calcium_carbonate", "calcium_citrate", "vitamin_k2_mk7"), ("oral",)),
    "estradiol_transdermal": ("transdermal",),
    "testosterone_gel": ("transdermal",),
    "testosterone_cypionate": ("intramuscular", "subcutaneous"),
    "testosterone_enanthate": ("intramuscular", "subcutaneous"),
    "testosterone_undecanoate": ("intramuscular", "oral"),
    "gonadorelin": ("subcutaneous", "intravenous"),
    "hcg": ("subcutaneous", "intramuscular"),
    "zoledronic_acid": ("intravenous",),
    "denosumab": ("subcutaneous",),
    "goserelin": ("subcutaneous",),
    "triptorelin": ("intramuscular",),
    "leuprorelin": ("intramuscular", "subcutaneous"),
    **dict.fromkeys(("sermorelin", "ipamorelin", "cjc_1295"), ("subcutaneous",)),
    "vitamin_d3": ("oral", "intramuscular"),
    "magnesium": ("oral", "intravenous"),
}


def route_problem(drug: str, route: str) -> str | None:
    """What is accepted when ``drug`` is not given by ``route`` (``DRUG_ROUTES``); None when it is."""
    routes = DRUG_ROUTES.get(drug)
    if routes is None or route in routes:
        return None
    return f"{' or '.join(routes)} for {drug}"


SUPPLEMENT_UNITS: dict[str, str] = {
    "vitamin_d3": "IU/d",
    "calcium_carbonate": "mg/d",
    "calcium_citrate": "mg/d",
    "vitamin_k2_mk7": "mg/d",
    "magnesium": "mg/d",
}


# ------------------------------------------------------------------------ oncology schedules
#: Bone-metastases (skeletal-related-event) schedules, managed by oncology: denosumab 120 mg every 4
#: weeks (Xgeva label; the osteoporosis dose is 60 mg every 6 months, Prolia), zoledronic acid 4 mg
#: every 3-4 weeks (Zometa label; ESMO 2020 allows every 12 weeks). Read as such: denosumab from 120 mg a dose or
#: at most 5 weeks apart; zoledronic acid 4 mg at most 3 months apart (a day's slack). Zoledronic acid
#: 4 mg every 6 months is the adjuvant early-breast-cancer schedule (ABCSG-12, ZO-FAST; Dhesy-Thind et
#: al. 2017 J Clin Oncol 35:2062), read as 5 to 7 months apart; 5 mg yearly the osteoporosis one.
ONCOLOGY_DENOSUMAB_MIN_MG = 120.0
ONCOLOGY_DENOSUMAB_MAX_INTERVAL_D = 35.0
ONCOLOGY_ZOLEDRONATE_MG = 4.0
ONCOLOGY_ZOLEDRONATE_MAX_INTERVAL_D = 3 * DAYS_PER_MONTH + 1.0
ADJUVANT_ZOLEDRONATE_INTERVAL_D = (5 * DAYS_PER_MONTH, 7 * DAYS_PER_MONTH)


def _zoledronate_4mg(drug: str, dose_mg: float | None) -> bool:
    return drug == "zoledronic_acid" and dose_mg is not None and abs(dose_mg - ONCOLOGY_ZOLEDRONATE_MG) < 0.5


def bone_metastases_schedule(drug: str, dose_mg: float | None, every_d: float | None) -> bool:
    """An antiresorptive at a bone-metastases schedule (the constants above); one rule for the
    assessment (records' ``Medication``) and the simulator's caveats (its ``Regimen``)."""
    if drug == "denosumab":
        return (dose_mg is not None and dose_mg >= ONCOLOGY_DENOSUMAB_MIN_MG) or (
            every_d is not None and every_d <= ONCOLOGY_DENOSUMAB_MAX_INTERVAL_D)
    return _zoledronate_4mg(drug, dose_mg) and every_d is not None \
        and every_d <= ONCOLOGY_ZOLEDRONATE_MAX_INTERVAL_D


def adjuvant_zoledronate_schedule(drug: str, dose_mg: float | None, every_d: float | None) -> bool:
    """Zoledronic acid 4 mg every 6 months (5 to 7 months apart): the adjuvant breast-cancer schedule."""
    return _zoledronate_4mg(drug, dose_mg) and every_d is not None \
        and ADJUVANT_ZOLEDRONATE_INTERVAL_D[0] <= every_d <= ADJUVANT_ZOLEDRONATE_INTERVAL_D[1]



# ------------------------------------------------------------------------ dosing intervals
@dataclass(frozen=True)
class IntervalLimit:
    """The shortest plausible interval between doses of a drug, what its labels give, and the
    intervals it is usually given at (to suggest the unit meant when one is too short)."""

    minimum_d: float
    labelled: str
    source: str
    usual_d: tuple[float, ...]



#: Shortest plausible dosing interval per drug, where a shorter one is a unit mix-up rather than a
#: regimen ("every 6 d" typed for 6 months, which would then read as an oncology schedule,
#: ``bone_metastases_schedule``). Plausibility limits to refuse typos, not dosing advice:
#: - denosumab: 60 mg every 6 months (Prolia label); 120 mg every 4 weeks (Xgeva label), with
#:   extra 120 mg doses on days 8 and 15 of the first month in giant-cell tumour of bone and
#:   hypercalcaemia of malignancy (Xgeva label): never sooner than 7 days apart;
#: - zoledronic acid: 5 mg once a year, or every 2 years for prevention (Reclast/Aclasta label);
#:   4 mg every 3-4 weeks in multiple myeloma and bone metastases (Zometa label), every 12 weeks
#:   (ESMO 2020) or every 6 months adjuvant in early breast cancer: never sooner than 3 weeks apart
#:   as a regimen (a retreatment of hypercalcaemia of malignancy, at least 7 days after the first
#:   dose, Zometa label, is recorded as single doses: the same start and stop date);
#: - alendronate: 5 or 10 mg daily, 35 or 70 mg weekly, 40 mg daily in Paget's disease (Fosamax
#:   label); risedronate: 5 mg daily, 35 mg weekly, 75 mg on two consecutive days or 150 mg
#:   monthly, 30 mg daily in Paget's disease (Actonel/Atelvia labels); ibandronate: 2.5 mg daily,
#:   150 mg monthly, 3 mg intravenously every 3 months (Boniva label): all at most once a day
#:   (taken fasting, before the first food of the day), so daily dosing is accepted.
INTERVAL_LIMITS: dict[str, IntervalLimit] = {
    "denosumab": IntervalLimit(
        7.0, "60 mg every 6 months; 120 mg every 4 weeks in oncology, with loading doses on days 8 "
        "and 15 in giant-cell tumour of bone", "Prolia and Xgeva labels", (4 * DAYS_PER_WEEK, 6 * DAYS_PER_MONTH)),
    "zoledronic_acid": IntervalLimit(
        21.0, "5 mg every year (or 2 years); 4 mg every 3-4 weeks to 6 months in oncology",
        "Reclast/Aclasta and Zometa labels",
        (4 * DAYS_PER_WEEK, 3 * DAYS_PER_MONTH, 6 * DAYS_PER_MONTH, DAYS_PER_YEAR, 2 * DAYS_PER_YEAR)),
    "alendronate": IntervalLimit(
        1.0, "once a day or once a week", "Fosamax label", (1.0, DAYS_PER_WEEK)),
    "risedronate": IntervalLimit(
        1.0, "once a day, once a week or once a month", "Actonel/Atelvia labels",
        (1.0, DAYS_PER_WEEK, DAYS_PER_MONTH)),
    "ibandronate": IntervalLimit(
        1.0, "once a day or once a month by mouth, every 3 months intravenously", "Boniva label",
        (1.0, DAYS_PER_MONTH, 3 * DAYS_PER_MONTH)),
}

#: Units an interval may have been meant in, with their length in days and their name in words.
_MEANT_UNITS: tuple[tuple[str, float, str, str], ...] = (
    ("d", 1.0, "day", "days"), ("wk", DAYS_PER_WEEK, "week", "weeks"),
    ("mo", DAYS_PER_MONTH, "month", "months"), ("y", DAYS_PER_YEAR, "year", "years"))


def interval_problem(drug: str, every_d: float, typed_value: float | None = None,
                     typed_unit: str | None = None) -> tuple[str, str] | None:
    """(problem, accepted) when ``every_d`` is shorter than ``INTERVAL_LIMITS`` allows for ``drug``
    (None when it is not, or the drug has no limit). The problem suggests the unit probably meant
    (``typed_value`` in the unit that gives a usual interval: "every 6 d: did you mean 6 months?")."""
    limit = INTERVAL_LIMITS.get(drug)
    if limit is None or every_d >= limit.minimum_d * (1 - 1e-9):
        return None
    value = every_d if typed_value is None else typed_value
    unit = "d" if typed_unit is None else typed_unit.strip()
    typed = f"every {value:g} {unit}"
    meant = None
    if value > 0:
        # the unit whose reading of the typed number is nearest a usual interval (within 10 %)
        candidates = [(min(abs(math.log(value * days / usual)) for usual in limit.usual_d),
                       one if value == 1 else many)
                      for name, days, one, many in _MEANT_UNITS
                      if name != unit and value * days >= limit.minimum_d]
        if candidates:
            distance, words = min(candidates)
            if distance <= math.log(1.1):
                meant = f"{value:g} {words}"
    problem = (f"{typed} is too short an interval for {drug}"
               + (f": did you mean {meant}?" if meant else " (a unit mix-up?)"))
    accepted = (f"an interval of at least {limit.minimum_d:g} d for {drug} "
                f"({limit.labelled}; {limit.source})")
    return problem, accepted
