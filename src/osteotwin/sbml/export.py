"""Export the osteotwin model to SBML Level 3 Version 2 (python-libsbml).

The equations are not re-typed: the model's own RHS (``osteotwin.physiology.model.rhs_into``) is run
on symbolic values (``osteotwin.sbml.expr``), which yields one formula per state (an SBML rate rule)
plus named shared subexpressions (assignment rules). Parameters keep the names of
``osteotwin.physiology.parameters``; states those of ``osteotwin.physiology.states``; inputs are
``u_<name>``. Time is in days. Piecewise-constant inputs (regimens starting and stopping) become
``piecewise`` functions of time; bolus doses (injections, infusions) become events adding to a
depot.
The sex of the person is fixed at export (the model branches on it); so is the running clock.

The exported model is self-contained and runs in libroadrunner, COPASI or tellurium. Every
parameter, state, input and observable carries its unit (``osteotwin.sbml.units``; the named
intermediates of the assignment rules have none). The model's notes give its provenance
(osteotwin version, parameter set, source patient file, export date, the model papers) and the
solver settings it needs; the same tolerances are machine-readable in the model's annotation
(``TOLERANCE_NS``, read back by :func:`read_tolerances`): CVODE needs per-state absolute
tolerances (``RTOL`` × the state's typical magnitude, ``physiology.states.error_scale``): the
magnitudes span 1e-4 to 1e6 and drug states sit at exactly 0 between courses.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology.parameters import PR10, PR12, R12
from osteotwin.sbml.expr import BUILTINS, MATH, NUMPY, Builder, Expr
from osteotwin.sbml.units import (
    INPUT_UNITS,
    OUTPUT_UNITS,
    STATE_UNITS,
    add_unit_definitions,
    unit_spec,
)
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


#: Relative tolerance the export is written and tested for; the absolute tolerance of each state is
#: ``RTOL`` × its typical magnitude (``physiology.states.error_scale``), as osteotwin's solvers use.
RTOL = 1e-6
#: XML namespace of the solver-settings annotation (an osteotwin-specific URN, not a web address).
TOLERANCE_NS = "urn:osteotwin:sbml:solver:1"
#: The model papers the exported equations come from, as ``physiology.parameters`` and
#: docs/model.md cite them.
MODEL_CITATIONS: tuple[str, ...] = (PR10, R12, PR12)


@dataclass(frozen=True)
class Provenance:
    """Where an exported model comes from, for its notes block."""

    osteotwin_version: str
    parameter_set_label: str
    parameter_set_sha256: str
    parameter_set_source: str
    exported_on: str                  # ISO date of the export
    person: str                       # who the model is, in words
    source_file: str | None = None    # the patient file's name (None: the built-in example)
    estradiol_match: str | None = None  # how an on-treatment estradiol was matched, in words


def absolute_tolerances(rtol: float = RTOL) -> dict[str, float]:
    """Per-state absolute tolerance (state's unit): ``rtol`` × the state's typical magnitude."""
    from osteotwin.physiology import states

    return {sid: float(scale * rtol)
            for sid, scale in zip(states.STATE_NAMES, states.error_scale(), strict=True)}


def tolerance_annotation(rtol: float = RTOL) -> str:
    """The model's machine-readable solver settings (XML in ``TOLERANCE_NS``)."""
    rows = "".join(f'<osteotwin:absoluteTolerance variable="{sid}" value="{value!r}"/>'
                   for sid, value in absolute_tolerances(rtol).items())
    return (f'<annotation><osteotwin:solver xmlns:osteotwin="{TOLERANCE_NS}" '
            f'relativeTolerance="{rtol!r}">{rows}</osteotwin:solver></annotation>')


def read_tolerances(sbml: str) -> tuple[float, dict[str, float]]:
    """(relative tolerance, per-variable absolute tolerances) from an exported model's annotation
    (ValueError when the document has none)."""
    import libsbml

    model = libsbml.readSBMLFromString(sbml).getModel()
    annotation: Any = model.getAnnotation() if model is not None else None
    children = [] if annotation is None else [annotation.getChild(i)
                                              for i in range(annotation.getNumChildren())]
    for node in children:
        if node.getURI() == TOLERANCE_NS and node.getName() == "solver":
            rtol = float(node.getAttrValue("relativeTolerance"))
            absolute = {}
            for k in range(node.getNumChildren()):
                row = node.getChild(k)
                if row.getName() == "absoluteTolerance":
                    absolute[row.getAttrValue("variable")] = float(row.getAttrValue("value"))
            return rtol, absolute
    raise ValueError("no osteotwin solver annotation in this SBML document")


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def notes_paragraphs(provenance: Provenance | None, rtol: float = RTOL) -> list[str]:
    """The notes block's paragraphs (plain text): provenance, the model papers, solver settings."""
    paragraphs = []
    if provenance is not None:
        paragraphs += [
            f"Exported by osteotwin {provenance.osteotwin_version} (osteotwin export-sbml) on "
            f"{provenance.exported_on}: {provenance.person}"
            + (f", from patient file {provenance.source_file}." if provenance.source_file
               else "."),
            f"Parameter set: {provenance.parameter_set_label}; sha256 "
            f"{provenance.parameter_set_sha256} (over every parameter's name and value, model and "
            f"fracture hazard, as osteotwin trial manifests record it); source "
            f"{provenance.parameter_set_source}.",
        ]
        if provenance.estradiol_match:
            paragraphs.append(provenance.estradiol_match)
    paragraphs += [
        "Model papers: " + "; ".join(MODEL_CITATIONS) + ".",
        "Time unit: day. SBML time 0 is the start of the person's simulation; parameter "
        "start_offset_d is that start in days from t = 0 of osteotwin's outputs (negative: the "
        "untreated history before t = 0 is part of the model). Model time in every formula is "
        "time + start_offset_d.",
        f"Solver settings: relative tolerance {rtol:g} and, per state, the absolute tolerance in "
        f"the annotation ({TOLERANCE_NS}; {rtol:g} times the state's typical magnitude), e.g. in "
        "libroadrunner integrator.setIndividualTolerance(state, value) for each, or "
        "osteotwin.sbml.export.configure_roadrunner. With one absolute tolerance for every state "
        "(libroadrunner's defaults) CVODE can fail (CV_CONV_FAILURE or 'ewt has component(s) "
        "equal to zero'), as the states' typical magnitudes span 1e-4 to 1e6 and drug states "
        "sit at exactly 0 between courses.",
    ]
    return paragraphs


def _notes(provenance: Provenance | None, rtol: float) -> str:
    body = "".join(_paragraph(text) for text in notes_paragraphs(provenance, rtol))
    return f'<notes><body xmlns="http://www.w3.org/1999/xhtml">{body}</body></notes>'


def export_sbml(params: NDArray[np.float64], y0: NDArray[np.float64], schedule: Schedule, *,
                male: bool, start_d: float = 0.0, model_id: str = "osteotwin",
                name: str = "osteotwin model", provenance: Provenance | None = None,
                rtol: float = RTOL) -> str:
    """The model with these parameter values, initial state and input schedule as SBML text.

    ``start_d``: model time (days from scenario start) at SBML time 0 (parameter
    ``start_offset_d``); schedule times are model times, and switches and doses are written in
    model time (``time + start_offset_d``), so one document serves every person of a trial arm
    (set their parameters, ``start_offset_d`` and initial state). Impulses at ``start_d`` are added
    to the initial state. Units come from ``osteotwin.sbml.units``; the notes hold ``provenance``
    (when given), the model papers and the solver settings, the annotation the tolerances for
    ``rtol`` (:func:`tolerance_annotation`).
    """
    import libsbml

    from osteotwin.physiology import states
    from osteotwin.physiology.parameters import NAMES, PARAMETER_TABLE

    rules, rates, outputs = model_formulas(male)
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId(model_id)
    model.setName(name)
    used = ({p.unit for p in PARAMETER_TABLE} | set(STATE_UNITS.values())
            | set(INPUT_UNITS.values()) | set(OUTPUT_UNITS.values()) | {"d"})
    add_unit_definitions(model, used)
    model.setTimeUnits("day")
    _check(model.setNotes(_notes(provenance, rtol)), "notes")
    _check(model.setAnnotation(tolerance_annotation(rtol)), "annotation")
    settings = libsbml.L3ParserSettings()
    settings.setParseLog(libsbml.L3P_PARSE_LOG_AS_LN)

    def parameter(sid: str, value: float | None, constant: bool, unit: str | None = None) -> None:
        par = model.createParameter()
        _check(par.setId(sid), sid)
        if value is not None:
            par.setValue(float(value))
        par.setConstant(constant)
        if unit is not None:
            _check(par.setUnits(unit_spec(unit).sid), f"{sid} units")

    def math(formula: str, where: str) -> Any:
        node = libsbml.parseL3FormulaWithSettings(formula, settings)
        if node is None:
            raise ValueError(f"{where}: {libsbml.getLastParseL3Error()}")
        return node

    for p, value in zip(PARAMETER_TABLE, params, strict=True):
        parameter(p.name, value, True, p.unit)
    assert tuple(p.name for p in PARAMETER_TABLE) == NAMES
    parameter(OFFSET, start_d, True, "d")
    y0 = y0.copy()
    for when, index, amount in zip(schedule.impulse_times, schedule.impulse_states,
                                   schedule.impulse_amounts, strict=True):
        if when <= start_d:
            y0[int(index)] += amount
    varying = _varying_inputs(schedule)
    for i, sid in enumerate(states.INPUT_NAMES):
        unit = INPUT_UNITS[sid]
        if i in varying:  # piecewise constant in time: an assignment rule, no event needed
            parameter(f"u_{sid}", None, False, unit)
            rule = model.createAssignmentRule()
            rule.setVariable(f"u_{sid}")
            rule.setMath(_piecewise_literal_units(
                math(_piecewise_in_time(schedule, i), f"u_{sid}"), unit_spec(unit).sid))
        else:
            parameter(f"u_{sid}", schedule.u_seg[0, i], True, unit)
    for i, sid in enumerate(states.STATE_NAMES):
        parameter(sid, y0[i], False, STATE_UNITS[sid])
        rule = model.createRateRule()
        rule.setVariable(sid)
        rule.setMath(math(rates[i], f"d{sid}/dt"))
    for sid, formula in [*rules, *outputs.items()]:
        parameter(sid, None, False, OUTPUT_UNITS.get(sid))
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
    trigger.setMath(_literal_units(math(f"time + {OFFSET} >= {float(when)!r}", sid), "day"))
    for variable, value in assignments:
        assignment = event.createEventAssignment()
        assignment.setVariable(variable)
        formula = value if isinstance(value, str) else repr(float(value))
        assignment.setMath(_literal_units(math(formula, f"{sid}.{variable}"),
                                          unit_spec(STATE_UNITS[variable]).sid))


def _literal_units(node: Any, unit: str) -> Any:
    """``node`` with every number in it declared in ``unit`` (an SBML unit id): a dose time in
    days, a dose in its depot's unit. Declared literals let unit checkers verify the expression
    instead of warning that its units cannot be checked."""
    if node.isNumber():
        _check(node.setUnits(unit), f"units {unit}")
    for i in range(node.getNumChildren()):
        _literal_units(node.getChild(i), unit)
    return node


def _piecewise_literal_units(node: Any, unit: str) -> Any:
    """A ``piecewise(v0, t < b1, v1, ...)`` input rule with its values declared in the input's
    ``unit`` and its switch times in days."""
    for i in range(node.getNumChildren()):
        _literal_units(node.getChild(i), "day" if i % 2 else unit)
    return node


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


def schedule_from_dosing(dosing: Any) -> Schedule:
    """The input schedule of a ``simulate.dosing.Schedule`` (segment boundaries ``times_d``,
    inputs per segment, boluses at segment starts): the schedule ``simulate`` runs."""
    times = np.asarray(dosing.times_d, dtype=np.float64)
    k = int(dosing.inputs.shape[0])
    ks, idx = np.nonzero(dosing.boluses[:k])
    return Schedule(u_seg=np.array(dosing.inputs, dtype=np.float64), breaks=times[1:k].copy(),
                    impulse_times=times[ks].copy(), impulse_states=idx.astype(np.int64),
                    impulse_amounts=np.array(dosing.boluses[ks, idx], dtype=np.float64))


@dataclass(frozen=True)
class ScenarioExport:
    """One person's exported model: the SBML text, the model time (days) at SBML time 0 and the
    estradiol match as ``simulate`` reports it (``aromatization_factor``; ``estradiol_match``
    when an on-treatment estradiol was matched)."""

    text: str
    start_d: float
    match: Mapping[str, Any]


def estradiol_match_words(match: Mapping[str, Any]) -> str | None:
    """The on-treatment estradiol match in words (None when the person has none to match)."""
    found = match.get("estradiol_match")
    if not found:
        return None
    factor = float(match.get("aromatization_factor", 1.0))
    words = (f"Estradiol matched as osteotwin simulate matches it: this person's own estradiol "
             f"production is {factor:.4g} times the typical for their age and sex (in the inputs "
             f"u_aromatization_scale_pg_ml, u_lh_max_iu_l, u_testis_t_max_ng_dl and "
             f"u_ovarian_e2_pg_ml and the initial state), so the simulated 7-day mean estradiol "
             f"before day {found['day']:g} is {found['simulated_pg_ml']:.3g} pg/mL against the "
             f"{found['measured_pg_ml']:g} pg/mL measured on treatment.")
    if not found["matched"]:
        words += " The match did not reach the measured value (see osteotwin simulate)."
    return words


def export_person(scenario: Any, params: NDArray[np.float64] | None = None,
                  provenance: Provenance | None = None, rtol: float = RTOL) -> ScenarioExport:
    """SBML of one person's scenario: the person as ``simulate`` starts them
    (``simulate.single.matched_start``: their steady state at the simulation start, their inputs
    and regimens, an on-treatment estradiol matched as ``simulate`` matches it), ``params`` (the
    current set when None) and the notes of ``provenance``, to which the match is added."""
    from osteotwin.physiology.parameters import ModelParameters, current_parameters
    from osteotwin.simulate.single import matched_start

    model_params = (current_parameters() if params is None
                    else ModelParameters(np.asarray(params, dtype=np.float64)))
    baseline, dosing, match = matched_start(scenario, model_params)
    start = float(dosing.times_d[0])
    if provenance is not None:
        provenance = replace(provenance, estradiol_match=estradiol_match_words(match))
    text = export_sbml(model_params.values, baseline.state, schedule_from_dosing(dosing),
                       start_d=start, male=scenario.subject.sex == "male",
                       name=f"osteotwin: {scenario.label} ({scenario.subject.sex}, "
                            f"{scenario.subject.age_y:g} y)", provenance=provenance, rtol=rtol)
    return ScenarioExport(text, start, match)


def export_scenario(scenario: Any, params: NDArray[np.float64] | None = None) -> tuple[str, float]:
    """SBML of one person's scenario (:func:`export_person`) and the model time (days) at SBML
    time 0 (their simulation start: before t = 0 for women, whose menopause transition is
    simulated, and for men, whose 6-year ageing history is)."""
    exported = export_person(scenario, params)
    return exported.text, exported.start_d


def configure_roadrunner(rr: Any, rtol: float = RTOL) -> Any:
    """Tolerances for an exported model in libroadrunner: ``rtol`` and per-state absolute floors
    ``rtol × error_scale`` (:func:`absolute_tolerances`, the model's typical magnitudes, as our
    solvers use; the same as the file's annotation at ``RTOL``). Without per-state floors CVODE
    can stop with "initial ewt has component(s) equal to zero" when it restarts at a
    ``piecewise`` switch while a drug state is exactly 0, or with CV_CONV_FAILURE."""
    rr.integrator.relative_tolerance = rtol
    for sid, value in absolute_tolerances(rtol).items():
        rr.integrator.setIndividualTolerance(sid, value)
    return rr
