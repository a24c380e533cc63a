"""Renderers on the spec's example patient: JSON shape (spec/cli.md), text and HTML content."""

from __future__ import annotations

import json
from pathlib import Path

from osteotwin.clinic import assess
from osteotwin.clinic.render import render_html, render_text, to_document
from osteotwin.records import load_patient_file
from tests.clinic.builders import make, run


def test_json_document_has_the_spec_shape(example_patient_path: Path) -> None:
    doc = to_document(assess(load_patient_file(example_patient_path)))
    json.dumps(doc)  # serialisable
    assert doc["as_of"] == "2025-06-01"
    for finding in doc["findings"]:
        assert {"code", "severity", "message", "evidence"} <= set(finding)
    for action in doc["actions"]:
        assert {"code", "priority", "message", "due", "evidence"} <= set(action)
    spine = doc["densitometry"]["lumbar_spine"]
    assert spine["bmd_g_cm2"] == 1.02 and spine["t_score"] == -1.1 and spine["z_score"] is None
    assert {"model", "any_fragility_10y_pct", "hip_10y_pct"} <= set(doc["fracture_risk"])
    assert set(doc["citations"]) >= {cid for f in doc["findings"] for cid in f["evidence"]}


def test_example_patient_is_assessed_as_the_guidelines_describe(example_patient_path: Path) -> None:
    result = assess(load_patient_file(example_patient_path))
    found = set(result.finding_codes())
    # man on TRT + anastrozole with estradiol 9 pg/mL (LC-MS/MS), 25(OH)D 22 ng/mL, DXA in 2023
    assert {"AI_USE_IN_MEN", "ESTRADIOL_LOW", "BMD_LOW", "DXA_OVERDUE",
            "RESISTANCE_TRAINING_INSUFFICIENT", "IMPACT_TRAINING_ABSENT",
            "AEROBIC_WEIGHT_BEARING_INSUFFICIENT", "SLEEP_SHORT"} <= found
    assert not {"ESTRADIOL_HIGH", "TESTOSTERONE_LOW", "TESTOSTERONE_HIGH", "BMD_OSTEOPOROSIS",
                "CALCIUM_INTAKE_LOW", "ESTRADIOL_METHOD_NOT_MASS_SPEC", "DXA_MISSING"} & found
    # his 25(OH)D is graded only while it is at most 12 months old; an older one is re-measured
    graded = {"VITAMIN_D_INSUFFICIENT", "VITAMIN_D_BELOW_AI_TARGET"}
    age_days = result.facts["vitamin_d_ng_ml_age_days"].value
    assert isinstance(age_days, int)
    if age_days <= 365:
        assert graded <= found
    else:
        assert "VITAMIN_D_NOT_MEASURED" in found and not graded & found
        assert "START_VITAMIN_D" not in result.action_codes()
    assert result.actions[0].code == "REVIEW_AROMATASE_INHIBITOR"
    assert "ORDER_DXA" in result.action_codes()


def test_findings_name_their_data_and_dates(example_patient_path: Path) -> None:
    result = assess(load_patient_file(example_patient_path))
    low = next(f for f in result.findings if f.code == "ESTRADIOL_LOW")
    point = next(p for p in low.data if p.name == "estradiol_pg_ml")
    assert point.value == 9 and str(point.date) == "2024-05-01"
    assert "2024-05-01" in low.message


def test_text_lists_sections_and_codes(example_patient_path: Path) -> None:
    text = render_text(assess(load_patient_file(example_patient_path)))
    for part in ("Findings", "Actions", "Densitometry", "Fracture risk", "References",
                 "ESTRADIOL_LOW", "REVIEW_AROMATASE_INHIBITOR", "femoral neck",
                 "Decision support only"):
        assert part in text
    assert "\x1b[" not in text  # no colour codes unless asked


def test_html_is_standalone_and_escaped() -> None:
    doc = make()
    doc["patient"]["id"] = "<script>alert(1)</script>"
    page = render_html(run(doc))
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "FRACTURE_RISK_NOT_ESTIMATED" in page


def test_data_labels_drop_unit_suffixes() -> None:
    from osteotwin.clinic.render.labels import data_label

    assert data_label("estradiol_pg_ml") == "estradiol"
    assert data_label("ai_drugs") == "AI drugs"
    assert data_label("last_dxa_date") == "last DXA date"
    assert data_label("lumbar_spine_bmd_change_pct") == "lumbar spine BMD change"
    assert data_label("sleep_hours") == "sleep hours"


def test_data_values_read_as_words() -> None:
    from osteotwin.clinic.render.labels import data_value

    assert data_value(True) == "yes" and data_value(False) == "no"
    assert data_value(None) == "not recorded"
    assert data_value("low_bone_mass") == "low bone mass"
    assert data_value(9.0) == "9.0" and data_value(0) == "0"


def test_a_missing_value_reads_as_missing_without_a_unit_or_a_repeat() -> None:
    """A man on an AI with no estradiol on file: no "not recorded pg/mL" in the data column and no
    "not recorded (not recorded)" in the review action."""
    from tests.clinic.builders import ANASTROZOLE, TESTOSTERONE

    doc = make(sex="male", age=60, medications=[TESTOSTERONE, ANASTROZOLE])
    doc["labs"] = []
    page = render_html(run(doc))
    assert "estradiol: not recorded<br>" in page
    assert "not recorded pg/mL" not in page and "not recorded (not recorded)" not in page
    assert "given the last estradiol (none on file)" in page
