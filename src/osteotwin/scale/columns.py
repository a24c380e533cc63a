"""What each per-person Parquet column of a virtual trial holds: its unit and a description.

Written into each chunk's Arrow field metadata (``unit``, ``description``) and, as a ``units`` map
and a ``column_descriptions`` map, into the run folder's manifest.json, so a file read on its
own says what its numbers are:

- endpoint columns (``QUANTITY@AT``) hold the model's unit, which need not be the trial file's: an
  absolute lab level is in its canonical unit (total testosterone in ng/dL even where the trial file
  gives nmol/L; the description says so), changes and incidences in %;
- ``fracture_incidence_pct`` is each person's cumulative probability (%) of a clinical fracture
  over the window, from the fracture-hazard model, not an event: the arm's mean is the expected
  cumulative incidence; the model draws no event times;
- the covariates are the person as drawn at study start: age, weight, years since menopause, the
  simulated baseline estradiol and testosterone, and the BMD and T-scores drawn where the trial
  publishes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from osteotwin.scale.endpoints import EndpointColumn
from osteotwin.trials.model import BMD_SITES, FRACTURE_QUANTITY, Trial
from osteotwin.units import LAB_SPECS

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class ColumnInfo:
    """A column's unit ('' for identifiers and counts) and what it holds."""

    unit: str
    description: str

    def metadata(self) -> dict[bytes, bytes]:
        """Arrow field metadata."""
        return {b"unit": self.unit.encode(), b"description": self.description.encode()}


#: Series of the baseline hormone covariates: column → (series, unit, name in words).
BASELINE_HORMONES: dict[str, tuple[str, str, str]] = {
    "baseline_estradiol_pg_ml": ("estradiol_pg_ml", "pg/mL", "estradiol"),
    "baseline_total_testosterone_ng_dl": ("total_testosterone_ng_dl", "ng/dL",
                                          "total testosterone"),
}

#: The columns every chunk has besides the endpoints and the drawn BMD.
BASE_COLUMNS: dict[str, ColumnInfo] = {
    "arm_index": ColumnInfo("", "position of the arm in the trial file (0 = first)"),
    "arm_id": ColumnInfo("", "the arm's id in the trial file"),
    "person": ColumnInfo("", "the virtual person's index in the arm; person i of every arm is "
                             "drawn from the same random numbers (paired contrasts)"),
    "chunk": ColumnInfo("", "the chunk of the run that simulated the person"),
    "age_y": ColumnInfo("y", "age at study start"),
    "weight_kg": ColumnInfo("kg", "body weight at study start"),
    "years_since_menopause": ColumnInfo(
        "y", "years since the final menstrual period at study start (negative: before it); "
             "empty for men"),
    **{name: ColumnInfo(unit, f"{words} at study start, as simulated for the person (the level "
                              "every change is measured from)")
       for name, (_, unit, words) in BASELINE_HORMONES.items()},
}

FRACTURE_DESCRIPTION = (
    "each person's cumulative probability (%) of a clinical fracture over the window, from the "
    "fracture-hazard model: a risk, not an event (the arm's mean is the expected cumulative "
    "incidence; no event times are drawn)")


def baseline_bmd_columns(trial: Trial) -> dict[str, ColumnInfo]:
    """The drawn baseline BMD and T-score columns of ``trial`` (sites any arm publishes)."""
    published = {name for arm in trial.arms for name, dist in arm.population.baseline.items()
                 if dist.centre is not None}
    found: dict[str, ColumnInfo] = {}
    for site in BMD_SITES:
        if site in published:
            found[bmd_column(site)] = ColumnInfo(
                "g/cm2", f"{site.replace('_', ' ')} BMD at study start, as drawn from the "
                         "published baseline")
        if f"{site}_t_score" in published:
            found[t_score_column(site)] = ColumnInfo(
                "", f"{site.replace('_', ' ')} T-score at study start, as drawn from the published "
                    "baseline")
    return found


def bmd_column(site: str) -> str:
    return f"baseline_{site}_bmd_g_cm2"


def t_score_column(site: str) -> str:
    return f"baseline_{site}_t_score"


def column_unit(quantity: str) -> str:
    """The unit of an endpoint column's per-person values: the canonical lab unit for an absolute
    level (``units.LAB_SPECS``), ``%`` for changes and incidences."""
    return LAB_SPECS[quantity].canonical if quantity in LAB_SPECS else "%"


def endpoint_info(column: EndpointColumn, trial: Trial) -> ColumnInfo:
    """Unit and description of an endpoint column; where the trial file gives the endpoint in
    another unit, the description names both."""
    unit = column_unit(column.quantity)
    when = column.at_text if column.from_d == 0.0 else f"{column.at_text}, from {column.from_d:g} d"
    if column.quantity == FRACTURE_QUANTITY:
        return ColumnInfo(unit, f"{FRACTURE_DESCRIPTION}; by {when}")
    text = f"{column.quantity} at {when}, in {unit}"
    given = {e.given_unit for e in trial.endpoints
             if e.quantity == column.quantity and e.at_d == column.at_d
             and e.from_d == column.from_d and e.given_unit not in (None, unit)}
    if given:
        text += (f" (the model's unit; the trial file gives this endpoint in "
                 f"{' and '.join(sorted(str(g) for g in given))})")
    return ColumnInfo(unit, text)


def column_infos(trial: Trial, columns: Sequence[EndpointColumn]) -> dict[str, ColumnInfo]:
    """Every column a run of ``trial`` may write, in order: the base columns, the drawn BMD, the
    endpoints."""
    return {**BASE_COLUMNS, **baseline_bmd_columns(trial),
            **{c.name: endpoint_info(c, trial) for c in columns}}


def manifest_info(infos: Mapping[str, ColumnInfo]) -> dict[str, dict[str, str]]:
    """The manifest's ``units`` (column → unit) and ``column_descriptions`` (column → what it
    holds) maps."""
    return {"units": {name: info.unit for name, info in infos.items()},
            "column_descriptions": {name: info.description for name, info in infos.items()}}


def with_metadata(table: pa.Table, infos: Mapping[str, ColumnInfo]) -> pa.Table:
    """``table`` with each known column's unit and description in its field metadata."""
    import pyarrow as pa

    fields = [field.with_metadata(infos[field.name].metadata()) if field.name in infos else field
              for field in table.schema]
    return table.cast(pa.schema(fields))
