"""Plausible dose limits per drug, used to refuse typos and unit mix-ups (not dosing advice).

Limits are generous upper bounds on a single administration (or a day, for continuous products), set
above the highest labelled or trial dose: anastrozole 1 mg/d (Arimidex label), letrozole 2.5 mg/d
(Femara label), exemestane 25 mg/d (Aromasin label), tamoxifen 20-40 mg/d (Nolvadex label), testosterone
undecanoate 750-1000 mg IM (Aveed/Nebido labels), cypionate/enanthate 50-400 mg IM (labels),
testosterone gel up to 100 mg/d (AndroGel 1.62 % label), alendronate 70 mg weekly, risedronate 150 mg
monthly, zoledronic acid 5 mg yearly / 4 mg 6-monthly (labels; Z-FAST), denosumab 60 mg 6-monthly
(Prolia) and 120 mg (Xgeva), goserelin 10.8 mg depot (Zoladex), estradiol oral up to 2-4 mg/d and
transdermal 0.025-0.1 mg/d (labels), hCG 250-10,000 IU (labels), vitamin D3 up to 600,000 IU a dose
(single yearly or "stoss" boluses: 500,000 IU yearly in Sanders et al. 2010 JAMA 303:1815; 16,000 IU
fortnightly in B-ABLE) but at most 50,000 IU a day on average (``DAILY_AVERAGE_LIMITS``), calcium up to
2,500 mg/d (IOM UL).
"""

from __future__ import annotations

from dataclasses import dataclass


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

#: Largest plausible average daily amount (dose ÷ interval; a per-day dose as it is) where a single dose
#: may be a large bolus but a daily intake that size is a unit mix-up: vitamin D3 50,000 IU/d, five
#: times the no-observed-adverse-effect level (10,000 IU/d, IOM 2011) and seven times the largest
#: prescribed bolus regimen's average (50,000 IU weekly, about 7,100 IU/d); 10 mg written for 10 µg
#: would be 400,000 IU/d.
DAILY_AVERAGE_LIMITS: dict[str, DoseLimit] = {"vitamin_d3": DoseLimit(50000.0, "IU")}

ROUTES = ("oral", "intramuscular", "subcutaneous", "transdermal", "intravenous")

SUPPLEMENT_UNITS: dict[str, str] = {
    "vitamin_d3": "IU/d",
    "calcium_carbonate": "mg/d",
    "calcium_citrate": "mg/d",
    "vitamin_k2_mk7": "mg/d",
    "magnesium": "mg/d",
}
