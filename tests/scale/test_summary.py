"""Summary per arm and endpoint: statistics, published value, pass rule, paired contrasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from osteotwin.scale.endpoints import endpoint_columns, output_times
from osteotwin.scale.summary import describe, summarise, summary_csv
from osteotwin.trials.reader import parse_trial_document

TRIAL = {
    "version": 1, "id": "toy", "citation": "hand-made",
    "population": {"sex": "female", "age": {"mean": 60, "sd": 5}},
    "arms": [{"id": "ai", "n": 100, "regimens": []}, {"id": "placebo", "n": 100, "regimens": []}],
    "endpoints": [
        {"arm": "ai", "quantity": "lumbar_spine_bmd_change_pct", "at": "12 mo", "value": -2.0,
         "ci95": [-3.0, -1.0]},
        {"contrast": ["ai", "placebo"], "quantity": "lumbar_spine_bmd_change_pct", "at": "12 mo",
         "value": -2.5, "se": 0.5},
    ],
}


def _people() -> pd.DataFrame:
    placebo = np.linspace(-1.0, 1.0, 101)
    ai = placebo - 2.0 - 0.01 * np.arange(101)  # individual effect -2 to -3 pp
    name = "lumbar_spine_bmd_change_pct@12 mo"
    return pd.DataFrame({
        "arm_index": [0] * 101 + [1] * 101, "arm_id": ["ai"] * 101 + ["placebo"] * 101,
        "person": list(range(101)) * 2, name: np.concatenate([ai, placebo]),
    })


def test_describe_on_known_values() -> None:
    stats = describe(np.array([1.0, 2.0, 3.0, 4.0, np.nan]))
    assert stats["n"] == 4
    assert stats["mean"] == pytest.approx(2.5)
    assert stats["sd"] == pytest.approx(np.sqrt(5.0 / 3.0))
    assert stats["p50"] == pytest.approx(2.5)


def test_summary_rows_carry_published_values_and_pass() -> None:
    trial = parse_trial_document(TRIAL)
    columns = endpoint_columns(trial)
    assert [c.name for c in columns] == ["lumbar_spine_bmd_change_pct@12 mo"]
    assert 365.25 in output_times(columns)
    rows = summarise(_people(), trial, columns)
    ai, placebo, contrast = rows
    assert ai["arm"] == "ai" and ai["mean"] == pytest.approx(-2.5)
    assert ai["published"] == -2.0 and ai["interval"] == [-3.0, -1.0] and ai["pass"] is True
    assert placebo["published"] is None and placebo["pass"] is None
    assert placebo["mean"] == pytest.approx(0.0, abs=1e-12)
    # paired per person: the individual effects run from -2 to -3 pp
    assert contrast["contrast"] == ["ai", "placebo"]
    assert contrast["p2.5"] == pytest.approx(-2.975) and contrast["p97.5"] == pytest.approx(-2.025)
    assert contrast["interval"] == pytest.approx([-2.5 - 1.96 * 0.5, -2.5 + 1.96 * 0.5], abs=1e-3)
    assert contrast["pass"] is True
    csv_text = summary_csv(rows)
    assert csv_text.splitlines()[3].startswith(",ai-placebo,")


def test_a_mean_outside_the_widened_interval_fails() -> None:
    trial = parse_trial_document(TRIAL)
    people = _people()
    people.loc[people["arm_id"] == "ai", "lumbar_spine_bmd_change_pct@12 mo"] -= 5.0
    ai = summarise(people, trial, endpoint_columns(trial))[0]
    assert ai["pass"] is False
