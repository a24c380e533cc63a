"""JAX backend (diffrax Kvaerno5, float64) against the CPU backend; CPU fallback without a GPU."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.scale.cpu_backend import CpuSimulator
from osteotwin.scale.jax_backend import JaxSimulator, describe_devices
from tests.scale.test_batch_agrees import TOLERANCE_PP, TOLERANCE_REL, _people


@pytest.mark.slow
def test_jax_backend_agrees_with_the_cpu_backend() -> None:
    scenarios, params = _people(2, seed=21)  # a woman on letrozole, a man on TRT + anastrozole
    times = np.array([0.0, 30.0, 91.3125, 182.625])
    jax_series = JaxSimulator().simulate(scenarios, params, times)
    cpu_series = CpuSimulator().simulate(scenarios, params, times)
    for name, tol in TOLERANCE_PP.items():
        assert np.max(np.abs(jax_series[name] - cpu_series[name])) < tol, name
    for name, tol in TOLERANCE_REL.items():
        np.testing.assert_allclose(jax_series[name], cpu_series[name], rtol=tol, err_msg=name)


def test_device_note_says_where_it_runs() -> None:
    note, accelerated = describe_devices()
    assert "float64" in note
    if not accelerated:
        assert "CPU" in note and "no GPU" in note
