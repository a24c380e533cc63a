"""PatientRecord -> FHIR R4 Bundle (type ``collection`` or ``transaction``) as a JSON-ready dict.

Mapping (every patient-file field has a place, so ``bundle_to_record`` gives the record back):

- Patient: sex, birth date, id (identifier), record version, ``as_of`` and ``extra`` (extensions).
- Observation: height and weight (LOINC vital signs, dated), menopausal status, lab results (the
  LOINC code whose mass/molar property fits the unit, UCUM; see ``_lab``), DXA scans (a panel per
  scan with BMD, T- and Z-score members), history counts, smoking (LOINC 72166-2, SNOMED values),
  alcohol and lifestyle fields.
- MedicationStatement: drug regimens (RxNorm where known; status on the export date; inclusive
  effectivePeriod.end = stop - 1 day) and daily supplements (category).
- Condition: history flags (confirmed = true, refuted = false) and free-text conditions.
- RiskAssessment: an externally calculated fracture risk, and model outputs when given.

Every resource also carries an osteotwin coding (``codes.CS_CONCEPT``) naming the patient-file field.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.records.fhir import codes as c
from osteotwin.records.fhir.outputs import ModelOutput, model_output_resource
from osteotwin.records.patient import (
    DxaScan,
    ExternalFractureRisk,
    LabResult,
    Medication,
    PatientRecord,
    Supplement,
)

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, c.BASE_URL)

HISTORY_FLAG_LABELS: dict[str, str] = {
    "glucocorticoids": "Oral glucocorticoids for 3 months or more",
    "rheumatoid_arthritis": "Rheumatoid arthritis",
    "parent_hip_fracture": "Parent had a hip fracture",
    "vertebral_fracture": "Vertebral (spine) fracture",
    "breast_cancer": "Breast cancer",
    "prostate_cancer": "Prostate cancer",
    "hypogonadism": "Hypogonadism",
}
SITE_LABELS = {"lumbar_spine": "Lumbar spine", "total_hip": "Total hip", "femoral_neck": "Femoral neck"}
MEASURE_LABELS = {"bmd": "bone mineral density", "t_score": "T-score", "z_score": "Z-score"}
RISK_OUTCOMES = {
    "major_osteoporotic_10y_pct": ("major_osteoporotic_fracture", "Major osteoporotic fracture"),
    "hip_10y_pct": ("hip_fracture", "Hip fracture"),
}


_FHIR_STRING_CHAR = re.compile(r"[ \r\n\t\S]")


def text_element(key: str, value: str) -> dict[str, Any]:
    """A FHIR string element. FHIR strings need a character that is not odd whitespace, so strings
    without one (``''``, a lone no-break space) go in an extension as a JSON string literal."""
    if _FHIR_STRING_CHAR.search(value) is None:
        return {f"_{key}": {"extension": [{"url": c.EXT_TEXT_JSON, "valueString": json.dumps(value)}]}}
    return {key: value}


def decimal(key: str, value: float) -> dict[str, Any]:
    """A FHIR decimal element as given: whole numbers without ``.0`` (``9``, not ``9.0``), binary
    noise of a unit conversion rounded off (12 significant digits: 190 lb is ``86.1825503`` kg, not
    ``86.18255030000002``). Where rounding changed the float, the exact value travels in the
    ``exact-decimal`` extension, so a round trip still gives the record back exactly."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {key: value}
    shown: float | int = float(f"{value:.12g}")
    exact = shown == value
    if float(shown).is_integer() and abs(shown) < 1e15:
        shown = int(shown)
    out: dict[str, Any] = {key: shown}
    if not exact:
        out[f"_{key}"] = {"extension": [{"url": c.EXT_EXACT_DECIMAL, "valueString": repr(value)}]}
    return out


def quantity(value: float, unit: str) -> dict[str, Any]:
    """A UCUM Quantity; ``unit`` is osteotwin's spelling (a key of ``codes.UCUM_OF``)."""
    return {**decimal("value", value), "unit": unit, "system": c.UCUM, "code": c.UCUM_OF[unit]}


def concept(key: str, display: str) -> dict[str, Any]:
    """CodeableConcept: the first standard coding of ``key`` (if any) and osteotwin's own coding."""
    codings = [coding.as_fhir() for coding in c.standard_codings(key)[:1]]
    codings.append({"system": c.CS_CONCEPT, "code": key, "display": display})
    return {"coding": codings, "text": display}


def value_concept(value: str, standard_key: str | None = None) -> dict[str, Any]:
    """CodeableConcept for an enumerated value (``never``, ``vegan``), with a standard code if any."""
    codings = [coding.as_fhir() for coding in c.standard_codings(standard_key)[:1]] \
        if standard_key else []
    codings.append({"system": c.CS_VALUE, "code": value})
    return {"coding": codings, "text": value.replace("_", " ")}


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": c.OBSERVATION_CATEGORY, "code": code}]}]


class _BundleWriter:
    """Collects entries with content-derived ids.

    An id is the uuid5 of the person (``identity``: id namespace, patient.id, sex and birth date)
    and of what the entry is about (its ``key``: a lab's test, date and method; a scan's site, date
    and device; a regimen's drug and start ...), never of its position: adding or removing one entry
    leaves every other id as it was, and two people never share an id. Entries with the same key
    (the same lab entered twice) are told apart by their order among themselves."""

    def __init__(self, identity: Sequence[str]) -> None:
        self.identity = list(identity)
        self.entries: list[dict[str, Any]] = []
        self.seen: Counter[str] = Counter()
        self.patient_ref = self.id_of("Patient", ("patient",))

    def id_of(self, kind: str, key: Sequence[Any], n: int = 0) -> str:
        text = json.dumps([*self.identity, kind, *key, n], ensure_ascii=False, default=str)
        return str(uuid.uuid5(_NAMESPACE, text))

    def add(self, resource: dict[str, Any], key: Sequence[Any]) -> str:
        """Append a resource about ``key``; returns its reference (``urn:uuid:...``)."""
        kind = resource["resourceType"]
        seen = json.dumps([kind, *key], ensure_ascii=False, default=str)
        rid = self.id_of(kind, key, self.seen[seen])
        self.seen[seen] += 1
        resource = {"resourceType": kind, "id": rid,
                    **{k: v for k, v in resource.items() if k != "resourceType"}}
        if kind != "Patient":
            resource["subject"] = {"reference": f"urn:uuid:{self.patient_ref}"}
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": resource})
        return f"urn:uuid:{rid}"

    def observation(self, key: str, display: str, category: str, value: dict[str, Any],
                    *, when: date | None = None, about: Sequence[Any] = (),
                    code: dict[str, Any] | None = None, **more: Any) -> str:
        resource: dict[str, Any] = {"resourceType": "Observation", "status": "final",
                                    "category": _category(category),
                                    "code": code or concept(key, display)}
        if when is not None:
            resource["effectiveDateTime"] = when.isoformat()
        resource.update(value)
        resource.update(more)
        return self.add(resource, (key, *about))


BUNDLE_TYPES = ("collection", "transaction")


def record_to_bundle(record: PatientRecord, *, model_outputs: Sequence[ModelOutput] = (),
                     bundle_type: str = "collection", as_of: date | None = None,
                     id_namespace: str | None = None) -> dict[str, Any]:
    """The record as a FHIR R4 Bundle (JSON-ready dict), checked against the R4B models.

    ``model_outputs`` (fracture risk, simulated BMD) are added as RiskAssessment resources; they are
    not part of the patient file and ``bundle_to_record`` does not fold them back into the record.

    ``as_of`` is the date the bundle speaks for (default: the record's ``as_of``, else today): a
    regimen is ``active`` on it, ``completed`` if stopped by then, ``intended`` if it starts later;
    height and weight without a date of their own are dated by it (the vital-signs profile needs a
    date).

    Resource ids are derived from the person and each entry's content (``_BundleWriter``), so they
    are stable. ``bundle_type="transaction"`` adds ``PUT <type>/<id>`` to every entry, so uploading
    again updates, not duplicates; it needs ``patient.id`` (without one, two people's uploads could
    land on the same ids). ``id_namespace`` (e.g. the site's FHIR base URL) keeps ids of different
    sites apart even where their patient ids coincide.
    """
    if bundle_type not in BUNDLE_TYPES:
        raise UserInputError("bundle_type", bundle_type, " or ".join(BUNDLE_TYPES),
                             problem="unsupported Bundle type")
    p = record.patient
    if bundle_type == "transaction" and (p.id is None or not p.id.strip()):
        raise UserInputError(
            "patient.id", p.id, "an id that names this person at your site (e.g. the record "
            "number); a transaction Bundle PUTs each resource under an id derived from it, so "
            "without one two people's uploads could overwrite each other",
            problem="a transaction Bundle needs patient.id")
    when = as_of or record.as_of or date.today()
    out = _BundleWriter([id_namespace or "", p.id or "", p.sex, p.birth_date.isoformat()])
    out.add(_patient(record), ("patient",))
    _vitals(out, record, when)
    _history(out, record)
    for med in record.medications:
        out.add(_medication(med, when), ("medication", med.drug, med.start))
    for lab in record.labs:
        _lab(out, lab)
    for scan in record.dxa:
        _dxa(out, scan)
    _lifestyle(out, record)
    if record.fracture_risk_external is not None:
        out.add(_external_risk(record.fracture_risk_external), ("fracture_risk_external",))
    for output in model_outputs:
        out.add(model_output_resource(output),
                ("model-output", output.kind, output.model, output.as_of))
    if bundle_type == "transaction":
        for entry in out.entries:
            resource = entry["resource"]
            entry["request"] = {"method": "PUT",
                                "url": f"{resource['resourceType']}/{resource['id']}"}
    bundle = {"resourceType": "Bundle", "id": out.id_of("Bundle", ("bundle",)),
              "type": bundle_type, "entry": out.entries}
    return _checked(bundle)


def _checked(bundle: dict[str, Any]) -> dict[str, Any]:
    """Validate against fhir.resources R4B and return the JSON form (a programming error if invalid)."""
    from fhir.resources.R4B.bundle import Bundle

    model = Bundle.model_validate(bundle)
    checked: dict[str, Any] = json.loads(model.model_dump_json(exclude_none=True))
    return checked


def _patient(record: PatientRecord) -> dict[str, Any]:
    p = record.patient
    extensions: list[dict[str, Any]] = [{"url": c.EXT_RECORD_VERSION, "valueInteger": record.version}]
    if record.as_of is not None:
        extensions.append({"url": c.EXT_AS_OF, "valueDate": record.as_of.isoformat()})
    if record.extra:
        extensions.append({"url": c.EXT_EXTRA,
                           "valueString": json.dumps(record.extra, ensure_ascii=False)})
    resource: dict[str, Any] = {"resourceType": "Patient", "extension": extensions,
                                "gender": p.sex, "birthDate": p.birth_date.isoformat()}
    identifiers = [] if p.id is None else [{"system": c.CS_PATIENT_ID, **text_element("value", p.id)}]
    identifiers += kept_identifiers(record)
    if identifiers:
        resource["identifier"] = identifiers
    return resource


def kept_identifiers(record: PatientRecord) -> list[dict[str, Any]]:
    """The identifiers an import from another system kept with their systems (``extra``), as
    FHIR Identifiers (entries that are not well-formed, e.g. edited by hand, are left out)."""
    kept = record.extra.get(c.IDENTIFIERS_KEY)
    found = (c.identifier_of_doc(doc) for doc in (kept if isinstance(kept, list) else ()))
    return [identifier for identifier in found if identifier is not None]


def _vitals(out: _BundleWriter, record: PatientRecord, when: date) -> None:
    p = record.patient
    if p.height_cm is not None:
        out.observation("patient.height", "Body height", "vital-signs",
                        {"valueQuantity": quantity(p.height_cm, "cm")}, when=when)
    if p.weight_kg is not None:
        out.observation("patient.weight", "Body weight", "vital-signs",
                        {"valueQuantity": quantity(p.weight_kg, "kg")}, when=when)
    if p.menopausal_status is not None:
        out.observation("patient.menopausal_status", "Menopausal status", "social-history",
                        {"valueCodeableConcept": value_concept(p.menopausal_status)},
                        when=record.as_of)


def _history(out: _BundleWriter, record: PatientRecord) -> None:
    h = record.history
    for key, label in (("prior_fragility_fractures", "Prior fragility fractures after age 50"),
                       ("falls_last_12_months", "Falls in the last 12 months")):
        count = getattr(h, key)
        if count is not None:  # counted to the record's as_of: dated by it where it has one
            out.observation(f"history.{key}", label, "social-history", {"valueInteger": count},
                            when=record.as_of)
    if h.smoking is not None:
        out.observation("history.smoking", "Tobacco smoking status", "social-history",
                        {"valueCodeableConcept": value_concept(h.smoking, f"smoking.{h.smoking}")})
    if h.alcohol_units_per_week is not None:
        out.observation("history.alcohol_units_per_week", "Alcohol units per week",
                        "social-history",
                        {"valueQuantity": quantity(h.alcohol_units_per_week, "units/wk")})
    for flag, label in HISTORY_FLAG_LABELS.items():
        value = getattr(h, flag)
        if value is None:
            continue
        out.add({"resourceType": "Condition",
                 "category": [{"coding": [{"system": c.CS_CONDITION_KIND, "code": "history-flag"}]}],
                 "verificationStatus": {"coding": [{"system": c.CONDITION_VERIFICATION,
                                                    "code": "confirmed" if value else "refuted"}]},
                 "code": concept(f"history.{flag}", label)}, (f"history.{flag}",))
    for text in h.conditions:
        out.add({"resourceType": "Condition",
                 "category": [{"coding": [{"system": c.CS_CONDITION_KIND, "code": "free-text"}]}],
                 "code": text_element("text", text)}, ("history.conditions", text))


def _dose_text(med: Medication) -> str:
    return f"{med.dose_words() or 'dose not recorded'} {med.schedule_words()}"


def medication_status(med: Medication, as_of: date) -> str:
    """MedicationStatement.status on ``as_of``: ``completed`` once stopped (``stop`` is the first
    day without the drug), ``intended`` before it starts, else ``active``."""
    if med.start is not None and med.start > as_of:
        return "intended"
    if med.stop is not None and med.stop <= as_of:
        return "completed"
    return "active"


def effective_period(med: Medication) -> dict[str, Any]:
    """effectivePeriod of a regimen. FHIR's Period.end is inclusive (the last day of use), the
    patient file's ``stop`` the first day without the drug: end = stop - 1 day. A stop on the start
    day (no day of use) has no inclusive end; it goes in the ``regimen-stop`` extension."""
    period: dict[str, Any] = {}
    if med.start is not None:
        period["start"] = med.start.isoformat()
    if med.stop is not None:
        last = med.stop - timedelta(days=1)
        if med.start is not None and last < med.start:
            period["_end"] = {"extension": [{"url": c.EXT_REGIMEN_STOP,
                                             "valueDate": med.stop.isoformat()}]}
        else:
            period["end"] = last.isoformat()
    return period


def _medication(med: Medication, as_of: date) -> dict[str, Any]:
    standard = [coding.as_fhir() for coding in c.standard_codings(f"drug.{med.drug}")[:1]]
    dosage: dict[str, Any] = {"text": _dose_text(med)}
    if med.route is not None:
        dosage["route"] = {"coding": [{"system": c.CS_ROUTE, "code": med.route}], "text": med.route}
    if med.every_d is not None:
        dosage["timing"] = {"repeat": {"frequency": 1, **decimal("period", med.every_d),
                                       "periodUnit": "d"}}
    amount = ((med.dose_mg, "mg") if med.dose_mg is not None
              else (med.dose_iu, "IU") if med.dose_iu is not None else None)
    if amount is not None and amount[0] is not None:
        if med.every_d is not None:
            dosage["doseAndRate"] = [{"doseQuantity": quantity(amount[0], amount[1])}]
        else:
            dosage["doseAndRate"] = [{"rateQuantity": quantity(amount[0], f"{amount[1]}/d")}]
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "status": medication_status(med, as_of),
        "category": {"coding": [{"system": c.CS_MEDICATION_KIND, "code": "regimen"}]},
        "medicationCodeableConcept": {
            "coding": [*standard, {"system": c.CS_DRUG, "code": med.drug}],
            "text": med.drug.replace("_", " "),
        },
        "dosage": [dosage],
    }
    period = effective_period(med)
    if period:
        resource["effectivePeriod"] = period
    return resource


def _supplement(supplement: Supplement) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "category": {"coding": [{"system": c.CS_MEDICATION_KIND, "code": "supplement"}]},
        "medicationCodeableConcept": {"coding": [{"system": c.CS_DRUG, "code": supplement.name}],
                                      "text": supplement.name.replace("_", " ")},
        "dosage": [{"text": f"{supplement.dose_per_day:g} {supplement.unit}",
                    "doseAndRate": [{"rateQuantity": quantity(supplement.dose_per_day,
                                                              supplement.unit)}]}],
    }


def _lab(out: _BundleWriter, lab: LabResult) -> None:
    """A lab result under the LOINC code whose property fits its unit: as reported where there is
    one (estradiol in pmol/L under the Moles/volume code 14715-7); else, if the test's canonical unit
    has one (25(OH)D in nmol/L: only the Mass/volume code 62292-8), converted to that unit, with the
    result as reported in the ``reported-quantity`` extension; else with osteotwin's code only."""
    key, display = f"lab.{lab.test}", lab.test.replace("_", " ")
    more: dict[str, Any] = {}
    if lab.method is not None:
        more["method"] = text_element("text", lab.method)
    reported = quantity(lab.reported_value, lab.reported_unit)
    value: dict[str, Any] = {"valueQuantity": reported}
    coding = c.lab_coding(key, lab.reported_unit)
    if coding is None and lab.unit != lab.reported_unit:
        coding = c.lab_coding(key, lab.unit)
        if coding is not None:
            # converted: rounded to 12 significant digits (the exact result is the reported one)
            value = {"valueQuantity": quantity(float(f"{lab.value:.12g}"), lab.unit),
                     "extension": [{"url": c.EXT_REPORTED_QUANTITY, "valueQuantity": reported}]}
    codings = [coding.as_fhir()] if coding is not None else []
    codings.append({"system": c.CS_CONCEPT, "code": key, "display": display})
    out.observation(key, display, "laboratory", value, when=lab.date,
                    about=(lab.date, lab.method), code={"coding": codings, "text": display},
                    **more)


def _dxa(out: _BundleWriter, scan: DxaScan) -> None:
    body_site = {"coding": [{"system": c.CS_SITE, "code": scan.site}],
                 "text": SITE_LABELS[scan.site]}
    more: dict[str, Any] = {"bodySite": body_site}
    if scan.device is not None:
        more["device"] = text_element("display", scan.device)
    about = (scan.site, scan.date, scan.device)
    members = []
    for measure, value, unit in (("bmd", scan.bmd_g_cm2, "g/cm2"), ("t_score", scan.t_score, "1"),
                                 ("z_score", scan.z_score, "1")):
        if value is None:
            continue
        key = f"dxa.{scan.site}.{measure}"
        label = f"DXA {SITE_LABELS[scan.site].lower()} {MEASURE_LABELS[measure]}"
        members.append({"reference": out.observation(
            key, label, "imaging", {"valueQuantity": quantity(value, unit)}, when=scan.date,
            about=about, **more)})
    out.observation("dxa.scan", f"DXA scan, {SITE_LABELS[scan.site].lower()}", "imaging", {},
                    when=scan.date, about=about, hasMember=members, **more)


def _lifestyle(out: _BundleWriter, record: PatientRecord) -> None:
    life = record.lifestyle
    numeric = (
        ("dietary_calcium", "Dietary calcium intake", life.dietary_calcium_mg_d, "mg/d"),
        ("protein", "Protein intake", life.protein_g_kg_d, "g/kg/d"),
        ("resistance_sessions_per_week", "Resistance training sessions per week",
         life.resistance_sessions_per_week, "/wk"),
        ("impact_sessions_per_week", "Impact training sessions per week",
         life.impact_sessions_per_week, "/wk"),
        ("weight_bearing_aerobic_minutes_per_week", "Weight-bearing aerobic minutes per week",
         life.weight_bearing_aerobic_minutes_per_week, "min/wk"),
        ("sleep_hours", "Sleep per night", life.sleep_hours, "h"),
    )
    for key, label, value, unit in numeric:
        if value is not None:
            out.observation(f"lifestyle.{key}", label, "social-history",
                            {"valueQuantity": quantity(value, unit)})
    coded = (("resistance_intensity", "Resistance training intensity", life.resistance_intensity),
             ("diet_pattern", "Diet pattern", life.diet_pattern),
             ("training_setting", "Training setting", life.training_setting))
    for key, label, choice in coded:
        if choice is not None:
            out.observation(f"lifestyle.{key}", label, "social-history",
                            {"valueCodeableConcept": value_concept(choice)})
    for food in life.food_exclusions:
        out.observation("lifestyle.food_exclusion", "Food excluded from the diet", "social-history",
                        {"valueCodeableConcept": value_concept(food)}, about=(food,))
    for supplement in life.supplements:
        out.add(_supplement(supplement), ("supplement", supplement.name))


def _external_risk(risk: ExternalFractureRisk) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = []
    if risk.bmd_included is not None:
        extensions.append({"url": c.EXT_BMD_INCLUDED, "valueBoolean": risk.bmd_included})
    if risk.country is not None:
        country = text_element("valueString", risk.country)
        if "valueString" not in country:  # an extension holds a value or extensions, not both
            country = {"extension": country["_valueString"]["extension"]}
        extensions.append({"url": c.EXT_COUNTRY, **country})
    predictions = []
    for field, (code, label) in RISK_OUTCOMES.items():
        value = getattr(risk, field)
        if value is not None:
            predictions.append({
                "outcome": {"coding": [{"system": c.CS_RISK_OUTCOME, "code": code}], "text": label},
                "probabilityDecimal": value,  # FHIR R4: decimal probabilities are percentages
                "whenRange": {"high": {"value": 10, "unit": "years", "system": c.UCUM, "code": "a"}},
            })
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "method": {"coding": [{"system": c.CS_RISK_SOURCE, "code": "external"}],
                   **text_element("text", risk.tool)},
    }
    if predictions:
        resource["prediction"] = predictions
    if extensions:
        resource["extension"] = extensions
    if risk.date is not None:
        resource["occurrenceDateTime"] = risk.date.isoformat()
    return resource
