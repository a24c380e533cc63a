"""Endpoints no model can pass together, found from trial files alone."""

from __future__ import annotations

import copy
from typing import Any

from osteotwin.cli.validate import packaged_training_dir
from osteotwin.trials.consistency import (
    forced_failures,
    forced_failures_line,
    incompatible_pairs,
)
from osteotwin.trials.model import Trial
from osteotwin.trials.reader import load_trials, parse_trial_document

_BASE: dict[str, Any] = {
    "version": 1,
    "id": "first",
    "citation": "test document",
    "population": {"sex": "female", "menopausal_status": "postmenopausal"},
    "arms": [{"id": "ai", "n": 500, "regimens": [
        {"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d", "start": "0 d",
         "stop": None}]}],
    "endpoints": [
        {"arm": "ai", "quantity": "lumbar_spine_bmd_change_pct", "at": "24 mo", "value": -4.0},
        {"arm": "ai", "quantity": "fracture_incidence_pct", "at": "36 mo", "value": 6.0}],
}


def _trial(trial_id: str, **changes: Any) -> Trial:
    document = copy.deepcopy(_BASE)
    document["id"] = trial_id
    for path, value in changes.items():
        target = document
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value
    return parse_trial_document(document)


def test_same_inputs_same_window_with_intervals_apart_are_incompatible() -> None:
    pairs = incompatible_pairs([_trial("first"), _trial("second", **{"endpoints.0.value": -6.0})])
    assert len(pairs) == 1
    pair = pairs[0]
    assert pair.rule == "same window"
    assert {pair.first.trial, pair.second.trial} == {"first", "second"}
    assert abs(pair.gap - 1.0) < 1e-9  # [-4.5, -3.5] against [-6.5, -5.5]
    assert forced_failures(pairs) == 1
    assert "same inputs, same window" in pair.describe()


def test_overlapping_intervals_or_different_inputs_are_not_flagged() -> None:
    close = _trial("second", **{"endpoints.0.value": -4.9})  # intervals overlap
    assert incompatible_pairs([_trial("first"), close]) == []
    other_dose = _trial("second", **{"endpoints.0.value": -6.0,
                                     "arms.0.regimens.0.dose": "0.5 mg"})
    assert incompatible_pairs([_trial("first"), other_dose]) == []
    other_age = _trial("second", **{"endpoints.0.value": -6.0,
                                    "population.age": {"mean": 70, "sd": 5}})
    assert incompatible_pairs([_trial("first"), other_age]) == []
    other_time = _trial("second", **{"endpoints.0.value": -6.0, "endpoints.0.at": "12 mo"})
    assert incompatible_pairs([_trial("first"), other_time]) == []


def test_a_regimen_stopping_after_the_endpoint_counts_as_the_same_input() -> None:
    stops_later = _trial("second", **{"endpoints.0.value": -6.0,
                                      "arms.0.regimens.0.stop": "5 y"})
    assert len(incompatible_pairs([_trial("first"), stops_later])) == 1
    stops_before = _trial("second", **{"endpoints.0.value": -6.0,
                                       "arms.0.regimens.0.stop": "1 y"})
    assert incompatible_pairs([_trial("first"), stops_before]) == []


def test_cumulative_incidence_cannot_fall_between_arms_on_the_same_inputs() -> None:
    later_but_lower = _trial("second", **{"endpoints.1.at": "48 mo", "endpoints.1.value": 4.0})
    pairs = incompatible_pairs([_trial("first"), later_but_lower])
    assert [p.rule for p in pairs] == ["incidence cannot fall"]
    assert pairs[0].first.trial == "first" and pairs[0].second.trial == "second"
    later_and_higher = _trial("second", **{"endpoints.1.at": "48 mo", "endpoints.1.value": 9.0})
    assert incompatible_pairs([_trial("first"), later_and_higher]) == []
    earlier_and_lower = _trial("second", **{"endpoints.1.at": "24 mo", "endpoints.1.value": 4.0})
    assert incompatible_pairs([_trial("first"), earlier_and_lower]) == []


def test_forced_failures_is_the_fewest_endpoints_touching_every_pair() -> None:
    a = _trial("a")
    b = _trial("b", **{"endpoints.0.value": -6.0})
    c = _trial("c", **{"endpoints.0.value": -8.0})
    pairs = incompatible_pairs([a, b, c])
    assert len(pairs) == 3  # every two of the three disagree
    assert forced_failures(pairs) == 2  # one model value passes at most one of the three
    assert forced_failures([]) == 0
    assert forced_failures_line(pairs) == ("3 pairs of endpoints no model can pass together, so "
                                           "at least 2 endpoints fail whatever the model")


def test_the_training_set_holds_two_forced_failures() -> None:
    pairs = incompatible_pairs(load_trials([packaged_training_dir()]))
    named = {frozenset((p.first.trial, p.second.trial)) for p in pairs}
    assert frozenset(("abcsg_18", "atac_fracture_incidence")) in named
    assert frozenset(("atac_fracture_incidence", "big_1_98_fractures")) in named
    assert all(p.first.quantity == "fracture_incidence_pct" for p in pairs)
    assert forced_failures(pairs) == 2


def test_contrasts_on_the_same_pair_of_arms_are_compared_arm_by_arm() -> None:
    def with_contrast(trial_id: str, value: float, first: str = "zol", second: str = "ai") -> Trial:
        document = copy.deepcopy(_BASE)
        document["id"] = trial_id
        zol = copy.deepcopy(document["arms"][0])
        zol["id"] = "zol"
        zol["regimens"].append({"drug": "zoledronic_acid", "dose": "4 mg", "route": "intravenous",
                                "every": "6 mo", "start": "0 d", "stop": None})
        document["arms"].append(zol)
        document["endpoints"] = [{"contrast": [first, second], "at": "12 mo", "value": value,
                                  "quantity": "lumbar_spine_bmd_change_pct"}]
        return parse_trial_document(document)

    [pair] = incompatible_pairs([with_contrast("z_fast_like", 4.4), with_contrast("other", 6.0)])
    assert pair.rule == "same window" and pair.first.contrast
    assert pair.first.to_json()["contrast"] == ["zol", "ai"] and pair.first.to_json()["arm"] is None
    assert "zol − ai" in pair.describe()
    reversed_arms = with_contrast("other", 6.0, first="ai", second="zol")  # other inputs per side
    assert incompatible_pairs([with_contrast("z_fast_like", 4.4), reversed_arms]) == []
