"""The ``assess --format json`` document (spec/cli.md shape; extra fields are additions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from osteotwin.clinic.engine import GRADE_MEANING
from osteotwin.clinic.fracture_risk import RiskEstimate
from osteotwin.clinic.model import Action, Assessment, DataPoint, Finding
from osteotwin.clinic.reference import citation_text, citations

DISCLAIMER = ("Decision support only: osteotwin prescribes nothing. Every finding names its data and "
              "sources; a clinician decides.")


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _data(points: tuple[DataPoint, ...]) -> list[dict[str, Any]]:
    return [{"name": p.name, "value": _value(p.value), "unit": p.unit, "date": _iso(p.date)}
            for p in points]


def _finding(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity, "message": f.message,
            "evidence": list(f.evidence), "grade": f.grade, "data": _data(f.data),
            "rules": list(f.rules)}


def _action(a: Action) -> dict[str, Any]:
    return {"code": a.code, "priority": a.priority, "message": a.message, "due": _iso(a.due),
            "evidence": list(a.evidence), "grade": a.grade, "because": list(a.because),
            "data": _data(a.data), "rules": list(a.rules)}


def _estimate(e: RiskEstimate) -> dict[str, Any]:
    return {"model": e.model, "any_fragility_10y_pct": e.any_fragility_10y_pct,
            "any_fragility_5y_pct": e.any_fragility_5y_pct,
            "major_osteoporotic_10y_pct": e.major_osteoporotic_10y_pct,
            "hip_10y_pct": e.hip_10y_pct, "qualifier": e.qualifier, "category": e.band,
            "category_basis": e.band_basis, "date": _iso(e.date), "inputs": e.inputs,
            "limits": list(e.limits), "evidence": list(e.citations)}


def to_document(assessment: Assessment) -> dict[str, Any]:
    """JSON-ready dict: as_of, findings, actions, densitometry, fracture_risk (+ additions)."""
    dxa = assessment.densitometry
    densitometry: dict[str, Any] = {
        site: {"date": _iso(r.date), "bmd_g_cm2": r.bmd_g_cm2, "t_score": r.t_score,
               "t_score_source": r.t_score_source, "z_score": r.z_score, "device": r.device,
               "score_used": r.score_used, "category": r.category, "note": r.note,
               "change": None if r.change is None else {
                   "from": _iso(r.change.earlier_date), "to": _iso(r.change.later_date),
                   "change_pct": r.change.change_pct, "lsc_pct": r.change.lsc_pct,
                   "significant_loss": r.change.significant_loss}}
        for site, r in dxa.sites.items()
    }
    risk = assessment.fracture_risk
    primary = risk.primary
    fracture: dict[str, Any] = {
        "model": None if primary is None else primary.model,
        "any_fragility_10y_pct": None if primary is None else primary.any_fragility_10y_pct,
        "hip_10y_pct": None if primary is None else primary.hip_10y_pct,
        "major_osteoporotic_10y_pct": None if primary is None else primary.major_osteoporotic_10y_pct,
        "category": None if primary is None else primary.band,
        "limits": [] if primary is None else list(primary.limits),
        "estimates": [_estimate(e) for e in risk.estimates],
        "not_estimated": list(risk.not_estimated),
    }
    used = assessment.citation_ids()
    registry = citations()
    return {
        "as_of": assessment.as_of.isoformat(),
        "patient_id": assessment.patient_id,
        "summary": list(assessment.summary),
        "findings": [_finding(f) for f in assessment.findings],
        "actions": [_action(a) for a in assessment.actions],
        "densitometry": densitometry,
        "densitometry_basis": {"score": dxa.choice.kind, "reason": dxa.choice.reason,
                               "category": dxa.category, "lowest_site": dxa.lowest_site,
                               "lowest_score": dxa.lowest_score},
        "fracture_risk": fracture,
        "monitoring": [{"test": t, "last": _iso(last), "next_due": _iso(due), "basis": why}
                       for t, last, due, why in assessment.monitoring],
        "citations": {cid: {**registry[cid], "text": citation_text(cid)} for cid in used},
        "evidence_grades": GRADE_MEANING,
        "disclaimer": DISCLAIMER,
    }
