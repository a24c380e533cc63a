"""Model outputs (fracture risk, simulated trajectories) as FHIR R4 RiskAssessment resources.

These are results osteotwin computed, not data the patient file holds: they travel in an exported
Bundle for the receiving system and are read back separately (``ImportResult.model_outputs``).
FHIR R4 RiskAssessment.prediction.probabilityDecimal is a percentage (constraint ras-2: <= 100).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from osteotwin.errors import UserInputError
from osteotwin.records.fhir import codes as c

#: Unit of a series from its name's suffix (names carry units: ``estradiol_pg_ml``).
_SUFFIX_UNITS = (("_pct", "%"), ("_pg_ml", "pg/mL"), ("_ng_dl", "ng/dL"), ("_ng_ml", "ng/mL"),
                 ("_g_cm2", "g/cm2"), ("_mg_dl", "mg/dL"), ("_iu_l", "IU/L"), ("_t_score", "1"))
DAYS_PER_YEAR = 365.25
_RISK_KEY = re.compile(r"(.+)_(\d+)y_pct")


@dataclass(frozen=True)
class Prediction:
    """One predicted outcome: a probability (%), a quantity (with 5-95 % interval), or both."""

    outcome: str
    label: str
    years: float | None = None
    probability_pct: float | None = None
    value: float | None = None
    unit: str | None = None
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class ModelOutput:
    """A set of predictions from one model run (``kind``: ``fracture_risk`` or ``simulation``)."""

    kind: str
    model: str
    predictions: tuple[Prediction, ...]
    as_of: date | None = None
    note: str | None = None


def series_unit(name: str) -> str | None:
    """The unit of a series named with its unit as suffix, or None."""
    return next((unit for suffix, unit in _SUFFIX_UNITS if name.endswith(suffix)), None)


def series_label(name: str) -> str:
    """Readable label of a series name: ``lumbar_spine_bmd_change_pct`` -> ``lumbar spine BMD
    change (%)``."""
    suffix, unit = next(((sfx, u) for sfx, u in _SUFFIX_UNITS if name.endswith(sfx)), ("", None))
    words = name[: len(name) - len(suffix)].replace("_", " ").replace("bmd", "BMD")
    if suffix == "_t_score":
        return f"{words} T-score"
    return f"{words} ({unit})" if unit else words


def fracture_risk_output(fracture_risk: Mapping[str, Any], *, as_of: date | None = None
                         ) -> ModelOutput:
    """From an assessment's fracture-risk estimate (spec/cli.md: ``model`` and ``<outcome>_<N>y_pct``
    fields); its category, qualifier and stated limits go in the note."""
    predictions = []
    for key, value in fracture_risk.items():
        match = _RISK_KEY.fullmatch(key)
        if match and isinstance(value, int | float) and not isinstance(value, bool):
            outcome, years = match.group(1), float(match.group(2))
            predictions.append(Prediction(
                outcome=f"{outcome}_fracture",
                label=f"{outcome.replace('_', ' ')} fracture within {years:g} years",
                years=years, probability_pct=float(value)))
    notes = [f"{key}: {fracture_risk[key]}" for key in ("category", "qualifier")
             if fracture_risk.get(key)]
    limits = fracture_risk.get("limits") or []
    if limits:
        notes.append("limits: " + "; ".join(str(x) for x in limits))
    return ModelOutput(kind="fracture_risk", model=str(fracture_risk.get("model") or "unknown"),
                       predictions=tuple(predictions), as_of=as_of,
                       note=". ".join(notes) if notes else None)


def trajectory_output(times_d: Sequence[float] | np.ndarray, series: Mapping[str, Any], *,
                      model: str, years: Sequence[float] = (1.0, 2.0, 5.0),
                      bands: Mapping[str, tuple[Any, Any]] | None = None,
                      names: Sequence[str] | None = None, as_of: date | None = None,
                      note: str | None = None) -> ModelOutput:
    """Predicted values of ``names`` (default: estradiol and BMD change series) at ``years``.

    ``bands`` maps a series name to (low, high) arrays on the same times (e.g. 5th/95th centiles).
    Horizons beyond the simulated time are left out.
    """
    times = np.asarray(times_d, dtype=float)
    chosen = list(names) if names is not None else [
        n for n in series if n == "estradiol_pg_ml" or n.endswith("_bmd_change_pct")]
    predictions = []
    for name in chosen:
        values = np.asarray(series[name], dtype=float)
        for horizon in years:
            t = horizon * DAYS_PER_YEAR
            if times.size == 0 or t > times[-1] + 1e-9:
                continue
            i = int(np.argmin(np.abs(times - t)))
            interval = None
            if bands is not None and name in bands:
                low, high = bands[name]
                interval = (float(np.asarray(low)[i]), float(np.asarray(high)[i]))
            predictions.append(Prediction(outcome=name, label=series_label(name),
                                          years=float(horizon), value=float(values[i]),
                                          unit=series_unit(name), interval=interval))
    return ModelOutput(kind="simulation", model=model, predictions=tuple(predictions),
                       as_of=as_of, note=note)


def _quantity(value: float, unit: str | None) -> dict[str, Any]:
    if unit is None:
        return {"value": value}
    return {"value": value, "unit": unit, "system": c.UCUM, "code": c.UCUM_OF.get(unit, unit)}


def model_output_resource(output: ModelOutput) -> dict[str, Any]:
    """A RiskAssessment (without id/subject) for one model output."""
    predictions = []
    for p in output.predictions:
        entry: dict[str, Any] = {"outcome": {"coding": [{"system": c.CS_RISK_OUTCOME,
                                                         "code": p.outcome}], "text": p.label}}
        if p.probability_pct is not None:
            entry["probabilityDecimal"] = p.probability_pct
        if p.years is not None:
            entry["whenRange"] = {"high": {"value": p.years, "unit": "years", "system": c.UCUM,
                                           "code": "a"}}
        extensions = []
        if p.value is not None:
            extensions.append({"url": c.EXT_PREDICTED_QUANTITY,
                               "valueQuantity": _quantity(p.value, p.unit)})
        if p.interval is not None:
            extensions.append({"url": c.EXT_PREDICTED_INTERVAL, "valueRange": {
                "low": _quantity(p.interval[0], p.unit), "high": _quantity(p.interval[1], p.unit)}})
        if extensions:
            entry["extension"] = extensions
        predictions.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "preliminary",
        "code": {"coding": [{"system": c.CS_CONCEPT, "code": f"model.{output.kind}"}],
                 "text": output.kind.replace("_", " ")},
        "method": {"coding": [{"system": c.CS_RISK_SOURCE, "code": "model-output"}],
                   "text": output.model},
    }
    if predictions:
        resource["prediction"] = predictions
    if output.as_of is not None:
        resource["occurrenceDateTime"] = output.as_of.isoformat()
    if output.note:
        resource["note"] = [{"text": output.note}]
    return resource


def _ext(element: Mapping[str, Any], url: str) -> Mapping[str, Any] | None:
    return next((e for e in element.get("extension", ()) if e.get("url") == url), None)


def _unit_back(q: Mapping[str, Any]) -> str | None:
    code = q.get("code")
    if code is None:
        return q.get("unit")
    return c.UNIT_OF_UCUM.get(str(code), str(code))


def _number(element: Any, key: str, where: str) -> float:
    """``element[key]`` as a number; ``UserInputError`` naming ``where`` when it is missing."""
    value = element.get(key) if isinstance(element, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserInputError(f"{where}.{key}", value, "a number", problem="missing or not a number")
    return float(value)


def _prediction(entry: Mapping[str, Any], where: str) -> Prediction:
    """One ``prediction`` of a model-output RiskAssessment; errors name the element."""
    codes = [x.get("code") for x in entry.get("outcome", {}).get("coding", ())]
    if not codes or not codes[0]:
        raise UserInputError(f"{where}.outcome.coding[0].code", None,
                             f"an outcome code ({c.CS_RISK_OUTCOME})", problem="missing code")
    quantity = _ext(entry, c.EXT_PREDICTED_QUANTITY)
    interval = _ext(entry, c.EXT_PREDICTED_INTERVAL)
    when = entry.get("whenRange", {}).get("high", {}).get("value")
    q = quantity.get("valueQuantity") if quantity else None
    q_where = f"{where}.extension({c.EXT_PREDICTED_QUANTITY}).valueQuantity"
    i_where = f"{where}.extension({c.EXT_PREDICTED_INTERVAL}).valueRange"
    bounds = interval.get("valueRange") if interval else None
    return Prediction(
        outcome=str(codes[0]),
        label=str(entry.get("outcome", {}).get("text", "")),
        years=_number(entry["whenRange"]["high"], "value", f"{where}.whenRange.high")
        if when is not None else None,
        probability_pct=(_number(entry, "probabilityDecimal", where)
                         if entry.get("probabilityDecimal") is not None else None),
        value=_number(q, "value", q_where) if quantity else None,
        unit=_unit_back(q) if isinstance(q, Mapping) else None,
        interval=((_number((bounds or {}).get("low"), "value", f"{i_where}.low"),
                   _number((bounds or {}).get("high"), "value", f"{i_where}.high"))
                  if interval else None),
    )


def model_output_from_resource(resource: Mapping[str, Any]) -> ModelOutput:
    """Read back a RiskAssessment written by ``model_output_resource`` (JSON form, checked against
    the R4 models); an element it needs that is missing raises ``UserInputError`` naming it."""
    code = next((x.get("code") for x in resource.get("code", {}).get("coding", ())
                 if x.get("system") == c.CS_CONCEPT), None) or "model.unknown"
    predictions = tuple(_prediction(entry, f"prediction[{i}]")
                        for i, entry in enumerate(resource.get("prediction", ())))
    occurrence = resource.get("occurrenceDateTime")
    notes = resource.get("note") or []
    try:
        as_of = date.fromisoformat(str(occurrence)[:10]) if occurrence else None
    except ValueError:
        raise UserInputError("occurrenceDateTime", occurrence, "a full date (YYYY-MM-DD...)",
                             problem="not a full date") from None
    return ModelOutput(
        kind=str(code).removeprefix("model."),
        model=str(resource.get("method", {}).get("text", "")),
        predictions=predictions,
        as_of=as_of,
        note=str(notes[0].get("text", "")) if notes else None,
    )
