"""Code systems, extension URLs and unit spellings used by the FHIR R4 mapping.

Standard codings (LOINC, RxNorm, SNOMED CT) come from ``data/fhir/codes.csv``, a subset of
``shared/data/guidelines/codes_interop.csv`` (each row keeps its source); everything FHIR has no code
for is coded in osteotwin's own code systems under ``BASE_URL`` so that a round trip loses nothing.
Units are UCUM (http://unitsofmeasure.org).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

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
#: A decimal FHIR gets rounded to 12 significant digits (``86.1825503``) keeps the exact binary
#: value it came from (``86.18255030000002``) in this extension on the primitive, as a string.
EXT_EXACT_DECIMAL = f"{BASE_URL}/StructureDefinition/exact-decimal"
#: On a lab Observation whose valueQuantity was converted (no standard code for the reported unit):
#: the result as reported (value and unit), which is what the patient file holds.
EXT_REPORTED_QUANTITY = f"{BASE_URL}/StructureDefinition/reported-quantity"
#: On MedicationStatement.effectivePeriod.end (no value): the patient file's ``stop`` (the first day
#: without the drug) where no inclusive FHIR end date can say it (stop on the start day).
EXT_REGIMEN_STOP = f"{BASE_URL}/StructureDefinition/regimen-stop"


@dataclass(frozen=True)
class Coding:
    """One standard coding of an osteotwin concept, with where the mapping comes from."""

    system: str
    code: str
    display: str
    source: str

    def as_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


#: Standard codings kept here rather than in ``data/fhir/codes.csv``: the molar (Moles/volume) LOINC
#: codes, written when a result was reported in a molar unit (the CSV's codes are Mass/volume) and
#: read on import. Checked against several public LOINC tables and FHIR examples (2025).
EXTRA_CODINGS: tuple[tuple[str, Coding], ...] = (
    ("lab.estradiol", Coding(LOINC, "14715-7", "Estradiol (E2) [Moles/volume] in Serum or Plasma",
                             "LOINC (molar property; public LOINC tables, FHIR IG examples)")),
    ("lab.total_testosterone", Coding(LOINC, "14913-8",
                                      "Testosterone [Moles/volume] in Serum or Plasma",
                                      "LOINC (molar property; public LOINC tables)")),
)


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, Coding], ...]:
    text = resources.files("osteotwin.data").joinpath("fhir/codes.csv").read_text(encoding="utf-8")
    return tuple(
        (row["concept"], Coding(row["system"], row["code"], row["display"], row["source"]))
        for row in csv.DictReader(io.StringIO(text))
    ) + EXTRA_CODINGS


def standard_codings(concept: str) -> list[Coding]:
    """Standard codings for a concept (first = the one written on export); may be empty."""
    return [coding for key, coding in _rows() if key == concept]


@lru_cache(maxsize=1)
def concept_by_standard_code() -> dict[tuple[str, str], str]:
    """(system, code) -> osteotwin concept, for reading bundles written by other systems."""
    return {(coding.system, coding.code): key for key, coding in reversed(_rows())}


#: Lab units by the LOINC property they measure (a Mass/volume code must not carry a molar value).
MOLAR_UNITS = frozenset({"pmol/L", "nmol/L", "mmol/L"})
MASS_UNITS = frozenset({"pg/mL", "ng/dL", "ng/mL", "mg/dL", "ug/L"})


def unit_property(unit: str) -> str | None:
    """``mass`` or ``molar`` for a lab unit (osteotwin spelling), else None (IU/L, %, ...)."""
    return "molar" if unit in MOLAR_UNITS else "mass" if unit in MASS_UNITS else None


def coding_property(coding: Coding) -> str | None:
    """``mass`` or ``molar`` from a LOINC display (``[Mass/volume]``, ``[Moles/volume]``), else None."""
    display = coding.display.lower()
    return "mass" if "[mass/volume]" in display else "molar" if "[moles/volume]" in display else None


def lab_coding(concept: str, unit: str) -> Coding | None:
    """The first standard coding of a lab concept whose property fits ``unit`` (a molar result
    gets a Moles/volume code, a mass result a Mass/volume one), or None if there is none."""
    wanted = unit_property(unit)
    return next((coding for coding in standard_codings(concept)
                 if coding_property(coding) in (None, wanted)), None)


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

#: US Core smoking status (LOINC 72166-2) SNOMED CT values -> ``history.smoking`` (US Core 3.1.1
#: value set ``us-core-observation-smokingstatus``: every-day, some-day, heavy, light and
#: status-unknown smokers are current smokers).
SMOKING_OF_SNOMED: dict[str, str] = {
    "449868002": "current",         # Current every day smoker
    "428041000124106": "current",   # Current some day smoker
    "77176002": "current",          # Smoker (current status unknown)
    "428071000124103": "current",   # Current heavy tobacco smoker
    "428061000124105": "current",   # Current light tobacco smoker
    "8517006": "former",            # Former smoker
    "266919005": "never",           # Never smoked tobacco
}
#: "Unknown if ever smoked": no value for the patient file (left unset, listed).
SMOKING_UNKNOWN_SNOMED = frozenset({"266927001"})

#: RxNorm clinical drug (SCD) codes -> osteotwin drug, for products whose code other systems send
#: instead of the ingredient's. Only codes confirmed in several independent public sources; the
#: strength in the name is never taken as the dose.
RXNORM_PRODUCTS: dict[str, tuple[str, str]] = {
    "199224": ("anastrozole", "anastrozole 1 MG Oral Tablet"),
    "200064": ("letrozole", "letrozole 2.5 MG Oral Tablet"),
    "310261": ("exemestane", "exemestane 25 MG Oral Tablet"),
    "993452": ("denosumab", "1 ML denosumab 60 MG/ML Prefilled Syringe"),
}

#: Ingredient names (RxNorm display or text, lower case) -> osteotwin drug, tried in order when an
#: RxNorm code is not known. Combination products (RxNorm ``a / b``) and names matching several
#: drugs are not matched; nor are supplements (they belong in ``lifestyle.supplements``).
#: A name that reads as a combination product (RxNorm ``a / b``, ``ethinyl estradiol-levonorgestrel``,
#: ``a and b``, ``a with b``): such a medicine is never matched to one drug by name.
COMBINATION_NAME = r" / |\b[a-z]{3,}-[a-z]{3,}\b|\b(and|with)\b"
DRUG_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("testosterone_cypionate", r"\btestosterone cypionate\b"),
    ("testosterone_enanthate", r"\btestosterone enanthate\b"),
    ("testosterone_undecanoate", r"\btestosterone undecanoate\b"),
    ("testosterone_gel", r"^(?!.*\b(cypionate|enanthate|undecanoate)\b).*\btestosterone\b.*\b(gel|topical)\b"),
    ("estradiol_transdermal",
     r"^(?!.*\b(valerate|cypionate|ethinyl)\b).*\bestradiol\b.*\b(transdermal|patch)\b"),
    ("estradiol_oral", r"^(?!.*\b(valerate|cypionate|ethinyl)\b).*\bestradiol\b.*\boral\b"),
    ("anastrozole", r"\banastrozole\b"),
    ("letrozole", r"\bletrozole\b"),
    ("exemestane", r"\bexemestane\b"),
    ("tamoxifen", r"\btamoxifen\b"),
    ("gonadorelin", r"\bgonadorelin\b"),
    ("hcg", r"\bchorionic gonadotropin\b|\bhcg\b"),
    ("alendronate", r"\balendron(ate|ic acid)\b"),
    ("risedronate", r"\brisedron(ate|ic acid)\b"),
    ("zoledronic_acid", r"\bzoledron(ic acid|ate)\b"),
    ("denosumab", r"\bdenosumab\b"),
    ("goserelin", r"\bgoserelin\b"),
    ("sermorelin", r"\bsermorelin\b"),
    ("ipamorelin", r"\bipamorelin\b"),
    ("cjc_1295", r"\bcjc[- ]?1295\b"),
    ("ibutamoren", r"\bibutamoren\b|\bmk[- ]?677\b"),
)

#: Where a record imported from another system keeps its Patient's identifiers, with their systems
#: (``extra``; written back as Patient.identifier on export).
IDENTIFIERS_KEY = "fhir_patient_identifiers"
#: Identifier.type codes (HL7 v2 table 0203).
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
#: Identifier types that are national or official identifiers of a person, not a record number:
#: social security, social beneficiary, national person, national health plan, Medicare, Medicaid,
#: passport, driver's licence, tax, citizenship card, birth certificate (v2-0203; ``NN...`` too).
SENSITIVE_IDENTIFIER_TYPES = frozenset({"SS", "SB", "NI", "NH", "MC", "MA", "PPN", "DL", "TAX",
                                        "CZ", "BCT"})
#: Identifier systems of such identifiers (FHIR's ``sid`` URIs and OIDs; prefixes).
SENSITIVE_IDENTIFIER_SYSTEMS = ("http://hl7.org/fhir/sid/us-ssn", "urn:oid:2.16.840.1.113883.4.1",
                                "http://hl7.org/fhir/sid/us-medicare",
                                "http://hl7.org/fhir/sid/us-mbi",
                                "http://hl7.org/fhir/sid/passport",
                                "https://fhir.nhs.uk/Id/nhs-number",
                                "urn:oid:2.16.840.1.113883.4.3.")


def identifier_type(identifier: dict[str, Any]) -> str | None:
    """An Identifier's v2-0203 type code (``MR``, ``SS`` ...), or None."""
    concept = identifier.get("type") or {}
    return next((str(x["code"]) for x in concept.get("coding", ())
                 if x.get("system") == IDENTIFIER_TYPE and x.get("code")), None)


def sensitive_identifier(identifier: dict[str, Any]) -> bool:
    """Whether an Identifier is a national or official one (``SENSITIVE_IDENTIFIER_*``)."""
    kind = identifier_type(identifier) or ""
    system = str(identifier.get("system") or "")
    return kind in SENSITIVE_IDENTIFIER_TYPES or kind.startswith("NN") \
        or system.startswith(SENSITIVE_IDENTIFIER_SYSTEMS)


def identifier_doc(identifier: dict[str, Any]) -> dict[str, str]:
    """An Identifier as kept in a record's ``extra``: system, value and type code."""
    kept = {"system": identifier.get("system"), "value": identifier.get("value"),
            "type": identifier_type(identifier)}
    return {key: str(value) for key, value in kept.items() if value is not None}


def identifier_of_doc(doc: Any) -> dict[str, Any] | None:
    """The FHIR Identifier of an ``identifier_doc`` (None where ``doc`` is not one: ``extra`` can
    be edited by hand)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), str) \
            or not doc["value"].strip() or doc["value"] != doc["value"].strip():
        return None
    system, kind = doc.get("system"), doc.get("type")
    if system is not None and (not isinstance(system, str) or not re.fullmatch(r"\S+", system)):
        return None
    out: dict[str, Any] = {"value": doc["value"]}
    if system is not None:
        out["system"] = system
    if isinstance(kind, str) and re.fullmatch(r"\S+", kind):
        out["type"] = {"coding": [{"system": IDENTIFIER_TYPE, "code": kind}]}
    return out
