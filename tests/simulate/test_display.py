"""Printed simulated values: changes signed to one decimal, levels to three significant figures."""

from __future__ import annotations

import pytest

from osteotwin.simulate.display import simulated_value


@pytest.mark.parametrize(("name", "value", "text"), [
    ("estradiol_pg_ml", 4.5, "4.50"),  # the trailing zero kept: as precise as its band, 3.28-5.63
    ("estradiol_pg_ml", 8.594, "8.59"),
    ("estradiol_pg_ml", 19.66, "19.7"),
    ("estradiol_pg_ml", 0.05, "0.0500"),
    ("total_testosterone_ng_dl", 894.8, "895"),
    ("total_testosterone_ng_dl", 1133.3, "1133"),
    ("total_testosterone_ng_dl", 99.96, "100"),  # not "100.0": a rounding that gains a digit
    ("lumbar_spine_bmd_change_pct", 0.2, "+0.2"),
    ("lumbar_spine_bmd_change_pct", -1.54, "-1.5"),
    ("lumbar_spine_bmd_change_pct", -0.04, "+0.0"),  # never "-0.0"
    ("estradiol_pg_ml", float("nan"), "-"),
])
def test_simulated_value(name: str, value: float, text: str) -> None:
    assert simulated_value(name, value) == text
