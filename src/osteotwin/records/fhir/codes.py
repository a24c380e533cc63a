"""Code systems, extension URLs and unit spellings used by the FHIR R4 mapping.

Standard codings (LOINC, RxNorm, SNOMED CT) come from ``data/fhir/codes.csv``, a subset of
``shared/data/guidelines/codes_interop.csv`` (each row keeps its source); everything FHIR has no code
for is coded in osteotwin's own code systems under ``BASE_URL`` so that a round trip loses nothing.
Units are UCUM (http://unitsofmeasure.org).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

BASE_URL = "https://osteotwin.org/fhir"

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"

#: osteotwin code systems: one concept per patient-file field (``lab.estradiol``, ``history.smoking``).
CS_CONCEPT = f"{BASE_URL}/CodeSystem/concept"
#: enumerated values of patient-file fields (``never``, ``vegan``, ``gym`` ...), one system per field.
CS_VALUE = f"{BASE_URL}/CodeSystem/value"
CS_DRUG = f"{BASE_URL}/CodeSystem/drug"
CS_ROUTE = f"{BASE_URL}/CodeSystem/route"
CS_SITE = f"{BASE_URL}/CodeSystem/dxa-site"
CS_PATIENT_ID = f"{BASE_URL}/patient-id"
#: MedicationStatement.category: a drug regimen or a daily supplement (lifestyle).
CS_MEDICATION_KIND = f"{BASE_URL}/CodeSystem/medication-kind"
#: Condition.category: a yes/no history flag or free text kept as written.
CS_CONDITION_KIND = f"{BASE_URL}/CodeSystem/condition-kind"
#: RiskAssessment.method: an externally calculated result (e.g. FRAX) or an osteotwin model output.
CS_RISK_SOURCE = f"{BASE_URL}/CodeSystem/risk-source"
CS_RISK_OUTCOME = f"{BASE_URL}/CodeSystem/risk-outcome"

EXT_RECORD_VERSION = f"{BASE_URL}/StructureDefinition/record-version"
EXT_AS_OF = f"{BASE_URL}/StructureDefinition/record-as-of"
EXT_EXTRA = f"{BASE_URL}/StructureDefinition/record-extra-json"
#: A string FHIR cannot hold as is (empty, or only whitespace other than space, tab, CR, LF), written
#: as a JSON string literal in this extension on the primitive.
EXT_TEXT_JSON = f"{BASE_URL}/StructureDefinition/text-as-json"
EXT_BMD_INCLUDED = f"{BASE_URL}/StructureDefinition/fracture-risk-bmd-included"
EXT_COUNTRY = f"{BASE_URL}/StructureDefinition/fracture-risk-country"
EXT_PREDICTED_QUANTITY = f"{BASE_URL}/StructureDefinition/predicted-quantity"
EXT_PREDICTED_INTERVAL = f"{BASE_URL}/StructureDefinition/predicted-interval"
EXT_MODEL_VERSION = f"{BASE_URL}/StructureDefinition/model-version"


@dataclass(frozen=True)
class Coding:
    """One standard coding of an osteotwin concept, with where the mapping comes from."""

    system: str
    code: str
    display: str
    source: str

    def as_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, Coding], ...]:
    text = resources.files("osteotwin.data").joinpath("fhir/codes.csv").read_text(encoding="utf-8")
    return tuple(
        (row["concept"], Coding(row["system"], row["code"], row["display"], row["source"]))
        for row in csv.DictReader(io.StringIO(text))
    )


def standard_codings(concept: str) -> list[Coding]:
    """Standard codings for a concept (first = the one written on export); may be empty."""
    return [coding for key, coding in _rows() if key == concept]


@lru_cache(maxsize=1)
def concept_by_standard_code() -> dict[tuple[str, str], str]:
    """(system, code) -> osteotwin concept, for reading bundles written by other systems."""
    return {(coding.system, coding.code): key for key, coding in reversed(_rows())}


# UCUM spellings of the units osteotwin writes (keys: osteotwin spelling, see osteotwin.units).
UCUM_OF: dict[str, str] = {
    "pg/mL": "pg/mL",
    "pmol/L": "pmol/L",
    "ng/dL": "ng/dL",
    "nmol/L": "nmol/L",
    "IU/L": "[IU]/L",
    "ng/mL": "ng/mL",
    "mg/dL": "mg/dL",
    "mmol/L": "mmol/L",
    "ug/L": "ug/L",
    "%": "%",
    "mL/min/1.73m2": "mL/min/{1.73_m2}",
    "cm": "cm",
    "kg": "kg",
    "g/cm2": "g/cm2",
    "1": "1",
    "mg": "mg",
    "IU": "[IU]",
    "mg/d": "mg/d",
    "IU/d": "[IU]/d",
    "g/kg/d": "g/kg/d",
    "d": "d",
    "/wk": "/wk",
    "min/wk": "min/wk",
    "h": "h",
    "units/wk": "{alcohol_unit}/wk",
    "a": "a",
}

# UCUM codes read back into the spelling osteotwin.units parses (also common ones others write).
UNIT_OF_UCUM: dict[str, str] = {
    **{ucum: ours for ours, ucum in UCUM_OF.items()},
    "[iU]/L": "IU/L",
    "[iU]": "IU",
    "[iU]/d": "IU/d",
    "m[IU]/mL": "IU/L",
    "[in_i]": "in",
    "[lb_av]": "lb",
    "m": "m",
    "g": "g",
    "ug": "ug",
    "mg/cm2": "mg/cm2",
    "g/d": "g/d",
    "ug/d": "ug/d",
    "mL/min/1.73m2": "mL/min/1.73m2",
    "mL/min/{1.73_m2}": "mL/min/1.73m2",
}

# UCUM time units of Timing.repeat.periodUnit -> the patient file's interval units.
PERIOD_UNIT: dict[str, str] = {"h": "h", "d": "d", "wk": "wk", "mo": "mo", "a": "y"}

#: Timing.code systems for the HL7 timing abbreviations (R4 value set ``timing-abbreviation``; the
#: second is the older spelling of the same code system).
GTS_ABBREVIATION = ("http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                    "http://hl7.org/fhir/v3/GTSAbbreviation")
#: GTSAbbreviation code -> the interval between doses (value, patient-file unit). BID is every
#: 12 h (0.5 d): the dose is per administration, so 1 mg BID is 2 mg/d.
TIMING_CODE_INTERVAL: dict[str, tuple[float, str]] = {
    "QD": (1, "d"), "AM": (1, "d"), "PM": (1, "d"), "BED": (1, "d"),
    "BID": (12, "h"), "TID": (8, "h"), "QID": (6, "h"),
    "Q1H": (1, "h"), "Q2H": (2, "h"), "Q3H": (3, "h"), "Q4H": (4, "h"), "Q6H": (6, "h"),
    "Q8H": (8, "h"), "QOD": (2, "d"), "WK": (1, "wk"), "MO": (1, "mo"),
}

#: SNOMED CT route of administration -> the patient file's route (``records.drugs.ROUTES``).
ROUTE_OF_SNOMED: dict[str, str] = {
    "26643006": "oral",
    "78421000": "intramuscular",
    "34206005": "subcutaneous",
    "45890007": "transdermal",
    "47625008": "intravenous",
}
