"""SBML units for the exported model: the model's unit strings as SBML unit definitions.

Every unit string of ``physiology.parameters.PARAMETER_TABLE`` (``Parameter.unit``), of the states
(``physiology.states`` docstring) and of the inputs is mapped here, explicitly, to a product of SBML
base units, each ``(kind, exponent, scale, multiplier)`` meaning ``(multiplier · 10^scale ·
kind)^exponent`` (SBML Level 3 Version 2, section 4.4). The model's time unit is the day
(86,400 s) and its year 365.25 days. International units (IU: LH, hCG, vitamin D3) have no SI
equivalent and are written as dimensionless counts; a unit that is not in ``UNITS`` is refused, so
a new parameter's unit must be added here (``tests/sbml/test_units.py`` checks the table covers
every parameter).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Seconds in the model's day and year.
DAY_S = 86400.0
YEAR_S = 365.25 * DAY_S


@dataclass(frozen=True)
class UnitSpec:
    """One SBML unit definition: its id, a readable name and its base-unit factors."""

    sid: str
    name: str
    factors: tuple[tuple[str, int, int, float], ...]


def _u(sid: str, name: str, *factors: tuple[str, int, int, float]) -> UnitSpec:
    return UnitSpec(sid, name, tuple(factors))


_PER_DAY = ("second", -1, 0, DAY_S)
_PER_LITRE = ("litre", -1, 0, 1.0)
_PER_ML = ("litre", -1, -3, 1.0)

#: The model's unit strings -> SBML unit definitions ("dimensionless" is SBML's own, not defined).
UNITS: dict[str, UnitSpec] = {
    "1": _u("dimensionless", "dimensionless"),
    "d": _u("day", "day", ("second", 1, 0, DAY_S)),
    "y": _u("year", "year (365.25 d)", ("second", 1, 0, YEAR_S)),
    "1/d": _u("per_day", "per day", _PER_DAY),
    "1/y": _u("per_year", "per year (365.25 d)", ("second", -1, 0, YEAR_S)),
    "%/y": _u("percent_per_year", "percent per year",
              ("dimensionless", 1, -2, 1.0), ("second", -1, 0, YEAR_S)),
    "1/pM/d": _u("per_pM_per_day", "per pM per day",
                 ("mole", -1, -12, 1.0), ("litre", 1, 0, 1.0), _PER_DAY),
    "1/session": _u("dimensionless", "per training session (a count)"),
    "IU/L": _u("IU_per_L", "IU/L (IU as a dimensionless count)", _PER_LITRE),
    "IU/L LH per IU/L hCG": _u("dimensionless", "IU/L LH per IU/L hCG"),
    "IU/d": _u("IU_per_day", "IU/d (IU as a dimensionless count)", _PER_DAY),
    "L": _u("litre", "litre"),
    "L/d": _u("L_per_day", "litre per day", ("litre", 1, 0, 1.0), _PER_DAY),
    "mL/kg": _u("mL_per_kg", "mL/kg", ("litre", 1, -3, 1.0), ("kilogram", -1, 0, 1.0)),
    "mL/ng/d": _u("mL_per_ng_per_day", "mL/ng/d",
                  ("litre", 1, -3, 1.0), ("gram", -1, -9, 1.0), _PER_DAY),
    "mM": _u("mM", "millimolar", ("mole", 1, -3, 1.0), _PER_LITRE),
    "nM": _u("nM", "nanomolar", ("mole", 1, -9, 1.0), _PER_LITRE),
    "pM": _u("pM", "picomolar", ("mole", 1, -12, 1.0), _PER_LITRE),
    "mg": _u("mg", "milligram", ("gram", 1, -3, 1.0)),
    "mg alendronate-eq": _u("mg", "milligram", ("gram", 1, -3, 1.0)),
    "ng": _u("ng", "nanogram", ("gram", 1, -9, 1.0)),
    "kg": _u("kilogram", "kilogram"),
    "mmol": _u("mmol", "millimole", ("mole", 1, -3, 1.0)),
    "pmol": _u("pmol", "picomole", ("mole", 1, -12, 1.0)),
    "mg/d": _u("mg_per_day", "mg/d", ("gram", 1, -3, 1.0), _PER_DAY),
    "mmol/d": _u("mmol_per_day", "mmol/d", ("mole", 1, -3, 1.0), _PER_DAY),
    "ng/dL": _u("ng_per_dL", "ng/dL", ("gram", 1, -9, 1.0), ("litre", -1, -1, 1.0)),
    "ng/mL": _u("ng_per_mL", "ng/mL", ("gram", 1, -9, 1.0), _PER_ML),
    "pg/mL": _u("pg_per_mL", "pg/mL", ("gram", 1, -12, 1.0), _PER_ML),
    "ng/kg/d": _u("ng_per_kg_per_day", "ng/kg/d",
                  ("gram", 1, -9, 1.0), ("kilogram", -1, 0, 1.0), _PER_DAY),
    "ng/mL per IU/d": _u("ng_per_mL_per_IU_per_day", "ng/mL per IU/d (IU a dimensionless count)",
                         ("gram", 1, -9, 1.0), _PER_ML, ("second", 1, 0, DAY_S)),
}

#: SBML's predefined units (no definition written for them).
SBML_BASE_UNITS = frozenset({"dimensionless", "litre", "kilogram"})

#: Unit of each state (``physiology.states.STATE_NAMES``), from the states' table.
STATE_UNITS: dict[str, str] = {
    "ana": "ng/mL", "let": "ng/mL", "exe": "ng/mL", "arom": "1", "tam": "ng/mL",
    "t_cyp": "mg", "t_ena": "mg", "t_und": "mg", "bp": "mg alendronate-eq", "den_sc": "ng",
    "den": "ng/mL", "gos": "mg", "hcg": "IU/L", "lh": "IU/L",
    **dict.fromkeys(("rob", "ob_fast", "ob_slow", "oc", "tgfb", "tgfb_act", "rankl", "rank",
                     "rank_rankl", "opg_rankl", "opg"), "pM"),
    "sclerostin": "1", "ca_plasma": "mmol", "pth": "pmol", "calcitriol": "pmol",
    "hydroxylase": "1", "gut_r": "1", "gut_ca": "mmol", "vitd25": "ng/mL", "ca_bone": "mmol",
    "ca_urine": "mmol", "ca_feces": "mmol", "ca_intake": "mmol", "bmd_ls": "1", "bmd_th": "1",
    "bmd_fn": "1", "remodel_space": "1", "stim_accom": "1", "est_modeling": "1",
    "e2_reservoir": "pg/mL",
}

#: Unit of each input (``physiology.states.INPUT_NAMES``; exported as ``u_<name>``).
INPUT_UNITS: dict[str, str] = {
    "ana_rate_mg_d": "mg/d", "let_rate_mg_d": "mg/d", "exe_rate_mg_d": "mg/d",
    "tam_rate_mg_d": "mg/d", "t_gel_rate_mg_d": "mg/d", "e2_transdermal_rate_mg_d": "mg/d",
    "e2_oral_rate_mg_d": "mg/d", "bp_bound_rate_mg_d": "mg/d", "calcium_intake_mmol_d": "mmol/d",
    "vitamin_d_iu_d": "IU/d", "mech_stimulus": "1", "male": "1", "weight_kg": "kg",
    "years_since_menopause_t0": "y", "age_t0": "y", "aromatization_scale_pg_ml": "pg/mL",
    "testis_t_max_ng_dl": "ng/dL", "ovarian_e2_pg_ml": "pg/mL", "vitd_endogenous_ng_ml": "ng/mL",
    "clock_frozen": "1", "clock_t_d": "d", "lh_max_iu_l": "IU/L", "t_oral_absorbed_mg_d": "mg/d",
}

#: Unit of each exported observable (``sbml.export.HORMONE_OUTPUTS``).
OUTPUT_UNITS: dict[str, str] = {"estradiol_pg_ml": "pg/mL", "total_testosterone_ng_dl": "ng/dL"}


def unit_spec(unit: str) -> UnitSpec:
    """The SBML unit definition of one of the model's unit strings (ValueError if unknown)."""
    try:
        return UNITS[unit]
    except KeyError:
        raise ValueError(f"no SBML unit for {unit!r}: add it to osteotwin.sbml.units.UNITS") from None


def add_unit_definitions(model: object, used: set[str]) -> None:
    """Write the unit definitions of the unit strings ``used`` into a libsbml ``Model``."""
    import libsbml

    written: set[str] = set()
    for unit in sorted(used):
        spec = unit_spec(unit)
        if spec.sid in SBML_BASE_UNITS or spec.sid in written:
            continue
        written.add(spec.sid)
        definition = model.createUnitDefinition()  # type: ignore[attr-defined]
        definition.setId(spec.sid)
        definition.setName(spec.name)
        for kind, exponent, scale, multiplier in spec.factors:
            factor = definition.createUnit()
            factor.setKind(libsbml.UnitKind_forName(kind))
            factor.setExponent(exponent)
            factor.setScale(scale)
            factor.setMultiplier(multiplier)
