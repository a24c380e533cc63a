"""The scored objective (hinge on the scoring interval) and the trust-region step on a linear model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from osteotwin.calibrate.objective import (
    MISSING_RESIDUAL,
    hinge_residuals,
    hinge_slopes,
    robust_cost,
    robust_derivative,
)
from osteotwin.calibrate.trust import (
    COUNT_EDGE_INSET,
    Targets,
    broyden_update,
    count_step,
    model_step,
)

LOW = np.array([-3.0, 10.0])
HIGH = np.array([-1.0, 20.0])


def test_hinge_is_zero_inside_the_shrunk_interval_and_scaled_outside() -> None:
    # half-widths 1 and 5; margin 0.25 shrinks to [-2.75, -1.25] and [11.25, 18.75]
    inside = hinge_residuals(np.array([-2.0, 15.0]), LOW, HIGH, 0.25)
    assert inside.tolist() == [0.0, 0.0]
    edge = hinge_residuals(np.array([-1.0, 10.0]), LOW, HIGH, 0.25)  # on the scoring edges
    assert edge.tolist() == pytest.approx([0.25, -0.25])
    far = hinge_residuals(np.array([1.0, 0.0]), LOW, HIGH, 0.25)
    assert far.tolist() == pytest.approx([2.25, -11.25 / 5.0])
    assert hinge_residuals(np.array([math.nan, 15.0]), LOW, HIGH)[0] == MISSING_RESIDUAL
    assert hinge_residuals(np.array([-1.0, 10.0]), LOW, HIGH, 0.0).tolist() == [0.0, 0.0]


def test_hinge_slopes_match_finite_differences() -> None:
    predicted = np.array([1.0, 15.0])
    slopes = hinge_slopes(predicted, LOW, HIGH, 0.25)
    h = 1e-6
    numeric = (
        hinge_residuals(predicted + h, LOW, HIGH, 0.25)
        - hinge_residuals(predicted, LOW, HIGH, 0.25)
    ) / h
    assert slopes.tolist() == pytest.approx(numeric.tolist(), abs=1e-6)
    assert slopes.tolist() == pytest.approx([1.0, 0.0])


def test_targets_count_passes_on_the_unshrunk_interval() -> None:
    targets = Targets(LOW, HIGH, 0.25)
    assert targets.passed(np.array([-1.0, 21.0])) == 1
    assert targets.passed(np.array([math.nan, 15.0])) == 1
    assert targets.cost(np.array([-2.0, 15.0])) == 0.0
    assert targets.cost(np.array([5.0, 15.0])) > targets.cost(np.array([0.0, 15.0])) > 0.0


def test_broyden_update_reproduces_the_observed_change() -> None:
    rng = np.random.default_rng(3)
    jac = rng.standard_normal((4, 3))
    dx = np.array([0.1, -0.2, 0.05])
    df = rng.standard_normal(4)
    updated = broyden_update(jac, dx, df)
    assert updated @ dx == pytest.approx(df)
    orthogonal = np.cross(dx, [1.0, 0.0, 0.0])  # directions not probed keep their slopes
    assert updated @ orthogonal == pytest.approx(jac @ orthogonal)
    assert broyden_update(jac, np.zeros(3), df) is jac


def test_model_step_reaches_reachable_intervals_inside_the_box() -> None:
    # two endpoints, two parameters: means = f0 + J dx; both intervals reachable with dx = (1, -2)
    f0 = np.array([2.0, 30.0])
    jac = np.array([[-4.0, 0.0], [1.0, 8.0]])
    targets = Targets(LOW, HIGH, 0.25)
    dx, cost = model_step(f0, jac, targets, np.array([-3.0, -3.0]), np.array([3.0, 3.0]))
    assert cost < 1e-3 * targets.cost(f0)  # the step penalty leaves it on the shrunk edge
    assert targets.passed(f0 + jac @ dx) == 2
    # a small trust region: the step stays in its box and still lowers the cost
    small, small_cost = model_step(f0, jac, targets, np.array([-0.1, -0.1]), np.array([0.1, 0.1]))
    assert np.all(np.abs(small) <= 0.1 + 1e-12)
    assert 0.0 < small_cost < targets.cost(f0)
    # a parameter whose box is closed does not move
    fixed, _ = model_step(f0, jac, targets, np.array([0.0, -3.0]), np.array([0.0, 3.0]))
    assert fixed[0] == 0.0


def test_model_step_prefers_the_shortest_step_when_already_inside() -> None:
    f0 = np.array([-2.0, 15.0])
    dx, cost = model_step(f0, np.eye(2), Targets(LOW, HIGH), -np.ones(2), np.ones(2))
    assert cost == 0.0
    assert np.abs(dx).max() < 1e-6


@pytest.mark.parametrize("loss", ["cauchy", "soft_l1"])
def test_robust_losses_and_their_derivatives(loss: str) -> None:
    r = np.array([-3.0, 0.0, 0.5, 40.0])
    h = 1e-6
    numeric = [
        (robust_cost(np.array([v + h]), loss) - robust_cost(np.array([v]), loss)) / h for v in r
    ]
    assert robust_derivative(r, loss).tolist() == pytest.approx(numeric, abs=1e-4)
    assert robust_cost(np.zeros(3), loss) == 0.0
    with pytest.raises(ValueError, match="unknown loss"):
        robust_cost(r, "huber-ish")


def test_cauchy_lets_a_hopeless_endpoint_pull_less_than_soft_l1() -> None:
    far, near = np.array([40.0]), np.array([2.0])
    # relative pull of a hopeless endpoint versus one just outside its interval
    assert (robust_derivative(far, "cauchy") / robust_derivative(near, "cauchy"))[0] < 0.1
    assert (robust_derivative(far, "soft_l1") / robust_derivative(near, "soft_l1"))[0] > 1.0


def test_count_step_crosses_several_edges_where_the_cost_step_balances_them() -> None:
    """Three endpoints on one parameter: two want +dx, one (far, hopeless) wants -dx. The count
    step brings both reachable means inside; it stays in its box and leaves a closed box alone."""
    low = np.array([0.0, 0.0, 100.0])
    high = np.array([1.0, 1.0, 101.0])
    targets = Targets(low, high, 0.25)
    f0 = np.array([-0.6, -0.7, 150.0])
    jac = np.array([[1.0], [1.0], [5.0]])
    dx, inside = count_step(f0, jac, targets, np.array([-2.0]), np.array([2.0]))
    assert inside == 2
    assert targets.passed(f0 + jac @ dx) == 2
    # the shortest such step: to the lower shrunk edge (0 + 0.25 * 0.5) of the further endpoint,
    # kept COUNT_EDGE_INSET of the shrunk half-width (0.375) clear of it
    assert dx[0] == pytest.approx(0.125 + COUNT_EDGE_INSET * 0.375 + 0.7, abs=1e-6)
    small, inside_small = count_step(f0, jac, targets, np.array([-0.5]), np.array([0.5]))
    assert abs(small[0]) <= 0.5 + 1e-12 and inside_small == 0
    closed, none = count_step(f0, jac, targets, np.zeros(1), np.zeros(1))
    assert closed[0] == 0.0 and none == 0


def test_count_step_skips_missing_predictions() -> None:
    targets = Targets(LOW, HIGH, 0.0)
    f0 = np.array([np.nan, 25.0])
    dx, inside = count_step(f0, np.eye(2), targets, -10 * np.ones(2), 10 * np.ones(2))
    assert inside == 1 and 10.0 <= 25.0 + dx[1] <= 20.0


def test_count_step_never_trades_a_scored_pass_for_margin() -> None:
    """Two means just inside their intervals, outside the shrunk ones, moving together: any step
    puts one inside its shrunk interval only by pushing the other out, so none is taken."""
    targets = Targets(np.zeros(2), np.ones(2), 0.25)
    f0 = np.array([0.05, 0.95])
    dx, inside = count_step(f0, np.array([[-1.0], [-1.0]]), targets, -np.ones(1), np.ones(1))
    assert inside == 2
    assert abs(dx[0]) < 0.025  # both stay inside their (unshrunk) intervals


def test_count_step_stands_still_when_the_model_sees_no_gain() -> None:
    """Both means already inside their shrunk intervals and a third out of reach: no step."""
    targets = Targets(np.array([0.0, 0.0, 100.0]), np.array([1.0, 1.0, 101.0]), 0.25)
    f0 = np.array([0.5, 0.5, 150.0])
    dx, inside = count_step(f0, np.array([[1.0], [1.0], [1.0]]), targets, -np.ones(1), np.ones(1))
    assert inside == 2 and dx[0] == 0.0
