"""A small trial file for end-to-end runs (men, so no menopause history: fast)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SMALL_TRIAL = {
    "version": 1,
    "id": "small_male_ai",
    "citation": "test fixture (numbers illustrate the format only)",
    "population": {"sex": "male", "age": {"mean": 68, "sd": 5},
                   "weight": {"mean": 85, "sd": 10, "unit": "kg"},
                   "baseline": {"total_testosterone": {"mean": 320, "sd": 60, "unit": "ng/dL"}}},
    "arms": [
        {"id": "anastrozole", "n": 40,
         "regimens": [{"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d",
                       "start": "0 d", "stop": "6 mo"}]},
        {"id": "placebo", "n": 40, "regimens": []},
    ],
    "endpoints": [
        {"arm": "anastrozole", "quantity": "estradiol", "at": "3 mo", "value": 15.0,
         "unit": "pg/mL", "sd": 6.0},
        {"arm": "anastrozole", "quantity": "lumbar_spine_bmd_change_pct", "at": "6 mo",
         "value": -1.0, "ci95": [-2.0, 0.0]},
        {"contrast": ["anastrozole", "placebo"], "quantity": "total_testosterone_change_pct",
         "at": "6 mo", "value": 40.0, "se": 8.0},
    ],
}


@pytest.fixture
def small_trial(tmp_path: Path) -> Path:
    path = tmp_path / "small_trial.yaml"
    path.write_text(yaml.safe_dump(SMALL_TRIAL), encoding="utf-8")
    return path
