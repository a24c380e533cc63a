"""Report figures: PNG data URIs from the record's own data, nothing plotted that is not on file."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

from osteotwin.records import load_patient_file, parse_patient_document
from osteotwin.reports.figures import (
    Curve,
    bmd_history_figure,
    lab_history_figure,
    what_if_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(data_uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert data_uri.startswith(prefix)
    return base64.b64decode(data_uri[len(prefix):])


def test_history_figures_from_the_example(example_patient_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    labs = lab_history_figure(record, date(2025, 6, 1))
    assert labs is not None and _png(labs.data_uri).startswith(PNG_MAGIC)
    assert "Estradiol: 9 pg/mL on 2024-05-01" in labs.alt
    assert "25(OH)D: 22 ng/mL" in labs.alt
    bmd = bmd_history_figure(record, date(2025, 6, 1))
    assert bmd is not None and _png(bmd.data_uri).startswith(PNG_MAGIC)
    assert "Lumbar spine: 1.020 on 2023-01-05" in bmd.alt


def test_no_data_no_figure() -> None:
    record = parse_patient_document({"version": 1,
                                     "patient": {"sex": "male", "birth_date": "1960-01-01"}})
    assert lab_history_figure(record, date(2025, 1, 1)) is None
    assert bmd_history_figure(record, date(2025, 1, 1)) is None


def test_data_after_the_report_date_is_not_plotted(example_patient_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    assert lab_history_figure(record, date(2024, 4, 30)) is None
    assert bmd_history_figure(record, date(2023, 1, 4)) is None


def test_t_scores_plotted_when_no_bmd() -> None:
    record = parse_patient_document({
        "version": 1, "patient": {"sex": "female", "birth_date": "1950-01-01"},
        "dxa": [{"date": "2022-01-01", "site": "total_hip", "t_score": -1.8},
                {"date": "2024-01-01", "site": "total_hip", "t_score": -2.1}]})
    figure = bmd_history_figure(record, date(2025, 1, 1))
    assert figure is not None and "T-scores" in figure.caption
    assert "Total hip: -1.800 on 2022-01-01, -2.100 on 2024-01-01" in figure.alt


def test_what_if_figure_lists_each_scenario_in_alt_text() -> None:
    years = [0.0, 1.0, 2.0]
    figure = what_if_figure(
        [("Estradiol", "pg/mL", [Curve("current course", years, [20.0, 8.0, 8.0]),
                                 Curve("stopped", years, [20.0, 19.0, 20.0],
                                       band=([18.0, 17.0, 18.0], [22.0, 21.0, 22.0]))])],
        title="t", caption="c")
    assert _png(figure.data_uri).startswith(PNG_MAGIC)
    assert figure.alt == "Estradiol, current course: 8 at 2 years; Estradiol, stopped: 20 at 2 years"
