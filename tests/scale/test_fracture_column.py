"""The batch path's fracture column equals the validate path's (same hazard, CTX and fitted set)."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.calibrate.fitted import load_fracture_parameters
from osteotwin.scale.chunk import RunSpec, draw_chunk, evaluate_chunk
from osteotwin.scale.endpoints import endpoint_columns, output_times
from osteotwin.scale.plan import ChunkTask
from osteotwin.trials import parse_trial_document
from osteotwin.trials.endpoints import ArmSimulation, person_values

TRIAL = parse_trial_document(
    {
        "version": 1,
        "id": "frac",
        "citation": "c",
        "population": {"sex": "female", "age": {"mean": 66, "sd": 6}},
        "arms": [{"id": "ai", "n": 100, "regimens": []}],
        "endpoints": [
            {"arm": "ai", "quantity": "fracture_incidence_pct", "at": "3 y", "value": 7.0}
        ],
    }
)


def test_batch_fracture_column_matches_validate_scoring_with_turnover() -> None:
    columns = endpoint_columns(TRIAL)
    times = output_times(columns)
    spec = RunSpec(trial=TRIAL, columns=columns, times_d=times, seed=3)
    task = ChunkTask(arm_index=0, arm_id="ai", chunk_index=0, start=0, stop=6, seed=3)
    people, _ = draw_chunk(spec, task)
    ramp = np.linspace(0.0, 1.0, times.size)[None, :]
    scale = np.linspace(0.5, 1.5, task.size)[:, None]
    series = {
        "total_hip_bmd_change_pct": -5.0 * ramp * scale,
        "ctx_change_pct": 40.0 * np.minimum(3 * ramp, 1.0) * scale,
    }
    table = evaluate_chunk(spec, task, people, series)
    batch = np.asarray(table.column(columns[0].name).to_numpy(), dtype=float)
    ages = np.array([s.subject.age_y for s in people.scenarios])
    sim = ArmSimulation(arm_id="ai", times_d=times, series=series, ages_y=ages, sex="female")
    fitted = person_values(TRIAL.endpoints[0], sim, load_fracture_parameters())
    assert batch == pytest.approx(fitted, rel=1e-12)
    no_turnover = {"total_hip_bmd_change_pct": series["total_hip_bmd_change_pct"]}
    lower = evaluate_chunk(spec, task, people, no_turnover)
    assert np.all(batch > np.asarray(lower.column(columns[0].name).to_numpy(), dtype=float))
