"""FHIR R4 export/import: lossless round trip, standard codes, bundles from other systems, errors."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord, load_patient_file, parse_patient_document
from osteotwin.records.fhir import (
    ModelOutput,
    Prediction,
    bundle_to_record,
    fracture_risk_output,
    import_bundle,
    record_to_bundle,
    trajectory_output,
)
from osteotwin.records.fhir.codes import CS_DRUG, Coding, coding_property, unit_property
from tests.records.fhir_strategies import patient_documents

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"


def _via_json(bundle: dict[str, Any]) -> dict[str, Any]:
    """What another process sees after the bundle is written to a file."""
    loaded: dict[str, Any] = json.loads(json.dumps(bundle))
    return loaded


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _with_code(bundle: dict[str, Any], system: str, code: str) -> list[dict[str, Any]]:
    return [r for e in bundle["entry"] for r in [e["resource"]]
            for key in ("code", "medicationCodeableConcept")
            if any(c.get("system") == system and c.get("code") == code
                   for c in r.get(key, {}).get("coding", ()))]


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient_documents())
def test_round_trip_loses_nothing(document: dict[str, Any]) -> None:
    record = parse_patient_document(document)
    bundle = record_to_bundle(record)
    assert bundle_to_record(_via_json(bundle)) == record
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))  # content-derived ids stay distinct
    for observation in _resources(bundle, "Observation"):
        if observation["category"][0]["coding"][0]["code"] == "vital-signs":
            assert observation.get("effectiveDateTime")  # the vital-signs profile needs a date
        loinc = [x for x in observation["code"]["coding"] if x["system"] == LOINC]
        if loinc and "valueQuantity" in observation:  # a Mass/volume code holds a mass unit ...
            prop = coding_property(Coding(LOINC, loinc[0]["code"], loinc[0]["display"], ""))
            assert prop in (None, unit_property(observation["valueQuantity"]["unit"]))


@pytest.fixture
def example(example_patient_path: Path) -> PatientRecord:
    return load_patient_file(example_patient_path)


def test_example_round_trip_and_is_valid_r4(example: PatientRecord) -> None:
    from fhir.resources.R4B.bundle import Bundle

    bundle = record_to_bundle(example)
    Bundle.model_validate(bundle)
    result = import_bundle(_via_json(bundle))
    assert result.record == example and result.skipped == () and result.model_outputs == ()


def test_example_uses_standard_codes_and_ucum(example: PatientRecord) -> None:
    bundle = record_to_bundle(example)
    [estradiol] = _with_code(bundle, LOINC, "2243-4")
    assert estradiol["valueQuantity"] == {"value": 9, "unit": "pg/mL", "system": UCUM,
                                          "code": "pg/mL"}
    assert estradiol["effectiveDateTime"] == "2024-05-01"
    assert estradiol["method"] == {"text": "lc-ms/ms"}
    # reported in nmol/L: the Moles/volume code, not 2986-8 (Mass/volume)
    assert _with_code(bundle, LOINC, "2986-8") == []
    [testosterone] = _with_code(bundle, LOINC, "14913-8")
    assert testosterone["valueQuantity"]["value"] == 28.5  # as reported, in nmol/L
    assert testosterone["valueQuantity"]["code"] == "nmol/L"
    [spine_bmd] = _with_code(bundle, LOINC, "24966-4")
    assert spine_bmd["valueQuantity"]["value"] == pytest.approx(1.02)
    assert spine_bmd["valueQuantity"]["code"] == "g/cm2"
    [neck_t] = _with_code(bundle, LOINC, "38263-0")
    assert neck_t["valueQuantity"]["value"] == -1.4 and neck_t["valueQuantity"]["code"] == "1"
    assert neck_t["bodySite"]["coding"][0]["code"] == "femoral_neck"
    [anastrozole] = _with_code(bundle, RXNORM, "84857")
    dosage = anastrozole["dosage"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 0.5
    assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 3.5, "periodUnit": "d"}
    assert anastrozole["effectivePeriod"] == {"start": "2023-03-01"}
    assert anastrozole["status"] == "active"
    [height] = _with_code(bundle, LOINC, "8302-2")
    assert height["valueQuantity"]["value"] == 178 and height["valueQuantity"]["code"] == "cm"
    [smoking] = _with_code(bundle, LOINC, "72166-2")
    assert {"system": SNOMED, "code": "266919005", "display": "Never smoked tobacco"} in \
        smoking["valueCodeableConcept"]["coding"]


def test_every_resource_references_the_patient(example: PatientRecord) -> None:
    bundle = record_to_bundle(example)
    [patient_entry] = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    for entry in bundle["entry"]:
        if entry is not patient_entry:
            assert entry["resource"]["subject"] == {"reference": patient_entry["fullUrl"]}
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls)


def test_history_flags_are_conditions_true_and_false(example: PatientRecord) -> None:
    conditions = _resources(record_to_bundle(example), "Condition")
    status = {c["code"]["coding"][-1]["code"]: c["verificationStatus"]["coding"][0]["code"]
              for c in conditions}
    assert status["history.hypogonadism"] == "confirmed"
    assert status["history.breast_cancer"] == "refuted"
    assert len(conditions) == 7  # seven flags recorded, no free-text conditions


def test_export_is_deterministic(example: PatientRecord) -> None:
    assert record_to_bundle(example) == record_to_bundle(example)


def test_strings_fhir_cannot_hold_survive() -> None:
    doc = {"version": 1, "patient": {"id": "", "sex": "female", "birth_date": "1950-01-01"},
           "history": {"conditions": ["\u00a0", "", "osteoarthritis"]},
           "labs": [{"test": "ctx", "value": 0.4, "unit": "ng/mL", "date": "2024-01-01",
                     "method": "\u2028"}]}
    record = parse_patient_document(doc)
    assert bundle_to_record(_via_json(record_to_bundle(record))) == record


# --------------------------------------------------------------------------------------------------
# Bundles written by other systems
# --------------------------------------------------------------------------------------------------


def _entry(resource: dict[str, Any], n: int) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:00000000-0000-0000-0000-{n:012d}", "resource": resource}


def _foreign_bundle() -> dict[str, Any]:
    patient_ref = {"reference": "Patient/p1"}
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1957-03-09",
         "identifier": [{"system": "urn:oid:1.2.3", "value": "MRN-77"}]},
        {"resourceType": "Observation", "id": "o1", "status": "final", "subject": patient_ref,
         "code": {"coding": [{"system": LOINC, "code": "2243-4"}]},
         "effectiveDateTime": "2024-02-03T08:30:00+01:00",
         "valueQuantity": {"value": 100, "unit": "pmol/L", "system": UCUM, "code": "pmol/L"}},
        {"resourceType": "Observation", "id": "o2", "status": "final", "subject": patient_ref,
         "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
         "effectiveDateTime": "2023-01-01",
         "valueQuantity": {"value": 150, "unit": "lb", "system": UCUM, "code": "[lb_av]"}},
        {"resourceType": "Observation", "id": "o3", "status": "final", "subject": patient_ref,
         "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
         "effectiveDateTime": "2024-01-01",
         "valueQuantity": {"value": 65, "unit": "kg", "system": UCUM, "code": "kg"}},
        {"resourceType": "Observation", "id": "o4", "status": "final", "subject": patient_ref,
         "code": {"coding": [{"system": LOINC, "code": "2093-3", "display": "Cholesterol"}]},
         "valueQuantity": {"value": 190, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}},
        {"resourceType": "Observation", "id": "o5", "status": "final", "subject": patient_ref,
         "code": {"coding": [{"system": LOINC, "code": "38264-8"}]},
         "effectiveDateTime": "2024-01-10", "valueQuantity": {"value": -2.1, "code": "1"}},
        {"resourceType": "Observation", "id": "o6", "status": "final", "subject": patient_ref,
         "code": {"coding": [{"system": LOINC, "code": "38261-4"}]},
         "effectiveDateTime": "2024-01-10",
         "valueQuantity": {"value": 0.71, "unit": "g/cm2", "system": UCUM, "code": "g/cm2"}},
        {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
         "subject": patient_ref,
         "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "72965"}]},
         "effectivePeriod": {"start": "2022-06-01"},
         "dosage": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                     "doseAndRate": [{"doseQuantity": {"value": 2.5, "unit": "mg",
                                                       "system": UCUM, "code": "mg"}}]}]},
        {"resourceType": "MedicationStatement", "id": "m2", "status": "active",
         "subject": patient_ref, "medicationCodeableConcept": {"text": "metformin"}},
        {"resourceType": "Condition", "id": "c1", "subject": patient_ref,
         "code": {"text": "Hypertension"}},
        {"resourceType": "Practitioner", "id": "dr1"},
    ]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [_entry(r, i) for i, r in enumerate(resources)]}


def test_reads_bundle_from_another_system() -> None:
    result = import_bundle(_foreign_bundle())
    record = result.record
    assert record.patient.id == "MRN-77" and record.patient.sex == "female"
    assert record.patient.weight_kg == 65.0  # the latest weight wins
    [estradiol] = record.labs
    # 100 pmol/L x 272.38 g/mol = 27238 pg/L = 27.238 pg/mL (molar mass: PubChem CID 5757)
    assert estradiol.value == pytest.approx(27.238, rel=1e-6)
    assert estradiol.reported_unit == "pmol/L" and estradiol.date == date(2024, 2, 3)
    [scan] = record.dxa
    assert (scan.site, scan.bmd_g_cm2, scan.t_score) == ("total_hip", 0.71, -2.1)
    [letrozole] = record.medications
    assert (letrozole.drug, letrozole.dose_mg, letrozole.every_d) == ("letrozole", 2.5, 1.0)
    assert letrozole.start == date(2022, 6, 1)
    assert record.history.conditions == ("Hypertension",)
    skipped = "\n".join(result.skipped)
    # the older weight is listed as superseded; the identifier taken as patient.id is named
    assert len(result.skipped) == 5 and "urn:oid:1.2.3|MRN-77" in skipped
    assert record.extra["fhir_patient_identifiers"] == [{"system": "urn:oid:1.2.3",
                                                         "value": "MRN-77"}]
    assert "Cholesterol" in skipped and "metformin" in skipped and "Practitioner" in skipped
    assert "Observation/o2" in skipped


def test_imperial_weight_is_converted() -> None:
    bundle = _foreign_bundle()
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") != "o3"]
    record = bundle_to_record(bundle)
    assert record.patient.weight_kg == pytest.approx(150 * 0.45359237)


# --------------------------------------------------------------------------------------------------
# Bad bundles
# --------------------------------------------------------------------------------------------------


def _error(bundle: Any) -> UserInputError:
    with pytest.raises(UserInputError) as info:
        bundle_to_record(bundle)
    return info.value


def test_not_a_bundle() -> None:
    assert "not a Bundle" in str(_error([]))
    err = _error({"resourceType": "Patient"})
    assert err.field == "resourceType" and err.value == "Patient"


def test_unknown_resource_type_names_the_entry() -> None:
    bundle = _foreign_bundle()
    bundle["entry"][3]["resource"] = {"resourceType": "Nonsense"}
    err = _error(bundle)
    assert "Bundle.entry[3]" in err.field and err.value == "Nonsense"


def test_invalid_fhir_names_resource_and_field() -> None:
    bundle = _foreign_bundle()
    bundle["entry"][1]["resource"]["valueQuantity"]["value"] = "lots"
    err = _error(bundle)
    assert err.field.startswith("Bundle.entry[1] Observation")
    assert "valueQuantity" in err.field and err.value == "lots"


def test_implausible_value_names_entry_and_patient_file_field() -> None:
    bundle = _foreign_bundle()
    bundle["entry"][1]["resource"]["valueQuantity"] = {"value": 9e6, "unit": "pmol/L",
                                                       "system": UCUM, "code": "pmol/L"}
    err = _error(bundle)
    assert "Observation/o1" in err.field and "labs[0].value" in err.field
    assert err.problem == "implausible value"


def test_lab_without_unit_or_date_is_refused() -> None:
    bundle = _foreign_bundle()
    del bundle["entry"][1]["resource"]["valueQuantity"]["code"]
    del bundle["entry"][1]["resource"]["valueQuantity"]["unit"]
    err = _error(bundle)
    assert "Observation/o1" in err.field and "labs[0].unit" in err.field
    bundle = _foreign_bundle()
    del bundle["entry"][1]["resource"]["effectiveDateTime"]
    assert "labs[0].date" in _error(bundle).field


def test_patient_count_must_be_one() -> None:
    bundle = _foreign_bundle()
    other = copy.deepcopy(bundle["entry"][0])  # another Patient (an identical repeat is left out)
    other["fullUrl"], other["resource"]["id"] = "urn:uuid:00000000-0000-0000-0000-000000000099", "p2"
    bundle["entry"].append(other)
    assert _error(bundle).problem == "no single patient"
    bundle["entry"] = bundle["entry"][1:-1]
    assert _error(bundle).problem == "no single patient"


def test_unsupported_gender_names_the_patient() -> None:
    bundle = _foreign_bundle()
    bundle["entry"][0]["resource"]["gender"] = "unknown"
    err = _error(bundle)
    assert "Patient/p1" in err.field and "patient.sex" in err.field


def test_unresolved_panel_member_is_refused(example: PatientRecord) -> None:
    bundle = record_to_bundle(example)
    panel = next(r for r in _resources(bundle, "Observation") if r.get("hasMember"))
    panel["hasMember"][0]["reference"] = "urn:uuid:missing"
    assert _error(bundle).problem == "unresolved reference"


# --------------------------------------------------------------------------------------------------
# Model outputs as RiskAssessment
# --------------------------------------------------------------------------------------------------


def test_model_outputs_travel_as_risk_assessments(example: PatientRecord) -> None:
    risk = fracture_risk_output({"model": "garvan", "any_fragility_10y_pct": 12.5,
                                 "hip_10y_pct": 2.25}, as_of=date(2025, 6, 1))
    times = [0.0, 365.25, 730.5, 1826.25]
    simulated = trajectory_output(
        times, {"lumbar_spine_bmd_change_pct": [0.0, -1.0, -1.5, -3.0],
                "estradiol_pg_ml": [20.0, 9.0, 9.0, 9.0], "lh_iu_l": [1.0, 1.0, 1.0, 1.0]},
        model="osteotwin 0.1", bands={"lumbar_spine_bmd_change_pct": ([0, -2, -3, -5],
                                                                       [0, 0, -0.5, -1])})
    assert [(p.outcome, p.years, p.value) for p in simulated.predictions] == [
        ("lumbar_spine_bmd_change_pct", 1.0, -1.0), ("lumbar_spine_bmd_change_pct", 2.0, -1.5),
        ("lumbar_spine_bmd_change_pct", 5.0, -3.0), ("estradiol_pg_ml", 1.0, 9.0),
        ("estradiol_pg_ml", 2.0, 9.0), ("estradiol_pg_ml", 5.0, 9.0)]
    assert simulated.predictions[2].interval == (-5.0, -1.0)
    bundle = _via_json(record_to_bundle(example, model_outputs=[risk, simulated]))
    assessments = _resources(bundle, "RiskAssessment")
    assert len(assessments) == 2
    assert assessments[0]["prediction"][0]["probabilityDecimal"] == 12.5
    result = import_bundle(bundle)
    assert result.record == example
    assert result.model_outputs == (risk, simulated)


def test_external_fracture_risk_is_a_risk_assessment() -> None:
    record = parse_patient_document({
        "version": 1, "patient": {"sex": "female", "birth_date": "1950-01-01"},
        "fracture_risk_external": {"tool": "FRAX", "major_osteoporotic_10y_pct": 18.0,
                                   "hip_10y_pct": 4.2, "bmd_included": True, "country": "UK"}})
    [risk] = _resources(record_to_bundle(record), "RiskAssessment")
    assert risk["method"]["text"] == "FRAX"
    assert [p["probabilityDecimal"] for p in risk["prediction"]] == [18.0, 4.2]
    assert bundle_to_record(record_to_bundle(record)) == record


def test_prediction_dataclass_defaults() -> None:
    output = ModelOutput(kind="simulation", model="m", predictions=(Prediction("x", "x"),))
    bundle = record_to_bundle(parse_patient_document(
        {"version": 1, "patient": {"sex": "male", "birth_date": "1960-01-01"}}),
        model_outputs=[output])
    assert import_bundle(bundle).model_outputs == (output,)


# --------------------------------------------------------------------------------------------------
# Robustness: any damage to a bundle gives a record or a UserInputError, never a crash
# --------------------------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8),
                                                                     children, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*prefix, i)))
    return out


_EXAMPLE_BUNDLE = record_to_bundle(load_patient_file(
    Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml"))
_EXAMPLE_PATHS = [p for p in _paths(_EXAMPLE_BUNDLE) if p]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_EXAMPLE_PATHS), _json_values, st.booleans())
def test_damaged_bundles_never_crash(path: tuple[Any, ...], value: Any, delete: bool) -> None:
    bundle = copy.deepcopy(_EXAMPLE_BUNDLE)
    parent = bundle
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        result = import_bundle(bundle)
    except UserInputError as err:
        assert err.field or err.problem
    else:
        assert isinstance(result.record, PatientRecord)


_WOMAN = {"version": 1, "as_of": "2025-06-01",
          "patient": {"id": "w-1", "sex": "female", "birth_date": "1952-03-01",
                      "menopausal_status": "postmenopausal"},
          "history": {"prior_fragility_fractures": 1, "falls_last_12_months": 1,
                      "breast_cancer": True},
          "medications": [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d",
                           "start": "2023-01-01"}],
          "dxa": [{"date": "2024-11-01", "site": "femoral_neck", "bmd": "0.62 g/cm2",
                   "t_score": -2.3}]}


def test_assessment_fracture_risk_exported_as_risk_assessment() -> None:
    from osteotwin.clinic import assess
    from osteotwin.records.fhir.compute import fracture_risk_outputs

    record = parse_patient_document(_WOMAN)
    estimates = assess(record, date(2025, 6, 1)).fracture_risk.estimates
    outputs = fracture_risk_outputs(record, date(2025, 6, 1))
    assert estimates and len(outputs) == len(
        [e for e in estimates if e.any_fragility_10y_pct is not None or e.hip_10y_pct is not None])
    first = {p.outcome + f"@{p.years:g}": p.probability_pct for p in outputs[0].predictions}
    assert first["any_fragility_fracture@10"] == estimates[0].any_fragility_10y_pct
    assert first["any_fragility_fracture@5"] == estimates[0].any_fragility_5y_pct
    assert outputs[0].note is not None and "limits:" in outputs[0].note
    result = import_bundle(_via_json(record_to_bundle(record, model_outputs=outputs)))
    assert result.record == record and result.model_outputs == tuple(outputs)


def test_transaction_bundle_puts_stable_ids(example: PatientRecord) -> None:
    bundle = record_to_bundle(example, bundle_type="transaction")
    assert bundle["type"] == "transaction"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["request"] == {"method": "PUT",
                                    "url": f"{resource['resourceType']}/{resource['id']}"}
    assert bundle_to_record(bundle) == example
    with pytest.raises(UserInputError, match="unsupported Bundle type"):
        record_to_bundle(example, bundle_type="batch")


def test_observation_without_value_but_with_reason_is_skipped() -> None:
    bundle = _foreign_bundle()
    observation = bundle["entry"][1]["resource"]
    del observation["valueQuantity"]
    observation["dataAbsentReason"] = {"text": "specimen haemolysed"}
    result = import_bundle(bundle)
    assert result.record.labs == ()
    assert any("specimen haemolysed" in line for line in result.skipped)


def test_lab_bound_is_listed_not_taken_as_a_value() -> None:
    bundle = _foreign_bundle()
    bundle["entry"][1]["resource"]["valueQuantity"]["comparator"] = "<"
    result = import_bundle(bundle)
    assert result.record.labs == ()
    assert any("estradiol <100 pmol/L is a bound" in line for line in result.skipped)


def test_lab_dated_by_period_or_issued() -> None:
    bundle = _foreign_bundle()
    observation = bundle["entry"][1]["resource"]
    del observation["effectiveDateTime"]
    observation["effectivePeriod"] = {"start": "2024-03-04T07:00:00Z"}
    assert bundle_to_record(bundle).labs[0].date == date(2024, 3, 4)
    del observation["effectivePeriod"]
    observation["issued"] = "2024-03-05T10:00:00Z"
    assert bundle_to_record(bundle).labs[0].date == date(2024, 3, 5)


# --------------------------------------------------------------------------------------------------
# Bundles from EHR exports: whose data, dose timing, several dosages, routes, statuses, references
# --------------------------------------------------------------------------------------------------

GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"


def _resource(bundle: dict[str, Any], rid: str) -> dict[str, Any]:
    resource: dict[str, Any] = next(e["resource"] for e in bundle["entry"]
                                    if e["resource"].get("id") == rid)
    return resource


@pytest.mark.parametrize("rid", ["o1", "m1", "c1"])
def test_data_about_another_patient_is_refused(rid: str) -> None:
    bundle = _foreign_bundle()
    _resource(bundle, rid)["subject"] = {"reference": "Patient/other"}
    err = _error(bundle)
    assert err.problem == "refers to another patient" and err.value == "Patient/other"
    assert f"/{rid}.subject" in err.field and "Patient/p1" in err.accepted


def test_subject_may_name_the_patient_by_url_fullurl_or_identifier() -> None:
    bundle = _foreign_bundle()
    _resource(bundle, "o1")["subject"] = {
        "reference": "https://ehr.example.org/fhir/Patient/p1/_history/3"}
    _resource(bundle, "m1")["subject"] = {"reference": bundle["entry"][0]["fullUrl"]}
    _resource(bundle, "c1")["subject"] = {"identifier": {"system": "urn:oid:1.2.3",
                                                         "value": "MRN-77"}}
    record = bundle_to_record(bundle)
    assert len(record.labs) == 1 and len(record.medications) == 1
    _resource(bundle, "c1")["subject"] = {"identifier": {"system": "urn:oid:1.2.3",
                                                         "value": "MRN-78"}}
    err = _error(bundle)
    assert "Condition/c1.subject" in err.field and err.problem == "refers to another patient"


def _letrozole(**dosage: Any) -> dict[str, Any]:
    bundle = _foreign_bundle()
    _resource(bundle, "m1")["dosage"] = [{
        "doseAndRate": [{"doseQuantity": {"value": 2.5, "unit": "mg", "system": UCUM,
                                          "code": "mg"}}], **dosage}]
    return bundle


@pytest.mark.parametrize(("code", "every_d"), [
    ("BID", 0.5), ("TID", 1 / 3), ("QID", 0.25), ("QD", 1.0), ("QOD", 2.0), ("WK", 7.0),
    ("MO", 30.4375), ("Q8H", 1 / 3)])
def test_timing_code_gives_the_dose_interval(code: str, every_d: float) -> None:
    bundle = _letrozole(timing={"code": {"coding": [{"system": GTS, "code": code}]}})
    [letrozole] = bundle_to_record(bundle).medications
    assert letrozole.every_d == pytest.approx(every_d)
    assert letrozole.daily_dose_mg() == pytest.approx(2.5 / every_d)  # BID: 5 mg/d, not 2.5


def test_timing_code_next_to_bounds_only_repeat_is_read() -> None:
    bundle = _letrozole(timing={"code": {"coding": [{"system": GTS, "code": "BID"}]},
                                "repeat": {"boundsPeriod": {"start": "2023-01-01"}}})
    [letrozole] = bundle_to_record(bundle).medications
    assert letrozole.every_d == 0.5 and letrozole.start == date(2023, 1, 1)


def test_unknown_timing_code_or_frequency_without_period_is_refused() -> None:
    err = _error(_letrozole(timing={"code": {"coding": [{"system": GTS, "code": "Q12H-ODD"}],
                                             "text": "when needed"}}))
    assert err.problem == "dose frequency not understood"
    assert "MedicationStatement/m1.dosage[0].timing.code" in err.field and "BID" in err.accepted
    err = _error(_letrozole(timing={"repeat": {"frequency": 2}}))
    assert err.problem == "dose frequency without a period"


def test_several_times_of_day_without_period_are_doses_a_day() -> None:
    bundle = _letrozole(timing={"repeat": {"timeOfDay": ["08:00:00", "20:00:00"]}})
    [letrozole] = bundle_to_record(bundle).medications
    assert letrozole.every_d == 0.5


def _dosage(mg: float, bounds: dict[str, str] | None = None, **more: Any) -> dict[str, Any]:
    repeat: dict[str, Any] = {"frequency": 1, "period": 1, "periodUnit": "d"}
    if bounds is not None:
        repeat["boundsPeriod"] = bounds
    return {"timing": {"repeat": repeat}, **more,
            "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM,
                                              "code": "mg"}}]}


def test_each_dosage_is_its_own_regimen() -> None:
    bundle = _foreign_bundle()
    _resource(bundle, "m1")["dosage"] = [
        _dosage(2.5, {"start": "2022-06-01", "end": "2023-06-01"}),
        _dosage(5.0, {"start": "2023-06-01"})]
    result = import_bundle(bundle)
    assert [(m.dose_mg, m.start, m.stop) for m in result.record.medications] == [
        (2.5, date(2022, 6, 1), date(2023, 6, 1)), (5.0, date(2023, 6, 1), None)]
    # the same Dosage.sequence: doses taken together, over the statement's period
    _resource(bundle, "m1")["dosage"] = [_dosage(2.5, sequence=1), _dosage(1.0, sequence=1)]
    record = bundle_to_record(bundle)
    assert [(m.dose_mg, m.start) for m in record.medications] == [
        (2.5, date(2022, 6, 1)), (1.0, date(2022, 6, 1))]


def test_overlapping_dosages_are_refused_not_added_up_or_dropped() -> None:
    bundle = _foreign_bundle()  # the audit's case: a later dose change, first dosage not bounded
    _resource(bundle, "m1")["dosage"] = [_dosage(2.5), _dosage(5.0, {"start": "2025-01-01"})]
    err = _error(bundle)
    assert "MedicationStatement/m1.dosage[1]" in err.field
    assert err.problem.startswith("dosages overlap in time") and "2025-01-01" in err.value


def test_dose_parts_the_file_cannot_hold_are_listed() -> None:
    bundle = _letrozole(timing={"repeat": {"frequency": 1, "period": 1, "periodUnit": "d",
                                           "count": 30}})
    _resource(bundle, "m1")["dosage"][0]["doseAndRate"].append(
        {"doseQuantity": {"value": 2, "unit": "mg", "system": UCUM, "code": "mg"}})
    skipped = "\n".join(import_bundle(bundle).skipped)
    assert "dosage[0].timing.repeat.count: 30" in skipped
    assert "dosage[0].doseAndRate[1]: only the first dose" in skipped
    bundle = _letrozole()
    _resource(bundle, "m1")["dosage"][0]["doseAndRate"] = [
        {"doseRange": {"low": {"value": 1, "unit": "mg"}, "high": {"value": 2, "unit": "mg"}}}]
    result = import_bundle(bundle)
    assert result.record.medications[0].dose_mg is None
    assert any("doseAndRate[0].doseRange" in line for line in result.skipped)


@pytest.mark.parametrize(("code", "route", "drug", "dose"), [
    ("26643006", "oral", "letrozole", 2.5),
    ("78421000", "intramuscular", "testosterone_cypionate", 100.0),
    ("34206005", "subcutaneous", "denosumab", 10.0),
    ("45890007", "transdermal", "testosterone_gel", 50.0),
    ("47625008", "intravenous", "zoledronic_acid", 0.1)])
def test_snomed_route_is_read(code: str, route: str, drug: str, dose: float) -> None:
    """Each SNOMED route, on a drug given by it (a drug's own routes: ``records.drugs.DRUG_ROUTES``)."""
    bundle = _letrozole(route={"coding": [{"system": SNOMED, "code": code}]})
    _resource(bundle, "m1")["medicationCodeableConcept"] = {"coding": [{"system": CS_DRUG, "code": drug}]}
    _resource(bundle, "m1")["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] = dose
    result = import_bundle(bundle)
    assert result.record.medications[0].drug == drug
    assert result.record.medications[0].route == route
    assert not any("route" in line for line in result.skipped)


def test_a_route_the_drug_is_not_given_by_is_refused() -> None:
    bundle = _letrozole(route={"coding": [{"system": SNOMED, "code": "47625008"}]})  # intravenous
    with pytest.raises(UserInputError) as info:
        import_bundle(bundle)
    assert info.value.field.endswith("route") and "oral for letrozole" in info.value.accepted


def test_unknown_route_is_listed() -> None:
    bundle = _letrozole(route={"coding": [{"system": SNOMED, "code": "37161004",
                                           "display": "Rectal route"}]})
    result = import_bundle(bundle)
    assert result.record.medications[0].route is None
    assert any("m1.dosage[0].route" in line and "Rectal route" in line
               for line in result.skipped)


def test_only_final_amended_or_corrected_observations_are_imported() -> None:
    for status in ("preliminary", "registered", "unknown", "entered-in-error", "cancelled"):
        bundle = _foreign_bundle()
        _resource(bundle, "o1")["status"] = status
        _resource(bundle, "o6")["status"] = status
        result = import_bundle(bundle)
        assert result.record.labs == () and result.record.dxa[0].bmd_g_cm2 is None, status
        assert any(f"Observation/o1: status {status}" in line for line in result.skipped)
    bundle = _foreign_bundle()
    _resource(bundle, "o1")["status"] = "amended"
    _resource(bundle, "o6")["status"] = "corrected"
    record = bundle_to_record(bundle)
    assert len(record.labs) == 1 and record.dxa[0].bmd_g_cm2 == 0.71


def test_condition_entered_in_error_is_listed(example: PatientRecord) -> None:
    bundle = record_to_bundle(example)
    flag = next(r for r in _resources(bundle, "Condition")
                if r["code"]["coding"][-1]["code"] == "history.hypogonadism")
    flag["verificationStatus"]["coding"][0]["code"] = "entered-in-error"
    result = import_bundle(bundle)
    assert result.record.history.hypogonadism is None
    assert any("verificationStatus entered-in-error" in line for line in result.skipped)


def _medication_resource(rid: str) -> dict[str, Any]:
    return {"resourceType": "Medication", "id": rid,
            "code": {"coding": [{"system": RXNORM, "code": "84857", "display": "anastrozole"}]}}


@pytest.mark.parametrize("how", ["Type/id", "fullUrl", "contained"])
def test_medication_reference_is_resolved(how: str) -> None:
    bundle = _foreign_bundle()
    statement = _resource(bundle, "m1")
    del statement["medicationCodeableConcept"]
    statement["dosage"] = [_dosage(1.0)]
    if how == "contained":
        statement["contained"] = [_medication_resource("med")]
        statement["medicationReference"] = {"reference": "#med"}
    else:
        bundle["entry"].append(_entry(_medication_resource("med1"), 99))
        statement["medicationReference"] = {
            "reference": "Medication/med1" if how == "Type/id" else bundle["entry"][-1]["fullUrl"]}
    result = import_bundle(bundle)
    [anastrozole] = result.record.medications
    assert (anastrozole.drug, anastrozole.dose_mg, anastrozole.every_d) == ("anastrozole", 1.0, 1.0)
    assert not any(" Medication/" in line for line in result.skipped)  # read, not left out


def test_unresolved_medication_reference_is_listed_as_such() -> None:
    bundle = _foreign_bundle()
    statement = _resource(bundle, "m1")
    del statement["medicationCodeableConcept"]
    statement["medicationReference"] = {"reference": "Medication/nowhere"}
    result = import_bundle(bundle)
    assert result.record.medications == ()
    [line] = [x for x in result.skipped if "MedicationStatement/m1" in x]
    assert "'Medication/nowhere' does not resolve to a Medication" in line
    assert "drug list" not in line


def test_lab_value_given_as_string_is_refused_by_name() -> None:
    bundle = _foreign_bundle()
    observation = _resource(bundle, "o1")
    del observation["valueQuantity"]
    observation["valueString"] = "20 pg/mL"
    err = _error(bundle)
    assert "Observation/o1" in err.field and "labs[0].value" in err.field
    assert err.problem == "a quantity is needed, valueString given" and err.value == "20 pg/mL"
    assert "valueQuantity" in err.accepted


def test_request_only_entry_is_listed_not_refused() -> None:
    bundle = _foreign_bundle()
    bundle["type"] = "transaction"
    bundle["entry"].append({"request": {"method": "DELETE", "url": "Observation/o9"}})
    result = import_bundle(bundle)
    assert len(result.record.labs) == 1
    assert any("Bundle.entry[11]: request DELETE Observation/o9 without a resource" in line
               for line in result.skipped)
