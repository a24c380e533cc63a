"""JAX backend: the model's own RHS traced with ``jax.numpy``, solved in float64 by diffrax
(Kvaerno5, an L-stable ESDIRK method, with a PID step-size controller), vmapped over people.

Runs on the GPU when JAX sees one; otherwise on the CPU (and says so in the run's backend note).
Dosing segments are shared by every person of an arm (trial regimens are arm-level), so the solve
runs segment by segment with the same compiled function; per-person inputs, parameters and bolus
sizes are batched. Results agree with the CPU backend within the solvers' tolerances.
"""

from __future__ import annotations

import os
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.scale.retrace import Inputs, Namespace, Slots, retrace

if TYPE_CHECKING:
    from osteotwin.scale.people import Batch
    from osteotwin.simulate.scenario import Scenario

RTOL = 1e-6
_COMPILED: dict[tuple[bool, int, float], Any] = {}


def jax_namespace() -> Namespace:
    """``np``/``math``/builtins of the RHS rebound to ``jax.numpy``."""
    import jax.numpy as jnp

    def pick(fn: Any, builtin: Any) -> Any:
        def apply(*args: Any) -> Any:
            if all(isinstance(a, int | float) for a in args):
                return builtin(*args)
            result = args[0]
            for other in args[1:]:
                result = fn(result, other)
            return result

        return apply

    def scalar(fn: Any, fallback: Any) -> Any:
        return lambda x: fallback(x) if isinstance(x, int | float) else fn(x)

    import math

    maths = types.SimpleNamespace(
        exp=scalar(jnp.exp, math.exp), log=scalar(jnp.log, math.log),
        sqrt=scalar(jnp.sqrt, math.sqrt), tanh=scalar(jnp.tanh, math.tanh), pi=math.pi,
        e=math.e, inf=math.inf, fabs=jnp.abs, pow=jnp.power)
    numpy = types.SimpleNamespace(
        exp=jnp.exp, log=jnp.log, sqrt=jnp.sqrt, tanh=jnp.tanh, abs=jnp.abs,
        maximum=jnp.maximum, minimum=jnp.minimum, pi=math.pi, inf=math.inf,
        empty=lambda n, dtype=None: Slots(n), zeros=lambda n, dtype=None: Slots(n))
    return Namespace("jax", numpy, maths,
                     {"max": pick(jnp.maximum, max), "min": pick(jnp.minimum, min),
                      "abs": scalar(jnp.abs, abs), "float": lambda x: x})


def jax_rhs(male: bool) -> Any:
    """``f(t, y, (p, u)) -> dy`` for diffrax, one sex (the model branches on it)."""
    import jax.numpy as jnp

    from osteotwin.physiology import model, states

    rhs_into = retrace(model.rhs_into, jax_namespace())
    flags = {states.U_MALE: 1.0 if male else 0.0, states.U_CLOCK_FROZEN: 0.0}

    def f(t: Any, y: Any, args: Any) -> Any:
        p, u = args
        dy = Slots(states.N_STATES)
        rhs_into(t, y, p, Inputs(u, flags), dy)
        return jnp.stack([jnp.asarray(v, dtype=jnp.float64) for v in dy.items])

    return f


def describe_devices() -> tuple[str, bool]:
    """(note, whether an accelerator is used)."""
    import jax

    devices = jax.devices()
    kinds = sorted({d.platform for d in devices})
    if any(k in ("gpu", "cuda", "rocm", "tpu") for k in kinds):
        names = ", ".join(str(getattr(d, "device_kind", d.platform)) for d in devices)
        return f"JAX on {names} (float64)", True
    return ("JAX on the CPU (float64): no GPU visible to JAX (jax.devices() lists only "
            f"{', '.join(kinds)}); install jax[cuda12] on a GPU machine to use one"), False


class JaxSolver:
    """Batched diffrax solve of the model over the people's dosing segments.

    Everyone's segments are laid on one union grid of boundaries (regimen starts/stops and dose
    times are arm-level, so the grid is shared; only each person's start differs); within a grid
    interval each person keeps their own inputs. One compiled, vmapped ``diffeqsolve`` serves every
    interval. As on the CPU, at a dose time the pre-dose state is reported.
    """

    def __init__(self, rtol: float = RTOL) -> None:
        # Equinox's runtime checks use host callbacks, which keep compiled solvers out of JAX's
        # persistent cache; with "nan" a failed solve yields NaN, which ``solve`` turns into an error.
        os.environ.setdefault("EQX_ON_ERROR", "nan")
        import jax

        jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
        if not getattr(jax.config, "jax_compilation_cache_dir", None):  # reuse compiled solvers
            cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "osteotwin"
            jax.config.update("jax_compilation_cache_dir",  # type: ignore[no-untyped-call]
                              str(cache / "jax"))
        self.rtol = rtol

    def _interval_solver(self, male: bool, n_save: int) -> Any:
        key = (male, n_save, self.rtol)
        if key in _COMPILED:  # shared by every solver of the process: trace once
            return _COMPILED[key]
        import diffrax
        import jax
        import jax.numpy as jnp

        from osteotwin.physiology.states import error_scale

        term = diffrax.ODETerm(jax_rhs(male))
        atol = jnp.asarray(error_scale() * self.rtol)
        controller = diffrax.PIDController(rtol=self.rtol, atol=atol)
        solver = diffrax.Kvaerno5()

        def one(y0: Any, p: Any, u: Any, t0: Any, t1: Any, ts: Any) -> Any:
            sol = diffrax.diffeqsolve(term, solver, t0, t1, None, y0, args=(p, u),
                                      saveat=diffrax.SaveAt(ts=ts),
                                      stepsize_controller=controller, max_steps=100_000)
            return sol.ys, sol.stats["num_accepted_steps"]

        compiled = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0, None, None)))
        _COMPILED[key] = compiled
        return compiled

    def solve(self, batch: Batch) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """States (N, T + 1, n) at ``batch.t_out`` and accepted steps per person."""
        import jax.numpy as jnp

        seg_t, starts, times = batch.seg_t, batch.t_out[:, 0], batch.times_d
        n_people, n_states = batch.y0.shape
        grid = np.unique(seg_t[:, 1:][np.isfinite(seg_t[:, 1:])])
        out = np.empty((n_people, times.size + 1, n_states))
        out[:, 0] = batch.y0
        before = times[None, :] <= starts[:, None]  # reported before anything happens: y0
        intervals = []
        for j, t1 in enumerate(grid):
            t0 = starts if j == 0 else np.full(n_people, grid[j - 1])
            lower = -np.inf if j == 0 else grid[j - 1]
            inside = [int(k) for k in np.flatnonzero((times > lower) & (times <= t1))]
            intervals.append((t0, float(t1), inside))
        n_save = max(len(inside) for _, _, inside in intervals) + 1
        solver = self._interval_solver(batch.male, n_save)
        y = jnp.asarray(batch.y0)
        p = jnp.asarray(batch.p)
        steps = np.zeros(n_people, dtype=np.int64)
        for t0, t1, inside in intervals:
            # each person's inputs and bolus for this interval (their own segment covering it)
            t0_eff = np.minimum(t0, t1 - 1e-6)  # a start on the first boundary: empty interval
            u = np.empty((n_people, batch.seg_u.shape[2]))
            bolus = np.zeros((n_people, n_states))
            for i in range(n_people):
                mid = 0.5 * (max(t0[i], seg_t[i, 0]) + t1)
                k = int(np.searchsorted(seg_t[i], mid)) - 1
                k = min(max(k, 0), batch.seg_u.shape[1] - 1)
                u[i] = batch.seg_u[i, k]
                if seg_t[i, k] == t0_eff[i] or (seg_t[i, k] == t0[i] and t0[i] < t1):
                    bolus[i] = batch.seg_bolus[i, k]
            y = y + jnp.asarray(bolus)
            ts = np.array([times[k] for k in inside] + [t1] * (n_save - len(inside)))
            ys, n_steps = solver(y, p, jnp.asarray(u), jnp.asarray(t0_eff), t1, jnp.asarray(ts))
            ys_np = np.asarray(ys)
            for col, k in enumerate(inside):
                out[:, k + 1] = np.where(before[:, k:k + 1], batch.y0, ys_np[:, col])
            y = ys[:, -1]
            steps += np.asarray(n_steps, dtype=np.int64)
        if not np.all(np.isfinite(out)):
            from osteotwin.scale.cpu_backend import SolverFailure

            bad = int(np.sum(~np.all(np.isfinite(out), axis=(1, 2))))
            raise SolverFailure(f"the JAX solver failed for {bad} of {n_people} people")
        return out, steps


class JaxSimulator:
    """``BatchSimulator`` on JAX (see module docstring)."""

    name = "jax"

    def __init__(self) -> None:
        self.note, self.accelerated = describe_devices()
        self.solver = JaxSolver()

    @classmethod
    @contextmanager
    def open(cls, workers: int | None = None) -> Iterator[JaxSimulator]:
        yield cls()

    def simulate(self, scenarios: Sequence[Scenario], params: NDArray[np.float64] | None,
                 times_d: NDArray[np.float64], exact_d: NDArray[np.float64] | None = None
                 ) -> dict[str, NDArray[np.float64]]:
        """Series (N, T); people are solved in one batch per sex (the RHS branches on sex).
        ``exact_d`` is accepted for the protocol: diffrax reads every output off its interpolant."""
        from osteotwin.physiology.parameters import current_parameters
        from osteotwin.scale.people import prepare_batch, series_from_states

        if params is None:
            params = np.repeat(current_parameters().values[None, :], len(scenarios), axis=0)
        merged: dict[str, NDArray[np.float64]] = {}
        for sex in ("female", "male"):
            rows = [i for i, s in enumerate(scenarios) if s.subject.sex == sex]
            if not rows:
                continue
            batch = prepare_batch([scenarios[i] for i in rows], params[rows], times_d)
            states_out, _ = self.solver.solve(batch)
            for name, values in series_from_states(batch, states_out).items():
                if name not in merged:
                    merged[name] = np.empty((len(scenarios), values.shape[1]))
                merged[name][rows] = values
        return merged
