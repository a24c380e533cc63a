"""``osteotwin fhir export`` / ``fhir import`` end to end, through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from osteotwin.records import load_patient_file

OSTEOTWIN = str(Path(sys.executable).with_name("osteotwin"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OSTEOTWIN, *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_file_to_bundle_to_file_loses_nothing(example_patient_path: Path, tmp_path: Path) -> None:
    bundle_path = tmp_path / "bundle.json"
    done = _run("fhir", "export", str(example_patient_path), "-o", str(bundle_path))
    assert done.returncode == 0, done.stderr
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    for suffix in (".yaml", ".json"):
        patient_path = tmp_path / f"patient{suffix}"
        done = _run("fhir", "import", str(bundle_path), "-o", str(patient_path))
        assert done.returncode == 0, done.stderr
        assert "import note" not in done.stderr
        assert load_patient_file(patient_path) == load_patient_file(example_patient_path)


def test_export_to_stdout_is_one_json_document(example_patient_path: Path) -> None:
    done = _run("fhir", "export", str(example_patient_path))
    assert done.returncode == 0
    assert json.loads(done.stdout)["type"] == "collection"
    done = _run("fhir", "export", str(example_patient_path), "--type", "transaction")
    assert done.returncode == 0
    assert all(e["request"]["method"] == "PUT" for e in json.loads(done.stdout)["entry"])
    done = _run("fhir", "export", str(example_patient_path), "--type", "batch")
    assert done.returncode == 2 and "collection or transaction" in done.stderr


def test_the_date_and_the_id_namespace_are_chosen_on_the_command_line(
        example_patient_path: Path) -> None:
    """--as-of sets the date the Bundle speaks for (a regimen stopped by then is completed);
    --id-namespace keeps two sites' transaction ids apart."""
    def bundle(*args: str) -> dict[str, object]:
        done = _run("fhir", "export", str(example_patient_path), *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    def statuses(b: dict[str, object]) -> dict[str, str]:  # the medicines with a start date
        return {e["resource"]["medicationCodeableConcept"]["text"]: e["resource"]["status"]  # type: ignore[index]
                for e in b["entry"]  # type: ignore[attr-defined]
                if e["resource"]["resourceType"] == "MedicationStatement"
                and "effectivePeriod" in e["resource"]}

    assert set(statuses(bundle()).values()) == {"active"}
    before = statuses(bundle("--as-of", "2022-01-01"))  # before both started
    assert before == {"testosterone cypionate": "intended", "anastrozole": "intended"}
    ids = [{e["fullUrl"] for e in bundle("--type", "transaction", *extra)["entry"]}  # type: ignore[index,union-attr]
           for extra in ((), ("--id-namespace", "clinic-a.example"))]
    assert not ids[0] & ids[1]
    for bad in (("--as-of", "01/02/2025"), ("--id-namespace", " ")):
        done = _run("fhir", "export", str(example_patient_path), *bad)
        assert done.returncode == 2 and bad[0] in done.stderr


def test_import_names_what_it_left_out(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "gender": "female",
                      "birthDate": "1955-02-01"}},
        {"resource": {"resourceType": "Practitioner", "id": "dr"}}]}
    path = tmp_path / "in.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    done = _run("fhir", "import", str(path))
    assert done.returncode == 0
    assert "Practitioner/dr" in done.stderr
    assert "sex: female" in done.stdout


def test_bad_bundle_is_one_line_on_stderr_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "gender": "male"}}]}), encoding="utf-8")
    done = _run("fhir", "import", str(path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "Patient" in done.stderr and "patient.birth_date" in done.stderr
    path.write_text("{not json", encoding="utf-8")
    done = _run("fhir", "import", str(path))
    assert done.returncode == 2 and "malformed JSON" in done.stderr
    done = _run("fhir", "export", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2 and "file not found" in done.stderr


def test_output_suffix_is_checked(example_patient_path: Path, tmp_path: Path) -> None:
    done = _run("fhir", "export", str(example_patient_path), "-o", str(tmp_path / "b.xml"))
    assert done.returncode == 2 and ".json" in done.stderr


def test_export_with_model_outputs(tmp_path: Path) -> None:
    patient = tmp_path / "woman.yaml"
    patient.write_text(
        "version: 1\nas_of: 2025-06-01\n"
        "patient: {id: w-1, sex: female, birth_date: 1952-03-01, weight: 58 kg,"
        " menopausal_status: postmenopausal}\n"
        "history: {prior_fragility_fractures: 1, falls_last_12_months: 1, breast_cancer: true}\n"
        "medications: [{drug: letrozole, dose: 2.5 mg, every: 1 d, start: 2023-01-01}]\n"
        "dxa: [{date: 2024-11-01, site: femoral_neck, bmd: 0.62 g/cm2, t_score: -2.3}]\n",
        encoding="utf-8")
    out = tmp_path / "bundle.json"
    done = _run("fhir", "export", str(patient), "-o", str(out), "--with-risk",
                "--simulate-years", "2")
    assert done.returncode == 0, done.stderr
    bundle = json.loads(out.read_text(encoding="utf-8"))
    risks = [e["resource"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "RiskAssessment"]
    kinds = [r["code"]["coding"][0]["code"] for r in risks]
    assert "model.fracture_risk" in kinds and kinds[-1] == "model.simulation"
    simulated = risks[-1]["prediction"]
    horizons = {(p["outcome"]["coding"][0]["code"], p["whenRange"]["high"]["value"])
                for p in simulated}
    assert ("estradiol_pg_ml", 2.0) in horizons and ("femoral_neck_bmd_change_pct", 1.0) in horizons
    back = _run("fhir", "import", str(out), "-o", str(tmp_path / "back.yaml"))
    assert back.returncode == 0 and "not imported" not in back.stderr
    assert load_patient_file(tmp_path / "back.yaml") == load_patient_file(patient)
    done = _run("fhir", "export", str(patient), "--simulate-years", "99")
    assert done.returncode == 2 and "--simulate-years" in done.stderr
