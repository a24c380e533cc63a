"""Summary of a virtual trial: mean, SD and percentiles per arm and endpoint, published value beside it.

Contrasts (arm minus arm) are paired per person: person ``i`` is the same virtual person in every
arm that shares a population (see ``plan.py``), so the contrast's spread is that of individual effects.

Units: ``unit`` is the model's unit of the row (the canonical lab unit for an absolute level, ``%``
for changes and incidences); mean, SD, percentiles, ``interval`` and ``published`` are in it, so
``mean`` and ``published`` compare directly. ``published_given`` and ``published_given_unit`` are the
published value and unit as the trial file gives them (before conversion).

``pass`` follows the spec's pass rule, which is defined for virtual arms of at least
``MIN_VIRTUAL_PEOPLE`` people: below that (and for endpoints reported but not scored, or without a
prediction) it is None and ``pass_reason`` says why.

``se`` is the Monte Carlo standard error of ``mean`` (SD over √n: the people are independent draws);
``borderline`` is True where ``mean`` ± ``pass_rule.BORDERLINE_SE`` SE straddles an edge of
``interval`` (the verdict may turn with the seed), None where there is no verdict.
"""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.scale.columns import column_unit
from osteotwin.scale.endpoints import EndpointColumn
from osteotwin.trials.model import Endpoint, Trial
from osteotwin.trials.pass_rule import (
    is_borderline,
    scoring_interval,
    small_n_reason,
    standard_error,
)

if TYPE_CHECKING:
    import pandas as pd

PERCENTILES: tuple[float, ...] = (2.5, 5.0, 25.0, 50.0, 75.0, 95.0, 97.5)
SUMMARY_FIELDS: tuple[str, ...] = (
    "arm", "contrast", "endpoint", "quantity", "at", "n", "mean", "sd",
    *(f"p{p:g}" for p in PERCENTILES), "published", "interval", "interval_basis", "pass", "source",
    "unit", "published_given", "published_given_unit", "pass_reason", "se", "borderline",
)


def describe(values: NDArray[np.float64]) -> dict[str, float | int | None]:
    """n, mean, SD (ddof 1; None for fewer than two values), the mean's Monte Carlo standard error
    (``pass_rule.standard_error``; None likewise) and the percentiles of the finite values."""
    finite = values[np.isfinite(values)]
    out: dict[str, float | int | None] = {"n": int(finite.size)}
    if finite.size == 0:
        out.update({"mean": None, "sd": None, "se": None,
                    **{f"p{p:g}": None for p in PERCENTILES}})
        return out
    out["mean"] = float(finite.mean())
    out["sd"] = float(finite.std(ddof=1)) if finite.size > 1 else None
    out["se"] = standard_error(finite) if finite.size > 1 else None
    for p, q in zip(PERCENTILES, np.percentile(finite, PERCENTILES), strict=True):
        out[f"p{p:g}"] = float(q)
    return out


def _match(endpoint: Endpoint, column: EndpointColumn) -> bool:
    return (endpoint.quantity == column.quantity and endpoint.at_d == column.at_d
            and endpoint.from_d == column.from_d)


def summarise(people: pd.DataFrame, trial: Trial,
              columns: tuple[EndpointColumn, ...]) -> list[dict[str, Any]]:
    """One row per (arm, column) and per published contrast; published value and pass beside it.

    ``interval`` is the published 95 % interval widened by the spec's pass rule
    (``osteotwin.trials.pass_rule``); ``pass`` says whether the virtual arm's mean lies in it.
    """
    rows: list[dict[str, Any]] = []
    sizes = {arm.id: arm.n for arm in trial.arms}
    by_arm = {str(arm): frame.set_index("person")
              for arm, frame in people.groupby("arm_id", sort=False)}
    for arm in trial.arms:
        frame = by_arm.get(arm.id)
        if frame is None:
            continue
        for column in columns:
            if column.name not in frame:
                continue
            published = next((e for e in trial.endpoints
                              if e.arm == arm.id and e.contrast is None and _match(e, column)), None)
            rows.append(_row(arm.id, None, column, frame[column.name].to_numpy(np.float64),
                             published, sizes))
    for endpoint in trial.endpoints:
        if endpoint.contrast is None:
            continue
        first, second = endpoint.contrast
        column = next(c for c in columns if _match(endpoint, c))
        if first not in by_arm or second not in by_arm or column.name not in by_arm[first]:
            continue
        a, b = by_arm[first][column.name].align(by_arm[second][column.name], join="inner")
        rows.append(_row(None, [first, second], column, (a - b).to_numpy(np.float64), endpoint,
                         sizes))
    return rows


def _row(arm: str | None, contrast: list[str] | None, column: EndpointColumn,
         values: NDArray[np.float64], published: Endpoint | None,
         sizes: dict[str, int | None]) -> dict[str, Any]:
    row: dict[str, Any] = {"arm": arm, "contrast": contrast, "endpoint": column.name,
                           "quantity": column.quantity, "at": column.at_text}
    row.update(describe(values))
    row.update({"published": None, "interval": None, "interval_basis": None, "pass": None,
                "source": None, "unit": column_unit(column.quantity), "published_given": None,
                "published_given_unit": None, "pass_reason": None, "borderline": None})
    if published is not None:
        interval = scoring_interval(published, sizes)
        mean = row["mean"]
        reason = None
        if not interval.scored:
            reason = "reported, not scored: published SD with unknown arm size"
        elif mean is None:
            reason = "no prediction: the model does not simulate this quantity"
        else:
            reason = small_n_reason(int(values.size))
        row.update({
            "published": published.value,  # in the model's unit, as mean is
            "published_given": (published.given_value if published.given_value is not None
                                else published.value),
            "published_given_unit": published.given_unit or published.model_unit,
            "interval": [interval.low, interval.high],
            "interval_basis": interval.basis,
            "pass": interval.contains(mean) if reason is None else None,
            "borderline": (is_borderline(interval, mean, row["se"] if row["se"] is not None
                                         else math.nan) if reason is None else None),
            "pass_reason": reason,
            "source": published.source,
        })
    return row


def summary_csv(rows: list[dict[str, Any]]) -> str:
    """The summary as CSV text (contrast as ``a-b``, interval as ``lo;hi``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(SUMMARY_FIELDS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["contrast"] = "-".join(row["contrast"]) if row["contrast"] else ""
        interval = row["interval"]
        flat["interval"] = f"{interval[0]:.6g};{interval[1]:.6g}" if interval else ""
        writer.writerow({k: ("" if flat.get(k) is None else flat[k]) for k in SUMMARY_FIELDS})
    return buffer.getvalue()
