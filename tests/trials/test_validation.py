"""Validation helpers that need no simulation: absolute turnover markers from a published baseline."""

from __future__ import annotations

import numpy as np

from osteotwin.trials.model import Distribution
from osteotwin.trials.validation import add_marker_levels


def test_absolute_markers_come_from_a_published_baseline_only() -> None:
    series = {"ctx_change_pct": np.array([[0.0, 50.0], [0.0, -20.0]]),
              "p1np_change_pct": np.array([[0.0, 10.0], [0.0, 10.0]])}
    notes = add_marker_levels(series, {"ctx": Distribution(mean=0.4, sd=0.1),
                                       "p1np": Distribution(maximum=60.0)})
    assert np.allclose(series["ctx_ng_ml"], [[0.4, 0.6], [0.4, 0.32]])
    assert "p1np_ng_ml" not in series  # a bound alone gives no level to scale
    assert notes == ["ctx baseline 0.4 ng/mL (the published mean) for everyone"]
