"""Absolute fracture risk from open, published models only (no proprietary algorithm).

* Garvan nomogram, Model I for women (age, femoral-neck T-score, fractures since 50, falls in the last
  12 months): Nguyen et al. Osteoporos Int 2008;19:1431-1444, as nomogram points with third-party curve
  fits of the risk axis (medicalalgorithms.com transcription; ../shared/data/guidelines/
  garvan_coefficients.csv). Incidence, not probability (competing mortality not modelled). Valid for
  women aged 60 and over (derivation cohort; poor discrimination at 50-64, Crandall 2019); overestimates
  in the highest risk quintile (Ahmed 2014); no aromatase-inhibitor term, so it underestimates AI-related
  risk. Men's and hip coefficients are not published openly: not estimated.
* An externally calculated FRAX result (patient file ``fracture_risk_external``) is accepted as entered;
  osteotwin does not implement FRAX. One dated after the assessment date is ignored (like all data
  after ``as_of``); one calculated before the latest DXA, or without BMD while a femoral-neck T-score
  is on file, is used with a note asking for it to be recalculated with the current BMD (NOGG 2022;
  BHOF 2022).

Risk bands (10-year %): high >= 20 major osteoporotic (or any fragility) or hip >= 3 (BHOF 2022; ASCO
2019 rec 3.4); moderate 10-20; low < 10 (Osteoporosis Canada 2010, Papaioannou).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

from osteotwin.records.patient import PatientRecord

RiskBand = Literal["high", "moderate", "low"]

HIGH_10Y_PCT = 20.0  # BHOF 2022 / ASCO 2019: MOF >= 20 %
HIP_HIGH_10Y_PCT = 3.0  # BHOF 2022 / ASCO 2019: hip >= 3 %
MODERATE_10Y_PCT = 10.0  # Papaioannou 2010: low < 10 %, moderate 10-20 %

GARVAN_MIN_AGE = 60.0  # Dubbo derivation cohort aged 60+ (Nguyen 2008); Crandall 2019
GARVAN_MAX_AGE = 96.0  # nomogram age axis ends at 100; Dubbo cohort oldest in the mid-90s

GARVAN_LIMITS = (
    "Garvan Model I for women, rebuilt from nomogram points and third-party curve fits of the risk "
    "axis (not the published Cox coefficients): an approximation",
    "incidence of any low-trauma fracture, not probability: competing mortality is not modelled",
    "derivation cohort: Dubbo, Australia, women aged 60 and over; not valid under 60",
    "overestimates risk in the highest quintile (Tromsø validation)",
    "no aromatase-inhibitor term: AI-related bone loss is not represented (likely underestimate)",
)
FRAX_LIMITS = (
    "FRAX calculated outside osteotwin and entered as reported; check its date and country model",
    "FRAX is not validated in people with cancer or on aromatase inhibitors (ASCO 2019 rec 1.3)",
)


@dataclass(frozen=True)
class RiskEstimate:
    """One model's 10-year risk and the band it falls in."""

    model: str
    any_fragility_10y_pct: float | None
    major_osteoporotic_10y_pct: float | None
    hip_10y_pct: float | None
    band: RiskBand | None
    band_basis: str
    date: dt.date | None
    inputs: dict[str, float | int | str | None]
    limits: tuple[str, ...]
    citations: tuple[str, ...]
    any_fragility_5y_pct: float | None = None
    qualifier: str | None = None  # "below" / "above" where the nomogram axis is open-ended
    note: str | None = None  # what qualifies this estimate (e.g. calculated before the latest DXA)
    #: an external FRAX calculated without BMD although a femoral-neck T-score is on file
    without_available_bmd: bool = False


@dataclass(frozen=True)
class FractureRisk:
    """Every estimate that applies, the one used for the finding, and why others were not made."""

    estimates: tuple[RiskEstimate, ...]
    not_estimated: tuple[str, ...] = field(default=())

    @property
    def primary(self) -> RiskEstimate | None:
        return self.estimates[0] if self.estimates else None


def risk_band(ten_year_pct: float | None, hip_pct: float | None) -> RiskBand | None:
    """High / moderate / low from a 10-year major (or any) fracture risk and hip risk (%)."""
    if ten_year_pct is None and hip_pct is None:
        return None
    if (ten_year_pct is not None and ten_year_pct >= HIGH_10Y_PCT) or (
        hip_pct is not None and hip_pct >= HIP_HIGH_10Y_PCT
    ):
        return "high"
    if ten_year_pct is not None and ten_year_pct >= MODERATE_10Y_PCT:
        return "moderate"
    return "low"


#: Said with every Garvan band: its risk counts any low-trauma fracture, where the treatment cut-offs
#: were set on FRAX's major osteoporotic fracture (BHOF 2022), so the band leans high (docs/assessment.md).
GARVAN_BAND_NOTE = ("any low-trauma fracture, banded on cut-offs set for major osteoporotic fractures, so "
                    "it leans high")


def garvan_points(age_y: float, fn_t_score: float, fractures: int, falls: int) -> float:
    """Garvan Model I (women) nomogram points: age, femoral-neck T-score, fractures, falls."""
    age = min(max(age_y, 55.0), 100.0)
    t_score = min(max(fn_t_score, -6.0), 4.0)
    return (0.8 * age - 44.0) + (-10.0 * t_score + 40.0) + min(42.0, 14.0 * fractures) + min(
        15.0, 5.0 * falls)


def garvan_10y_pct(points: float) -> tuple[float, str | None]:
    """10-year any-fracture risk (%) from points; ('below'/'above', bound) outside the fitted range."""
    if points < 39.5:
        return 5.0, "below"
    if points <= 103.7:
        return 0.009526 * points**2 - 0.6715 * points + 16.86, None
    if points <= 151.2:
        return -0.01494 * points**2 + 4.867 * points - 295.0, None
    return 99.0, "above"


def garvan_5y_pct(points: float) -> tuple[float, str | None]:
    """5-year any-fracture risk (%) from points (curve fits of the nomogram axis)."""
    if points < 17.5:
        return 1.0, "below"
    if points <= 58.1:
        return 0.09852 * points - 0.724, None
    if points <= 152.9:
        return 0.008 * points**2 - 0.7475 * points + 20.54, None
    return 90.0, "above"


def _fracture_count(record: PatientRecord) -> int | None:
    count = record.history.prior_fragility_fractures
    if record.history.vertebral_fracture:
        count = max(count or 0, 1)
    return count


def garvan_women(record: PatientRecord, as_of: dt.date, fn_t_score: float | None,
                 fn_date: dt.date | None) -> RiskEstimate | str:
    """Garvan Model I for a woman, or the reason it does not apply."""
    if record.patient.sex != "female":
        return ("Garvan: only the women's Model I is openly available (men's coefficients "
                "unpublished)")
    age = record.patient.age_on(as_of)
    if not GARVAN_MIN_AGE <= age <= GARVAN_MAX_AGE:
        return f"Garvan: valid from age {GARVAN_MIN_AGE:.0f} to {GARVAN_MAX_AGE:.0f} (age {math.floor(age)})"
    if fn_t_score is None:
        return "Garvan: needs a femoral-neck T-score (none on file)"
    fractures = _fracture_count(record)
    falls = record.history.falls_last_12_months
    if fractures is None or falls is None:
        missing = [n for n, v in (("prior_fragility_fractures", fractures),
                                  ("falls_last_12_months", falls)) if v is None]
        return "Garvan: needs " + " and ".join(f"history.{m}" for m in missing) + " (not recorded)"
    points = garvan_points(age, fn_t_score, min(fractures, 3), min(falls, 3))
    ten, qualifier = garvan_10y_pct(points)
    five, _ = garvan_5y_pct(points)
    return RiskEstimate(
        model="Garvan nomogram Model I, women (approximation)",
        any_fragility_10y_pct=round(ten, 1),
        major_osteoporotic_10y_pct=None,
        hip_10y_pct=None,
        band=risk_band(ten, None),
        band_basis="10-year any-fracture risk against 10 % / 20 % bands (Papaioannou 2010; BHOF 2022)",
        note=GARVAN_BAND_NOTE,
        date=fn_date,
        inputs={"age_y": round(age, 1), "femoral_neck_t_score": fn_t_score,
                "fractures_since_50": fractures, "falls_last_12_months": falls,
                "points": round(points, 1)},
        limits=GARVAN_LIMITS,
        citations=("nguyen_2008", "garvan_nomogram_transcription", "crandall_2019", "ahmed_2014"),
        any_fragility_5y_pct=round(five, 1),
        qualifier=qualifier,
    )


#: FRAX calculated without BMD where a femoral-neck BMD is available: recalculated with it before it
#: is compared with a treatment threshold (NOGG 2022, Gregson; BHOF 2022: FRAX with femoral-neck BMD)
WITHOUT_BMD_NOTE = ("{tool} calculated without BMD although a femoral-neck T-score is on file: "
                    "recalculate it with the femoral-neck BMD before it is used for a treatment "
                    "threshold (NOGG 2022; BHOF 2022)")


def external_frax(record: PatientRecord, as_of: dt.date, last_scan: dt.date | None = None,
                  fn_t_score: float | None = None) -> RiskEstimate | str | None:
    """The externally calculated FRAX (or other tool) result on file, banded by BHOF thresholds.

    None when there is none; the reason (a string) when one is on file but dated after ``as_of``
    (data after the assessment date are ignored). A result calculated before the latest DXA
    (``last_scan``), or without BMD while a femoral-neck T-score (``fn_t_score``) is on file, is used
    with a note: it did not see the current BMD.
    """
    ext = record.fracture_risk_external
    if ext is None or (ext.major_osteoporotic_10y_pct is None and ext.hip_10y_pct is None):
        return None
    if ext.date is not None and ext.date > as_of:
        return (f"the external {ext.tool} result is dated {ext.date.isoformat()}, after the "
                f"assessment date {as_of.isoformat()}, and is ignored")
    note = None
    if ext.date is None:
        note = f"{ext.tool} date not recorded: check that it reflects the current BMD and history"
    elif last_scan is not None and ext.date < last_scan:
        note = (f"{ext.tool} calculated on {ext.date.isoformat()}, before the latest DXA on "
                f"{last_scan.isoformat()}: recalculate it with the current BMD")
    without_bmd = ext.bmd_included is False and fn_t_score is not None
    if without_bmd:
        note = WITHOUT_BMD_NOTE.format(tool=ext.tool) + (f"; {note}" if note else "")
    country = f", {ext.country}" if ext.country else ""
    bmd = "" if ext.bmd_included is None else (", with BMD" if ext.bmd_included else ", without BMD")
    return RiskEstimate(
        model=f"{ext.tool} (external{country}{bmd})",
        any_fragility_10y_pct=None,
        major_osteoporotic_10y_pct=ext.major_osteoporotic_10y_pct,
        hip_10y_pct=ext.hip_10y_pct,
        band=risk_band(ext.major_osteoporotic_10y_pct, ext.hip_10y_pct),
        band_basis="major osteoporotic >= 20 % or hip >= 3 % high (BHOF 2022; ASCO 2019); "
                   "10-20 % moderate (Papaioannou 2010)",
        date=ext.date,
        inputs={"tool": ext.tool, "country": ext.country},
        limits=FRAX_LIMITS if note is None else (note, *FRAX_LIMITS),
        citations=("kanis_2008_frax", "bhof_2022", "shapiro_asco_2019", "papaioannou_2010",
                   *(("gregson_nogg_2022",) if without_bmd else ())),
        note=note,
        without_available_bmd=without_bmd,
    )


def estimate(record: PatientRecord, as_of: dt.date, fn_t_score: float | None,
             fn_date: dt.date | None, last_scan: dt.date | None = None) -> FractureRisk:
    """All applicable estimates, an external FRAX first (it models competing mortality).

    ``last_scan`` is the date of the latest DXA on or before ``as_of``: an external FRAX older than it
    carries a note.
    """
    estimates: list[RiskEstimate] = []
    reasons: list[str] = []
    frax = external_frax(record, as_of, last_scan, fn_t_score)
    if isinstance(frax, RiskEstimate):
        estimates.append(frax)
    elif isinstance(frax, str):
        reasons.append(frax)
    else:
        reasons.append("no external FRAX result on file (fracture_risk_external)")
    garvan = garvan_women(record, as_of, fn_t_score, fn_date)
    if isinstance(garvan, RiskEstimate):
        estimates.append(garvan)
    else:
        reasons.append(garvan)
    return FractureRisk(tuple(estimates), tuple(reasons))
