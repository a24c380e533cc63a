"""Quantities and unit conversion: the one place where units are parsed and converted.

Every quantity entering osteotwin carries a unit; readers convert to the model's canonical units here.
Lab conversions between mass and molar units use molar masses (sources per lab in ``LAB_SPECS``).
"""

from __future__ import annotations

import math
import re
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pint

from osteotwin.errors import UserInputError


@lru_cache(maxsize=1)
def registry() -> Any:
    """The unit registry, built on first use (pint's on-disk cache makes later starts fast).

    IU is its own base unit (biological activity is not a physical dimension); ``m173`` is the
    1.73 m² body-surface normalisation of eGFR.
    """
    try:
        ureg: Any = pint.UnitRegistry(cache_folder=":auto:")
    except OSError:  # an unwritable cache folder must not stop the program
        ureg = pint.UnitRegistry()
    ureg.define("international_unit = [biological_activity] = IU")
    ureg.define("body_surface_1p73 = 1.73 * meter ** 2 = m173")
    return ureg


def Q_(value: float, unit: Any) -> Any:
    """A pint quantity."""
    return registry().Quantity(value, unit)


_SUPERSCRIPTS = {"²": "**2", "³": "**3", "µ": "u", "μ": "u"}


def _pint_text(unit: str) -> str:
    """Spelling of a clinical unit that pint parses (g/cm2 -> g/cm**2, mcg -> ug, /d -> /day)."""
    text = unit.strip()
    for sup, repl in _SUPERSCRIPTS.items():
        text = text.replace(sup, repl)
    text = text.replace("^", "**")
    text = re.sub(r"\bmcg\b", "ug", text)
    text = re.sub(r"(?<=[a-zA-Z])2\b", "**2", text)  # cm2 -> cm**2
    text = re.sub(r"/(d|day|days)\b", "/day", text)
    text = re.sub(r"/(wk|week)\b", "/week", text)
    text = re.sub(r"\bIU\b", "IU", text, flags=re.IGNORECASE)
    text = text.replace("/1.73m**2", "/m173")
    return text


@lru_cache(maxsize=512)
def _unit(unit: str) -> pint.Unit:
    unit_object: pint.Unit = registry().Unit(_pint_text(unit))
    return unit_object


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert ``value`` between two compatible units (raises pint errors if incompatible)."""
    if from_unit == to_unit:
        return float(value)
    return float(Q_(value, _unit(from_unit)).to(_unit(to_unit)).magnitude)


def compatible(from_unit: str, to_unit: str) -> bool:
    """True if ``from_unit`` parses and has the dimensions of ``to_unit``."""
    try:
        return bool(_unit(from_unit).dimensionality == _unit(to_unit).dimensionality)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, AssertionError,
            SyntaxError, tokenize.TokenError):  # pint tokenizes unit text as Python
        return False


# --------------------------------------------------------------------------------------------------
# Laboratory tests
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabSpec:
    """Accepted units for one lab test, its canonical unit and the range a reader accepts.

    ``plausible`` is a (low, high) range in the canonical unit outside which a value is refused as
    implausible (a unit mix-up or a typo), not a reference range.
    """

    name: str
    units: tuple[str, ...]
    canonical: str
    molar_mass_g_mol: float | None
    plausible: tuple[float, float]
    source: str


# Molar masses: PubChem (estradiol 272.38, testosterone 288.42, calcifediol 400.64, cholesterol 386.65,
# calcium 40.078 g/mol); intact PTH(1-84) 9425 g/mol (Endocrine Society conversion 1 pg/mL = 0.106 pmol/L).
LAB_SPECS: dict[str, LabSpec] = {
    spec.name: spec
    for spec in (
        LabSpec(
            "estradiol", ("pg/mL", "pmol/L"), "pg/mL", 272.38, (0.0, 5000.0), "PubChem CID 5757"
        ),
        LabSpec(
            "total_testosterone",
            ("ng/dL", "nmol/L"),
            "ng/dL",
            288.42,
            (0.0, 5000.0),
            "PubChem CID 6013",
        ),
        LabSpec(
            "free_testosterone",
            ("pg/mL", "pmol/L"),
            "pg/mL",
            288.42,
            (0.0, 2000.0),
            "PubChem CID 6013",
        ),
        LabSpec("shbg", ("nmol/L",), "nmol/L", None, (0.0, 500.0), "physiological limits"),
        LabSpec("lh", ("IU/L",), "IU/L", None, (0.0, 300.0), "physiological limits"),
        LabSpec("fsh", ("IU/L",), "IU/L", None, (0.0, 300.0), "physiological limits"),
        LabSpec(
            "vitamin_d_25oh",
            ("ng/mL", "nmol/L"),
            "ng/mL",
            400.64,
            (0.0, 300.0),
            "PubChem CID 5283731 (calcifediol)",
        ),
        LabSpec(
            "calcium", ("mg/dL", "mmol/L"), "mg/dL", 40.078, (3.0, 20.0), "IUPAC atomic weight"
        ),
        LabSpec(
            "pth",
            ("pg/mL", "pmol/L"),
            "pg/mL",
            9425.0,
            (0.0, 3000.0),
            "PTH(1-84) molar mass 9425 g/mol",
        ),
        LabSpec("ctx", ("ng/mL", "pg/mL"), "ng/mL", None, (0.0, 10.0), "physiological limits"),
        LabSpec("p1np", ("ng/mL", "ug/L"), "ng/mL", None, (0.0, 2000.0), "physiological limits"),
        LabSpec("hematocrit", ("%",), "%", None, (10.0, 75.0), "physiological limits"),
        LabSpec("psa", ("ng/mL",), "ng/mL", None, (0.0, 10000.0), "physiological limits"),
        LabSpec(
            "egfr", ("mL/min/1.73m2",), "mL/min/1.73m2", None, (1.0, 200.0), "physiological limits"
        ),
        LabSpec(
            "ldl_cholesterol",
            ("mg/dL", "mmol/L"),
            "mg/dL",
            386.65,
            (0.0, 1000.0),
            "PubChem CID 5997",
        ),
        LabSpec(
            "hdl_cholesterol",
            ("mg/dL", "mmol/L"),
            "mg/dL",
            386.65,
            (0.0, 300.0),
            "PubChem CID 5997",
        ),
    )
}


def _canonical_spelling(spec: LabSpec, unit: str) -> str | None:
    """The accepted unit ``unit`` is for this lab, or None: the same spelling (case- and
    µ-insensitive), else a unit equal to it (``same_unit``: ug/L is ng/mL, ng/L is pg/mL)."""
    wanted = _pint_text(unit).replace(" ", "").lower()
    for accepted in spec.units:
        if _pint_text(accepted).replace(" ", "").lower() == wanted:
            return accepted
    return next((accepted for accepted in spec.units if same_unit(unit, accepted)), None)


def same_unit(unit: str, other: str) -> bool:
    """Whether two unit texts name the same unit, as UCUM defines them: the same dimension and a
    factor of exactly 1 between them (``ug/L`` and ``ng/mL``; ``mIU/mL`` and ``IU/L``)."""
    if not compatible(unit, other):
        return False
    return math.isclose(convert(1.0, unit, other), 1.0, rel_tol=1e-12)


def convert_lab(test: str, value: float, unit: str, *, field: str = "labs") -> float:
    """Convert one lab result to the canonical unit of ``test``; refuse unknown units and implausible values.

    Returns the value in ``LAB_SPECS[test].canonical``.
    """
    spec = LAB_SPECS.get(test)
    if spec is None:
        raise UserInputError(
            f"{field}.test", test, ", ".join(sorted(LAB_SPECS)), problem="unknown lab test"
        )
    spelled = _canonical_spelling(spec, unit)
    if spelled is None:
        raise UserInputError(
            f"{field}.unit",
            unit,
            f"{test} in " + " or ".join(spec.units) + " (or a unit equal to one of them, e.g. "
            "ug/L for ng/mL)",
            problem="unit does not fit this test",
        )
    result = _convert_lab_value(spec, float(value), spelled)
    lo, hi = spec.plausible
    slack = 1e-9 * max(abs(lo), abs(hi))  # a limit converted through another unit stays accepted
    if not (lo - slack <= result <= hi + slack):  # also refuses NaN
        raise UserInputError(
            f"{field}.value", value, _plausible_in(spec, spelled), problem="implausible value"
        )
    return result


def _plausible_in(spec: LabSpec, spelled: str) -> str:
    """The plausible range of ``spec`` in the unit entered, beside the canonical one ("0.749 to
    4.99 mmol/L (3 to 20 mg/dL) for calcium"), each converted bound rounded inwards to 3
    significant digits so that every value shown as accepted is."""
    lo, hi = spec.plausible
    canonical = f"{lo:g} to {hi:g} {spec.canonical}"
    if spelled == spec.canonical:
        return f"{canonical} for {spec.name}"
    low, high = (lab_in(spec.name, bound, spelled) for bound in (lo, hi))
    return f"{_inward(low, up=True):g} to {_inward(high, up=False):g} {spelled} ({canonical}) for {spec.name}"


def _inward(value: float, *, up: bool) -> float:
    """``value`` to 3 significant digits (whole numbers from 100 on), rounded towards the inside of
    the range it bounds (``up`` for a lower bound)."""
    if value == 0 or not math.isfinite(value):
        return value
    step = 1.0 if abs(value) >= 100 else 10.0 ** (math.floor(math.log10(abs(value))) - 2)
    scaled = value / step
    nearest = round(scaled)
    if abs(scaled - nearest) < 1e-6:  # already round (a converted bound's last-digit noise)
        return nearest * step
    return (math.ceil(scaled) if up else math.floor(scaled)) * step


def _convert_lab_value(spec: LabSpec, value: float, unit: str) -> float:
    if unit == spec.canonical:
        return value
    src, dst = _unit(unit), _unit(spec.canonical)
    if src.dimensionality == dst.dimensionality:
        return float(Q_(value, src).to(dst).magnitude)
    if spec.molar_mass_g_mol is None:
        raise UserInputError("unit", unit, " or ".join(spec.units), problem="cannot convert")
    molar_mass = Q_(spec.molar_mass_g_mol, "g/mol")
    quantity = Q_(value, src)
    converted = (
        quantity * molar_mass if "[substance]" in str(src.dimensionality) else quantity / molar_mass
    )
    return float(converted.to(dst).magnitude)


def lab_in(test: str, value_canonical: float, unit: str) -> float:
    """Express a canonical-unit lab value in another accepted unit (for display and export)."""
    spec = LAB_SPECS[test]
    spelled = _canonical_spelling(spec, unit)
    if spelled is None:
        raise UserInputError(
            "unit", unit, " or ".join(spec.units), problem="unit does not fit this test"
        )
    if spelled == spec.canonical:
        return value_canonical
    back = LabSpec(
        spec.name, spec.units, spelled, spec.molar_mass_g_mol, spec.plausible, spec.source
    )
    return _convert_lab_value(back, value_canonical, spec.canonical)


# --------------------------------------------------------------------------------------------------
# General quantities ("178 cm", {"value": 178, "unit": "cm"})
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuantityKind:
    """A kind of quantity: canonical unit, example accepted units and plausible range (canonical)."""

    name: str
    canonical: str
    examples: tuple[str, ...]
    plausible: tuple[float, float]


KINDS: dict[str, QuantityKind] = {
    k.name: k
    for k in (
        QuantityKind("height", "cm", ("cm", "m", "in"), (100.0, 230.0)),
        QuantityKind("weight", "kg", ("kg", "lb"), (25.0, 300.0)),
        QuantityKind("dose_mass", "mg", ("mg", "g", "ug", "mcg"), (0.0, 20000.0)),
        QuantityKind("dose_iu", "IU", ("IU",), (0.0, 1_000_000.0)),
        QuantityKind("daily_mass", "mg/d", ("mg/d", "g/d", "ug/d"), (0.0, 20000.0)),
        QuantityKind(
            "daily_iu", "IU/d", ("IU/d", "ug/d (vitamin D: 1 ug = 40 IU)"), (0.0, 100_000.0)
        ),
        QuantityKind("protein", "g/kg/d", ("g/kg/d", "g/d (needs weight)"), (0.0, 5.0)),
        QuantityKind("interval", "d", ("d", "h", "wk", "mo", "y"), (0.0, 3653.0)),
        QuantityKind("offset", "d", ("d", "wk", "mo", "y"), (-36525.0, 36525.0)),
        QuantityKind("bmd", "g/cm**2", ("g/cm2", "mg/cm2"), (0.2, 2.5)),
    )
}

_QUANTITY_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")

#: Calendar units used by the trial and patient files: mo = 30.4375 d, y = 365.25 d (spec/trial-file.md).
DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = 30.4375

#: Count units said in the singular after exactly 1 ("1 session/week", "1 day").
SINGULAR_UNITS = {"sessions/week": "session/week", "sessions": "session", "days": "day",
                  "minutes/week": "minute/week"}


def count_unit(value: float, unit: str) -> str:
    """``unit`` as it reads after ``value``: a count unit in the singular after exactly 1."""
    return SINGULAR_UNITS.get(unit, unit) if value == 1 else unit
DAYS_PER_YEAR = 365.25
_TIME_UNITS_D = {
    "d": 1.0,
    "day": 1.0,
    "days": 1.0,
    "h": 1.0 / 24.0,
    "wk": DAYS_PER_WEEK,
    "week": DAYS_PER_WEEK,
    "weeks": DAYS_PER_WEEK,
    "mo": DAYS_PER_MONTH,
    "month": DAYS_PER_MONTH,
    "months": DAYS_PER_MONTH,
    "y": DAYS_PER_YEAR,
    "yr": DAYS_PER_YEAR,
    "year": DAYS_PER_YEAR,
    "years": DAYS_PER_YEAR,
}

# Vitamin D3: 1 ug = 40 IU (IOM 2011, Dietary Reference Intakes for Calcium and Vitamin D).
VITAMIN_D_IU_PER_UG = 40.0


def split_quantity(raw: Any, field: str, accepted: str) -> tuple[float, str]:
    """Split ``"26 pg/mL"`` or ``{value: 26, unit: pg/mL}`` into (value, unit text)."""
    if isinstance(raw, dict):
        extra = set(raw) - {"value", "unit"}
        if extra or "value" not in raw or "unit" not in raw:
            raise UserInputError(
                field,
                raw,
                f"{{value, unit}} or a string such as '{accepted}'",
                problem="malformed quantity",
            )
        value, unit = raw["value"], raw["unit"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UserInputError(f"{field}.value", value, "a number", problem="not a number")
        if not isinstance(unit, str) or not unit.strip():
            raise UserInputError(f"{field}.unit", unit, accepted, problem="missing unit")
        return float(value), unit.strip()
    if isinstance(raw, str):
        match = _QUANTITY_RE.match(raw)
        if match is None or not match.group(2):
            raise UserInputError(
                field,
                raw,
                f"a number with a unit, e.g. '{accepted}'",
                problem="not a quantity with a unit",
            )
        return float(match.group(1)), match.group(2)
    raise UserInputError(
        field, raw, f"a quantity with a unit, e.g. '{accepted}'", problem="missing unit"
    )


def parse_quantity(raw: Any, kind: str, field: str, *, weight_kg: float | None = None) -> float:
    """Parse a quantity of ``kind`` (see ``KINDS``) and return it in the kind's canonical unit."""
    spec = KINDS[kind]
    accepted = ", ".join(spec.examples)
    value, unit = split_quantity(raw, field, f"1 {spec.examples[0]}")
    result = _to_canonical(value, unit, spec, field, accepted, weight_kg)
    lo, hi = spec.plausible
    if not (lo <= result <= hi) or result != result:
        raise UserInputError(
            field,
            f"{value:g} {unit}",
            f"{lo:g} to {hi:g} {spec.canonical.replace('**2', '2')}",
            problem="implausible value",
        )
    return result


def _to_canonical(
    value: float, unit: str, spec: QuantityKind, field: str, accepted: str, weight_kg: float | None
) -> float:
    if spec.name in ("interval", "offset"):
        factor = _TIME_UNITS_D.get(unit.strip().lower())
        if factor is None:
            raise UserInputError(
                f"{field}", f"{value:g} {unit}", accepted, problem="unknown time unit"
            )
        return value * factor
    if spec.name == "daily_iu" and compatible(unit, "ug/d"):
        return convert(value, unit, "ug/d") * VITAMIN_D_IU_PER_UG
    if spec.name == "protein" and compatible(unit, "g/d"):
        if weight_kg is None:
            raise UserInputError(
                field,
                f"{value:g} {unit}",
                "g/kg/d (or g/d when weight is given)",
                problem="g/d needs the patient's weight",
            )
        return convert(value, unit, "g/d") / weight_kg
    if not compatible(unit, spec.canonical):
        raise UserInputError(field, f"{value:g} {unit}", accepted, problem="unit does not fit")
    return convert(value, unit, spec.canonical)


def parse_time_offset_d(raw: Any, field: str) -> float:
    """A time such as ``12 mo`` or ``-5 y`` in days (mo = 30.4375 d, y = 365.25 d)."""
    return parse_quantity(raw, "offset", field)
