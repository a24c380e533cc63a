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
    [testosterone] = _with_code(bundle, LOINC, "2986-8")
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
    resources = [
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
    assert len(result.skipped) == 4  # the older weight is listed as superseded
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
    bundle["entry"].append(copy.deepcopy(bundle["entry"][0]))
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
