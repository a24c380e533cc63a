"""The report's patient summary: what the record holds, and "not recorded" where it holds nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from osteotwin.records import load_patient_file, parse_patient_document
from osteotwin.reports.patient_summary import NOT_RECORDED, summarize_record


def test_minimal_record_shows_not_recorded() -> None:
    record = parse_patient_document({"version": 1,
                                     "patient": {"sex": "female", "birth_date": "1950-06-01"}})
    summary = summarize_record(record, date(2025, 6, 1))
    person = dict(summary.person)
    assert person["Height"] == NOT_RECORDED and person["BMI"] == NOT_RECORDED
    assert person["Birth date (age)"] == "1950-06-01 (75 years)"
    assert person["Menopausal status"] == NOT_RECORDED
    assert dict(summary.history)["Smoking"] == NOT_RECORDED
    assert summary.medications == [] and summary.labs == [] and summary.dxa == []
    assert summary.external_risk == []
    # ages in completed years: the day before her 76th birthday she is 75
    older = dict(summarize_record(record, date(2026, 5, 31)).person)
    assert older["Birth date (age)"] == "1950-06-01 (75 years)"


def test_example_rows(example_patient_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    summary = summarize_record(record, date(2025, 6, 1))
    assert "Menopausal status" not in dict(summary.person)  # not asked of men
    assert dict(summary.person)["BMI"] == f"{86 / 1.78 ** 2:.1f} kg/m²"
    anastrozole = next(row for row in summary.medications if row[0] == "anastrozole")
    assert anastrozole[1:3] == ("0.5 mg", "every 3.5 d") and anastrozole[5] == "ongoing"
    testosterone = next(row for row in summary.labs if row[1] == "total testosterone")
    assert testosterone[2] == "28.5 nmol/L"
    assert testosterone[3].endswith("ng/dL")  # converted to the canonical unit as well
    assert dict(summary.history)["Hypogonadism"] == "yes"


def test_results_after_report_date_are_marked(example_patient_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    summary = summarize_record(record, date(2024, 1, 1))
    assert all("after report date" in row[0] for row in summary.labs)
