"""Export the osteotwin model to SBML Level 3 Version 2 (python-libsbml).

The equations are not re-typed: the model's own RHS (``osteotwin.physiology.model.rhs_into``) is run
on symbolic values (``osteotwin.sbml.expr``), which yields one formula per state (an SBML rate rule)
plus named shared subexpressions (assignment rules). Parameters keep the names of
``osteotwin.physiology.parameters``; states those of ``osteotwin.physiology.states``; inputs are
``u_<name>``. Time is in days. Piecewise-constant inputs (regimens starting and stopping) become
``piecewise`` functions of time; bolus doses (injections, infusions) become events adding to a
depot.
The sex of the person is fixed at export (the model branches on it); so is the running clock.

The exported model is self-contained and runs in libroadrunner, COPASI or tellurium.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.sbml.expr import BUILTINS, MATH, NUMPY, Builder, Expr
from osteotwin.scale.retrace import Inputs, Namespace, Slots, retrace

#: Observables exported as assignment rules (from the model's hormone function).
HORMONE_OUTPUTS: tuple[str, ...] = ("estradiol_pg_ml", "total_testosterone_ng_dl")


@dataclass(frozen=True)
class Schedule:
    """Inputs over time: ``u_seg[k]`` applies from ``breaks[k-1]`` (or the start) to ``breaks[k]``;
    impulses add ``amounts`` to ``states`` (indices) at ``times``."""

    u_seg: NDArray[np.float64]
    breaks: NDArray[np.float64]
    impulse_times: NDArray[np.float64]
    impulse_states: NDArray[np.int64]
    impulse_amounts: NDArray[np.float64]

    @classmethod
    def constant(cls, u: NDArray[np.float64]) -> Schedule:
        return cls(u[None, :], np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0))


def _namespace() -> Namespace:
    return Namespace("sbml", NUMPY, MATH, BUILTINS)


#: SBML time starts at 0 in every tool; the model's clock is ``time + start_offset_d``.
OFFSET = "start_offset_d"


def model_formulas(male: bool) -> tuple[list[tuple[str, str]], list[str], dict[str, str]]:
    """(named intermediates, one rate formula per state, observable formulas) for one sex.

    The model time is ``time + start_offset_d`` (days), so the SBML model starts at time 0.
    """
    from osteotwin.physiology import model, states
    from osteotwin.physiology.endocrine import hormones
    from osteotwin.physiology.parameters import NAMES

    builder = Builder()
    y = Slots.of([Expr(name, builder, atomic=True) for name in states.STATE_NAMES])
    p = Slots.of([Expr(name, builder, atomic=True) for name in NAMES])
    u = Inputs([Expr(f"u_{name}", builder, atomic=True) for name in states.INPUT_NAMES],
               {states.U_MALE: 1.0 if male else 0.0, states.U_CLOCK_FROZEN: 0.0})
    t = Expr(f"time + {OFFSET}", builder)
    dy = Slots(states.N_STATES, fill=None)
    retrace(model.rhs_into, _namespace())(t, y, p, u, dy)
    rates = []
    for name, value in zip(states.STATE_NAMES, dy.items, strict=True):
        if value is None:
            raise ValueError(f"the RHS left d{name}/dt unset")
        rates.append(value.text if isinstance(value, Expr) else repr(float(value)))
    e2, testosterone, _, _ = retrace(hormones, _namespace())(t, y, p, u)
    outputs = {"estradiol_pg_ml": _text(e2), "total_testosterone_ng_dl": _text(testosterone)}
    return builder.rules, rates, outputs


def _text(value: Any) -> str:
    return value.text if isinstance(value, Expr) else repr(float(value))


def export_sbml(params: NDArray[np.float64], y0: NDArray[np.float64], schedule: Schedule, *,
                male: bool, start_d: float = 0.0, model_id: str = "osteotwin",
                name: str = "osteotwin model") -> str:
    """The model with these parameter values, initial state and input schedule as SBML text.

    ``start_d``: model time (days from scenario start) at SBML time 0 (parameter
    ``start_offset_d``); schedule times are model times, and switches and doses are written in
    model time (``time + start_offset_d``), so one document serves every person of a trial arm
    (set their parameters, ``start_offset_d`` and initial state). Impulses at ``start_d`` are added
    to the initial state.
    """
    import libsbml

    from osteotwin.physiology import states
    from osteotwin.physiology.parameters import NAMES

    rules, rates, outputs = model_formulas(male)
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId(model_id)
    model.setName(name)
    day = model.createUnitDefinition()
    day.setId("day")
    unit = day.createUnit()
    unit.setKind(libsbml.UNIT_KIND_SECOND)
    unit.setMultiplier(86400.0)
    unit.setExponent(1)
    unit.setScale(0)
    model.setTimeUnits("day")
    settings = libsbml.L3ParserSettings()
    settings.setParseLog(libsbml.L3P_PARSE_LOG_AS_LN)

    def parameter(sid: str, value: float | None, constant: bool) -> None:
        par = model.createParameter()
        _check(par.setId(sid), sid)
        if value is not None:
            par.setValue(float(value))
        par.setConstant(constant)

    def math(formula: str, where: str) -> Any:
        node = libsbml.parseL3FormulaWithSettings(formula, settings)
        if node is None:
            raise ValueError(f"{where}: {libsbml.getLastParseL3Error()}")
        return node

    for sid, value in zip(NAMES, params, strict=True):
        parameter(sid, value, True)
    parameter(OFFSET, start_d, True)
    y0 = y0.copy()
    for when, index, amount in zip(schedule.impulse_times, schedule.impulse_states,
                                   schedule.impulse_amounts, strict=True):
        if when <= start_d:
            y0[int(index)] += amount
    varying = _varying_inputs(schedule)
    for i, sid in enumerate(states.INPUT_NAMES):
        if i in varying:  # piecewise constant in time: an assignment rule, no event needed
            parameter(f"u_{sid}", None, False)
            rule = model.createAssignmentRule()
            rule.setVariable(f"u_{sid}")
            rule.setMath(math(_piecewise_in_time(schedule, i), f"u_{sid}"))
        else:
            parameter(f"u_{sid}", schedule.u_seg[0, i], True)
    for i, sid in enumerate(states.STATE_NAMES):
        parameter(sid, y0[i], False)
        rule = model.createRateRule()
        rule.setVariable(sid)
        rule.setMath(math(rates[i], f"d{sid}/dt"))
    for sid, formula in [*rules, *outputs.items()]:
        parameter(sid, None, False)
        rule = model.createAssignmentRule()
        rule.setVariable(sid)
        rule.setMath(math(formula, sid))
    doses: dict[float, list[tuple[str, Any]]] = {}
    for when, index, amount in zip(schedule.impulse_times, schedule.impulse_states,
                                   schedule.impulse_amounts, strict=True):
        if when > start_d:
            sid = states.STATE_NAMES[int(index)]
            doses.setdefault(float(when), []).append((sid, f"{sid} + {float(amount)!r}"))
    for k, (when, changes) in enumerate(sorted(doses.items())):
        _event(model, f"dose_{k + 1}", when, changes, math)
    doc.checkInternalConsistency()
    errors = [doc.getError(i) for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    if errors:
        raise ValueError("invalid SBML: " + "; ".join(e.getMessage().strip() for e in errors[:3]))
    text: str = libsbml.writeSBMLToString(doc)
    return text


def _piecewise_in_time(schedule: Schedule, index: int) -> str:
    """``piecewise(v0, t < b1, v1, t < b2, ..., v_last)`` in model time ``t``."""
    values = schedule.u_seg[:, index]
    parts: list[str] = []
    for k, when in enumerate(schedule.breaks):
        parts += [repr(float(values[k])), f"time + {OFFSET} < {float(when)!r}"]
    parts.append(repr(float(values[-1])))
    return f"piecewise({', '.join(parts)})"


def _varying_inputs(schedule: Schedule) -> set[int]:
    seg = schedule.u_seg
    return {i for i in range(seg.shape[1]) if np.any(seg[:, i] != seg[0, i])}


def _event(model: Any, sid: str, when: float, assignments: Sequence[tuple[str, Any]],
           math: Any) -> None:
    if not assignments:
        return
    event = model.createEvent()
    event.setId(sid)
    event.setUseValuesFromTriggerTime(True)
    trigger = event.createTrigger()
    trigger.setInitialValue(True)
    trigger.setPersistent(True)
    trigger.setMath(math(f"time + {OFFSET} >= {float(when)!r}", sid))
    for variable, value in assignments:
        assignment = event.createEventAssignment()
        assignment.setVariable(variable)
        formula = value if isinstance(value, str) else repr(float(value))
        assignment.setMath(math(formula, f"{sid}.{variable}"))


def _check(status: int, sid: str) -> None:
    import libsbml

    if status != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ValueError(f"invalid SBML identifier {sid!r}")


def schedule_of(batch: Any, row: int = 0) -> Schedule:
    """One person's input schedule from a prepared batch (``osteotwin.scale.people.Batch``)."""
    seg_t = batch.seg_t[row]
    k = int(np.sum(np.isfinite(seg_t))) - 1
    ks, idx = np.nonzero(batch.seg_bolus[row, :k])
    return Schedule(u_seg=batch.seg_u[row, :k].copy(), breaks=seg_t[1:k].copy(),
                    impulse_times=seg_t[ks].copy(), impulse_states=idx.astype(np.int64),
                    impulse_amounts=batch.seg_bolus[row, ks, idx].copy())


def export_scenario(scenario: Any, params: NDArray[np.float64] | None = None) -> tuple[str, float]:
    """SBML of one person's scenario (their steady state, parameters and regimens) and the model
    time (days) at SBML time 0 (their simulation start: before t = 0 for women, whose menopause
    transition is simulated)."""
    from osteotwin.scale.people import prepare_batch

    p = None if params is None else params[None, :]
    batch = prepare_batch([scenario], p, np.array([0.0, scenario.horizon_d]))
    start = float(batch.t_out[0, 0])
    text = export_sbml(batch.p[0], batch.y0[0], schedule_of(batch), start_d=start,
                       male=scenario.subject.sex == "male",
                       name=f"osteotwin: {scenario.label} ({scenario.subject.sex}, "
                            f"{scenario.subject.age_y:g} y)")
    return text, start


def configure_roadrunner(rr: Any, rtol: float = 1e-6) -> Any:
    """Tolerances for an exported model in libroadrunner: ``rtol`` and per-state absolute floors
    ``rtol × error_scale`` (the model's typical magnitudes, as our solvers use). Without
    per-state floors CVODE can stop with "initial ewt has component(s) equal to zero" when it
    restarts at a ``piecewise`` switch while a drug state is exactly 0."""
    from osteotwin.physiology import states

    rr.integrator.relative_tolerance = rtol
    for sid, scale in zip(states.STATE_NAMES, states.error_scale(), strict=True):
        rr.integrator.setIndividualTolerance(sid, float(scale * rtol))
    return rr
