"""JAX backend: the model's own RHS traced with ``jax.numpy``, solved in float64 by diffrax
(Kvaerno5, an L-stable ESDIRK method, with a PID step-size controller), vmapped over people.

Runs on the GPU when JAX sees one; otherwise on the CPU (and says so in the run's backend note).
Dosing segments are shared by every person of an arm (trial regimens are arm-level), so the solve
runs segment by segment with the same compiled function; per-person inputs, parameters and bolus
sizes are batched. Results agree with the CPU backend within the solvers' tolerances.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.scale.retrace import Inputs, Namespace, Slots, retrace

if TYPE_CHECKING:
    from osteotwin.scale.people import Batch
    from osteotwin.simulate.scenario import Scenario

RTOL = 1e-6


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
    """Batched diffrax solve of the model over shared dosing segments."""

    def __init__(self, rtol: float = RTOL) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
        self.rtol = rtol
        self._compiled: dict[tuple[bool, int], Any] = {}

    def _segment_solver(self, male: bool, n_save: int) -> Any:
        key = (male, n_save)
        if key in self._compiled:
            return self._compiled[key]
        import diffrax
        import jax
        import jax.numpy as jnp

        from osteotwin.physiology.states import error_scale

        term = diffrax.ODETerm(jax_rhs(male))
        atol = jnp.asarray(error_scale() * self.rtol * 1e-3)
        controller = diffrax.PIDController(rtol=self.rtol, atol=atol, pcoeff=0.3, icoeff=0.4)
        solver = diffrax.Kvaerno5()

        def one(y0: Any, p: Any, u: Any, t0: Any, t1: Any, ts: Any) -> Any:
            sol = diffrax.diffeqsolve(term, solver, t0, t1, None, y0, args=(p, u),
                                      saveat=diffrax.SaveAt(ts=ts),
                                      stepsize_controller=controller, max_steps=200_000,
                                      dt0=jnp.minimum(0.01, t1 - t0))
            return sol.ys, sol.stats["num_accepted_steps"]

        compiled = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, None, None, None)))
        self._compiled[key] = compiled
        return compiled

    def solve(self, male: bool, y0: NDArray[np.float64], p: NDArray[np.float64],
              seg_t: NDArray[np.float64], seg_u: NDArray[np.float64],
              seg_bolus: NDArray[np.float64], t_out: NDArray[np.float64]
              ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """States at ``t_out`` (N, T, n) and accepted steps per person.

        ``seg_t`` (K+1,) shared boundaries; ``seg_u`` (N, K, q); ``seg_bolus`` (N, K, n) added at
        each segment start. At a dose time the pre-dose state is reported (as the CPU solvers do).
        """
        import jax.numpy as jnp

        n_people, n_states = y0.shape
        out = np.empty((n_people, t_out.size, n_states))
        steps = np.zeros(n_people, dtype=np.int64)
        y = jnp.asarray(y0)
        io = 0
        n_seg = seg_t.size - 1
        groups = [[t for t in t_out if seg_t[k] < t < seg_t[k + 1] - 1e-9] for k in range(n_seg)]
        n_save = max(len(g) for g in groups) + 1
        solver = self._segment_solver(male, n_save)
        p_j = jnp.asarray(p)
        for k in range(n_seg):
            ta, tb = float(seg_t[k]), float(seg_t[k + 1])
            while io < t_out.size and t_out[io] <= ta + 1e-9:
                out[:, io] = np.asarray(y)
                io += 1
            y = y + jnp.asarray(seg_bolus[:, k])
            inside = groups[k]
            ts = jnp.asarray(inside + [tb] * (n_save - len(inside)))
            ys, n_steps = solver(y, p_j, jnp.asarray(seg_u[:, k]), ta, tb, ts)
            ys_np = np.asarray(ys)
            for j in range(len(inside)):
                out[:, io] = ys_np[:, j]
                io += 1
            y = ys[:, -1]
            steps += np.asarray(n_steps, dtype=np.int64)
        while io < t_out.size:
            out[:, io] = np.asarray(y)
            io += 1
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
                 times_d: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        from osteotwin.scale.people import prepare_batch, series_from_states

        batch: Batch = prepare_batch(scenarios, params, times_d)
        states_out, _ = self.solver.solve(batch.male, batch.y0, batch.p, batch.seg_t,
                                              batch.seg_u, batch.seg_bolus, batch.t_out)
        return series_from_states(batch, states_out)
