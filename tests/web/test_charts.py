"""Trend charts: the assessment's thresholds drawn as reference lines, from its own rules."""

from __future__ import annotations

import datetime as dt

from osteotwin.clinic import assess
from osteotwin.records import parse_patient_document, parse_text
from osteotwin.records.storage.seed import demo_record_text
from osteotwin.web.charts import lab_trend, reference_lines


def _man_with_estradiol(value_pg_ml: float) -> object:
    return parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"id": "m", "sex": "male", "birth_date": "1965-01-01", "weight": "85 kg"},
        "labs": [{"test": "estradiol", "value": value_pg_ml, "unit": "pg/mL",
                  "date": "2025-05-01", "method": "lc-ms/ms"}]})


def _severity(value_pg_ml: float, code: str) -> str | None:
    result = assess(_man_with_estradiol(value_pg_ml), dt.date(2025, 6, 1))  # type: ignore[arg-type]
    return next((f.severity for f in result.findings if f.code == code), None)


def test_the_mens_estradiol_lines_are_where_the_assessment_changes_its_finding() -> None:
    [(low, low_label), (high, high_label)] = reference_lines("estradiol", "male")
    assert low_label.startswith(f"below {low:g}: ESTRADIOL_LOW, high (finkelstein_2016")
    assert high_label.startswith(f"above {high:g}: ESTRADIOL_HIGH")
    assert _severity(low - 0.1, "ESTRADIOL_LOW") == "high"
    assert _severity(low, "ESTRADIOL_LOW") not in (None, "high")
    assert _severity(high, "ESTRADIOL_HIGH") is None and _severity(high + 0.1, "ESTRADIOL_HIGH")
    assert reference_lines("estradiol", "female") == []  # an inhibitor's low estradiol is intended


def test_demo_charts_carry_the_vitamin_d_and_estradiol_lines() -> None:
    record = parse_patient_document(parse_text(demo_record_text(), source="demo"))
    vitamin_d = lab_trend(record, "vitamin_d_25oh", "25(OH) vitamin D", "ng/mL")
    lines = sorted(shape["y0"] for shape in vitamin_d["layout"]["shapes"])
    assert lines == [value for value, _ in reference_lines("vitamin_d_25oh", "male")]
    assert len(lines) == 2 and lines[0] < lines[1]
    texts = [a["text"] for a in vitamin_d["layout"]["annotations"]]
    assert any("VITAMIN_D_DEFICIENT" in t for t in texts)
    assert any("VITAMIN_D_INSUFFICIENT" in t for t in texts)
    low, high = vitamin_d["layout"]["yaxis"]["range"]
    assert low <= min(lines) and high >= max([*lines, *vitamin_d["data"][0]["y"]])
    [(severe, severe_label), (low, low_label)] = reference_lines("total_testosterone", "male")
    assert severe < low and "TESTOSTERONE_LOW, high" in severe_label
    assert "TESTOSTERONE_LOW, moderate" in low_label
    estradiol = lab_trend(record, "estradiol", "Estradiol", "pg/mL")
    assert [s["y0"] for s in estradiol["layout"]["shapes"]] == [
        value for value, _ in reference_lines("estradiol", "male")]
