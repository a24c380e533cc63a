"""Summary per arm and endpoint: statistics, published value, pass rule, paired contrasts."""

from __future__ import annotations

import csv
import io

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


def _people(repeat: int = 1) -> pd.DataFrame:
    """101 virtual people per arm (each repeated ``repeat`` times: the pass rule needs 1,000)."""
    placebo = np.tile(np.linspace(-1.0, 1.0, 101), repeat)
    ai = placebo - 2.0 - 0.01 * np.tile(np.arange(101), repeat)  # individual effect -2 to -3 pp
    name = "lumbar_spine_bmd_change_pct@12 mo"
    size = 101 * repeat
    return pd.DataFrame({
        "arm_index": [0] * size + [1] * size, "arm_id": ["ai"] * size + ["placebo"] * size,
        "person": list(range(size)) * 2, name: np.concatenate([ai, placebo]),
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
    rows = summarise(_people(repeat=10), trial, columns)
    ai, placebo, contrast = rows
    assert ai["arm"] == "ai" and ai["mean"] == pytest.approx(-2.5) and ai["n"] == 1010
    assert ai["published"] == -2.0 and ai["interval"] == [-3.0, -1.0] and ai["pass"] is True
    assert ai["pass_reason"] is None and ai["unit"] == "%" and ai["published_given_unit"] == "%"
    assert ai["published_given"] == -2.0
    assert "published_converted" not in ai and "published_unit" not in ai
    assert placebo["published"] is None and placebo["pass"] is None
    assert placebo["mean"] == pytest.approx(0.0, abs=1e-12)
    # paired per person: the individual effects run from -2 to -3 pp
    assert contrast["contrast"] == ["ai", "placebo"]
    assert contrast["p2.5"] == pytest.approx(-2.975, abs=0.01)
    assert contrast["p97.5"] == pytest.approx(-2.025, abs=0.01)
    assert contrast["interval"] == pytest.approx([-2.5 - 1.96 * 0.5, -2.5 + 1.96 * 0.5], abs=1e-3)
    assert contrast["pass"] is True
    csv_text = summary_csv(rows)
    assert csv_text.splitlines()[3].startswith(",ai-placebo,")


def test_a_mean_outside_the_widened_interval_fails() -> None:
    trial = parse_trial_document(TRIAL)
    people = _people(repeat=10)
    people.loc[people["arm_id"] == "ai", "lumbar_spine_bmd_change_pct@12 mo"] -= 5.0
    ai = summarise(people, trial, endpoint_columns(trial))[0]
    assert ai["pass"] is False


def test_below_1000_virtual_people_pass_is_unscored_with_a_reason() -> None:
    trial = parse_trial_document(TRIAL)
    ai, _, contrast = summarise(_people(), trial, endpoint_columns(trial))
    for row in (ai, contrast):
        assert row["n"] == 101 and row["pass"] is None
        assert row["pass_reason"] == ("unscored: 101 virtual people, below the 1,000 the pass "
                                      "rule needs")
        assert row["interval"] is not None  # the published interval is still shown
    (row,) = csv.DictReader(io.StringIO(summary_csv([ai])))
    assert list(row)[-6:] == ["unit", "published_given", "published_given_unit", "pass_reason",
                              "se", "borderline"]
    assert (row["pass"], row["unit"], row["published"]) == ("", "%", "-2.0")
    assert (row["published_given"], row["published_given_unit"]) == ("-2.0", "%")
    assert row["pass_reason"] == ai["pass_reason"]


def test_the_sd_of_a_single_value_is_unknown_not_zero() -> None:
    stats = describe(np.array([1.5, np.nan]))
    assert stats["n"] == 1 and stats["mean"] == 1.5 and stats["sd"] is None


def test_published_is_in_the_model_unit_with_the_value_as_given_beside_it() -> None:
    """``published`` keeps its meaning (the model's unit, comparable with ``mean``); the trial
    file's value and unit are in fields of their own."""
    doc = {**TRIAL, "population": {"sex": "male", "age": {"mean": 60, "sd": 5}},
           "endpoints": [{"arm": "ai", "quantity": "total_testosterone", "at": "12 mo",
                          "value": 17.6, "unit": "nmol/L", "sd": 4.0}]}
    trial = parse_trial_document(doc)
    columns = endpoint_columns(trial)
    name = columns[0].name
    people = pd.DataFrame({"arm_index": [0] * 1000 + [1] * 1000,
                           "arm_id": ["ai"] * 1000 + ["placebo"] * 1000,
                           "person": list(range(1000)) * 2, name: np.full(2000, 500.0)})
    ai = summarise(people, trial, columns)[0]
    assert ai["unit"] == "ng/dL" and ai["mean"] == pytest.approx(500.0)
    assert ai["published"] == pytest.approx(507.6, abs=0.5)
    assert ai["published_given"] == 17.6 and ai["published_given_unit"] == "nmol/L"
    low, high = ai["interval"]
    assert low < ai["published"] < high and ai["pass"] is True
    (row,) = csv.DictReader(io.StringIO(summary_csv([ai])))
    assert float(row["published"]) == pytest.approx(507.6, abs=0.5)
    assert (row["published_given"], row["published_given_unit"]) == ("17.6", "nmol/L")


def test_rows_give_the_monte_carlo_error_and_flag_borderline_verdicts() -> None:
    """ATAC's hip at 60 mo passed in validate and failed in trial, 0.01 pp apart: the SE of the
    mean says such a verdict is a coin flip."""
    trial = parse_trial_document(TRIAL)
    people = _people(repeat=10)
    ai, placebo, contrast = summarise(people, trial, endpoint_columns(trial))
    assert ai["se"] == pytest.approx(ai["sd"] / np.sqrt(1010))
    assert ai["borderline"] is False and placebo["borderline"] is None  # no verdict, no flag
    # the paired contrast's SE is that of the individual differences
    assert contrast["se"] == pytest.approx(contrast["sd"] / np.sqrt(1010))
    people.loc[people["arm_id"] == "ai", "lumbar_spine_bmd_change_pct@12 mo"] -= 0.5
    ai = summarise(people, trial, endpoint_columns(trial))[0]
    assert ai["mean"] == pytest.approx(-3.0) and ai["borderline"] is True  # on the edge -3.0
    stats = describe(np.array([1.0, np.nan]))
    assert stats["se"] is None
