"""The compiled ROS34PW2 batch solver against closed-form solutions and scipy's Radau."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from osteotwin.scale.rosenbrock import integrate


@njit(cache=True)
def _decay(t: float, y: NDArray[np.float64], p: NDArray[np.float64],
           u: NDArray[np.float64]) -> NDArray[np.float64]:
    dy = np.empty(1)
    dy[0] = u[0] - p[0] * y[0]
    return dy


@njit(cache=True)
def _robertson(t: float, y: NDArray[np.float64], p: NDArray[np.float64],
               u: NDArray[np.float64]) -> NDArray[np.float64]:
    dy = np.empty(3)
    dy[0] = -p[0] * y[0] + p[2] * y[1] * y[2]
    dy[1] = p[0] * y[0] - p[1] * y[1] ** 2 - p[2] * y[1] * y[2]
    dy[2] = p[1] * y[1] ** 2
    return dy


def test_infusion_segments_and_boluses_match_the_closed_form() -> None:
    """dy/dt = r(t) - k y: infusion from t=2 to t=6, a bolus of 3 at t=4, per-person k."""
    k = np.array([[0.5], [1.3], [2.0]])
    u = np.array([[[0.0], [1.5], [0.0]]] * 3)  # inputs before 2, 2..6, after 6
    breaks = np.array([[2.0, 6.0]] * 3)
    impulses = (np.array([[4.0]] * 3), np.zeros((3, 1), np.int64), np.array([[3.0]] * 3))
    t_out = np.array([0.0, 1.0, 3.0, 4.0, 5.0, 8.0])
    out, steps = integrate(_decay, np.ones((3, 1)), k, u, t_out, breaks=breaks,
                           impulses=impulses, rtol=1e-8, atol=1e-12)
    assert np.all(steps > 0)
    for i, ki in enumerate(k[:, 0]):
        def exact(t: float, ki: float = ki) -> float:
            y = np.exp(-ki * min(t, 2.0))
            if t > 2.0:
                tau = min(t, 6.0) - 2.0
                y = y * np.exp(-ki * tau) + 1.5 / ki * (1 - np.exp(-ki * tau))
                if t > 4.0:
                    y += 3.0 * np.exp(-ki * (min(t, 6.0) - 4.0))
                if t > 6.0:
                    y *= np.exp(-ki * (t - 6.0))
            return float(y)

        expected = [exact(t) for t in t_out]
        expected[3] = exact(4.0)  # at a dose time the pre-dose value is reported
        np.testing.assert_allclose(out[i, :, 0], expected, rtol=1e-6)


def test_stiff_robertson_agrees_with_radau_per_person() -> None:
    rng = np.random.default_rng(0)
    p = np.array([0.04, 3e7, 1e4]) * rng.uniform(0.8, 1.2, (4, 3))
    t_out = np.concatenate([[0.0], np.logspace(-2, 4, 13)])
    out, _ = integrate(_robertson, np.tile([1.0, 0.0, 0.0], (4, 1)), p, np.zeros((4, 1)), t_out,
                       rtol=1e-7, atol=np.array([1e-10, 1e-13, 1e-10]))
    for i in range(4):
        ref = solve_ivp(lambda t, y, i=i: _robertson.py_func(t, y, p[i], np.zeros(1)), (0, t_out[-1]),
                        [1.0, 0.0, 0.0], method="Radau", t_eval=t_out, rtol=1e-11, atol=1e-15)
        np.testing.assert_allclose(out[i, :, 0], ref.y[0], rtol=2e-5)
        np.testing.assert_allclose(out[i, :, 2], ref.y[2], rtol=2e-5, atol=1e-9)
        # the intermediate (~1e-6) is read off the cubic Hermite interpolant between steps
        np.testing.assert_allclose(out[i, :, 1], ref.y[1], rtol=5e-3, atol=1e-10)
