"""SBML units: every parameter, state, input and output of the export carries a unit that
unit checkers accept (no inconsistency found), and the 'cannot be checked' warnings fall."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import libsbml
import pytest

from osteotwin.physiology import states as S
from osteotwin.physiology.parameters import PARAMETER_TABLE
from osteotwin.sbml.export import export_scenario
from osteotwin.sbml.units import INPUT_UNITS, STATE_UNITS, UNITS, unit_spec
from osteotwin.simulate.scenario import Regimen, Scenario, Subject

#: Warnings that only say a unit is missing or cannot be checked (no inconsistency found).
UNCHECKABLE = {99505, 99508, 20702, 80701}

MAN = Scenario(Subject(sex="male", age_y=58.0, weight_kg=92.0),
               (Regimen("testosterone_cypionate", dose_mg=100.0, every_d=7.0,
                        route="intramuscular", start_d=0.0, stop_d=120.0),
                Regimen("anastrozole", dose_mg=0.5, every_d=3.5, start_d=14.0),
                Regimen("anastrozole", dose_mg=1.0, every_d=1.0, start_d=130.0)), years=0.5)


@lru_cache(maxsize=1)
def checked() -> tuple[libsbml.Model, Counter[int]]:
    text, _ = export_scenario(MAN)
    doc = libsbml.readSBMLFromString(text)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    errors = Counter(doc.getError(i).getErrorId() for i in range(doc.getNumErrors()))
    return doc.getModel(), errors


def test_every_model_unit_has_an_sbml_definition() -> None:
    for unit in {p.unit for p in PARAMETER_TABLE} | set(STATE_UNITS.values()) | set(
            INPUT_UNITS.values()):
        assert unit_spec(unit).sid
    assert set(STATE_UNITS) == set(S.STATE_NAMES) and set(INPUT_UNITS) == set(S.INPUT_NAMES)
    with pytest.raises(ValueError, match="add it to"):
        unit_spec("furlong/fortnight")


def test_unit_definitions_scale_as_their_names_say() -> None:
    """(multiplier · 10^scale · kind)^exponent, product over factors, in SI base units."""
    def si_factor(unit: str) -> float:
        value = 1.0
        for _, exponent, scale, multiplier in UNITS[unit].factors:
            value *= (multiplier * 10.0**scale) ** exponent
        return value

    assert si_factor("pg/mL") == pytest.approx(1e-12 / 1e-3)        # g per L
    assert si_factor("ng/dL") == pytest.approx(1e-9 / 1e-1)
    assert si_factor("1/d") == pytest.approx(1 / 86400.0)           # per second
    assert si_factor("%/y") == pytest.approx(0.01 / (365.25 * 86400.0))
    assert si_factor("1/pM/d") == pytest.approx(1e12 / 86400.0)     # L per mol per second


def test_exported_parameters_states_inputs_and_outputs_have_units() -> None:
    model, _ = checked()
    named = [p.name for p in PARAMETER_TABLE] + list(S.STATE_NAMES) + [
        f"u_{name}" for name in S.INPUT_NAMES] + ["start_offset_d", "estradiol_pg_ml",
                                                  "total_testosterone_ng_dl"]
    missing = [sid for sid in named if not model.getParameter(sid).isSetUnits()]
    assert missing == []
    assert model.getParameter("bp_emax").getUnits() == "dimensionless"
    assert model.getParameter("anastrozole_half_life_d").getUnits() == "day"
    assert model.getParameter("estradiol_pg_ml").getUnits() == "pg_per_mL"


def test_unit_check_finds_no_inconsistency_and_few_unchecked_expressions() -> None:
    """Only 'units cannot be checked' warnings remain (the rules' numeric constants and named
    intermediates), none for dose events or input switches, whose numbers carry units."""
    model, errors = checked()
    assert set(errors) <= UNCHECKABLE, errors
    assert model.getNumEvents() > 20
    # one per parameter left without units (the intermediates) and per rule's expression at most
    unitless = sum(1 for i in range(model.getNumParameters())
                   if not model.getParameter(i).isSetUnits())
    assert errors[20702] == unitless
    assert errors[99505] <= model.getNumRules()
