"""Densitometry: T- or Z-score choice (ISCD), WHO categories, least significant change, T from g/cm².

Pure functions over ``DxaScan`` rows. Sources: WHO 1994 (categories), ISCD 2005/2019 official positions
(T-scores for postmenopausal women, women in the menopausal transition and men aged 50 or over;
Z-scores otherwise; LSC = 2.77 x precision), Looker 1998 (NHANES III femoral-neck reference).
Reference values live in ``data/clinic/densitometry.yaml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from osteotwin.clinic.reference import densitometry_reference
from osteotwin.records.patient import SITES, DxaScan, PatientRecord

ScoreKind = Literal["T", "Z"]
Category = Literal["normal", "low_bone_mass", "osteoporosis"]


@dataclass(frozen=True)
class ScoreChoice:
    """Which score classifies this person's BMD, and why (ISCD)."""

    kind: ScoreKind
    reason: str


def score_kind(sex: str, age_y: float, menopausal_status: str | None) -> ScoreChoice:
    """T-score for postmenopausal/perimenopausal women and men >= 50; Z-score otherwise (ISCD)."""
    if sex == "male":
        if age_y >= 50:
            return ScoreChoice("T", "man aged 50 or over (ISCD: T-score, WHO categories)")
        return ScoreChoice("Z", "man under 50 (ISCD: Z-score; osteoporosis not diagnosed by BMD alone)")
    if menopausal_status in ("postmenopausal", "perimenopausal"):
        return ScoreChoice("T", f"{menopausal_status} woman (ISCD: T-score, WHO categories)")
    if menopausal_status == "premenopausal":
        return ScoreChoice("Z", "premenopausal woman (ISCD: Z-score)")
    if age_y >= 50:
        return ScoreChoice("T", "woman aged 50 or over, menopausal status not recorded: T-score used; "
                                "record the status to confirm")
    return ScoreChoice("Z", "woman under 50, menopausal status not recorded: Z-score used; "
                            "record the status to confirm")


def who_category(t_score: float) -> Category:
    """WHO 1994: normal T >= -1.0; low bone mass -2.5 < T < -1.0; osteoporosis T <= -2.5."""
    cuts = densitometry_reference()["who_categories"]
    if t_score <= cuts["osteoporosis_max_t"]:
        return "osteoporosis"
    if t_score < cuts["normal_min_t"]:
        return "low_bone_mass"
    return "normal"


def z_category(z_score: float) -> Category:
    """ISCD: Z <= -2.0 is 'below the expected range for age' (reported as low bone mass), else normal."""
    if z_score <= densitometry_reference()["who_categories"]["z_below_expected_max"]:
        return "low_bone_mass"
    return "normal"


def _device_family(device: str | None) -> str | None:
    if device is None:
        return None
    text = device.lower()
    for family in ("hologic", "lunar", "norland"):
        if family in text:
            return family
    return text


def t_score_from_bmd(bmd_g_cm2: float, site: str, device: str | None) -> float | None:
    """T = (BMD - young-adult mean) / SD where a published reference for site and device exists.

    Only the NHANES III femoral-neck reference (Hologic; Looker 1998) is packaged; other sites or
    devices return None (use the densitometer's reported T-score).
    """
    family = _device_family(device)
    for ref in densitometry_reference()["t_score_reference"]:
        if ref["site"] == site and ref["device"] == family:
            return round((bmd_g_cm2 - float(ref["mean_g_cm2"])) / float(ref["sd_g_cm2"]), 1)
    return None


def no_reference_reason(site: str, device: str | None) -> str:
    """Why no T-score can be computed from g/cm² for this site and device."""
    notes = densitometry_reference()["no_reference"]
    if site == "femoral_neck":
        return str(notes["femoral_neck_non_hologic"])
    return str(notes.get(site, "no published reference packaged"))


def least_significant_change_pct(site: str) -> float:
    """LSC (% of BMD) at 95 % confidence: 2.77 x the ISCD minimum acceptable precision at ``site``,
    to 0.01 % (rounded half up in decimal, so 2.77 x 2.5 = 6.925 is 6.93, not the binary 6.92)."""
    ref = densitometry_reference()["least_significant_change"]
    lsc = Decimal(str(ref["multiplier"])) * Decimal(str(ref["precision_pct"][site]))
    return float(lsc.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class BmdChange:
    """Change in BMD at one site between two scans, judged against the least significant change."""

    site: str
    earlier_date: dt.date
    later_date: dt.date
    earlier_bmd_g_cm2: float
    later_bmd_g_cm2: float
    change_pct: float
    lsc_pct: float
    #: for a comparison over more than one interval: which earlier scan, and how many scans lie between
    note: str | None = None

    # ISCD: a change of at least the LSC is significant. Both are held to 0.01 %, so the comparison
    # is the one the reader sees.
    @property
    def significant_loss(self) -> bool:
        return -self.change_pct >= self.lsc_pct

    @property
    def significant_gain(self) -> bool:
        return self.change_pct >= self.lsc_pct


def bmd_change(earlier: DxaScan, later: DxaScan) -> BmdChange | None:
    """Percent change between two scans of one site; None if not comparable (ISCD).

    Comparable means both have BMD in g/cm² and, where both devices are recorded, the same
    manufacturer (g/cm² differ between manufacturers).
    """
    if earlier.site != later.site or earlier.bmd_g_cm2 is None or later.bmd_g_cm2 is None:
        return None
    if later.date <= earlier.date:
        return None
    fam_a, fam_b = _device_family(earlier.device), _device_family(later.device)
    if fam_a is not None and fam_b is not None and fam_a != fam_b:
        return None
    change = (later.bmd_g_cm2 - earlier.bmd_g_cm2) / earlier.bmd_g_cm2 * 100.0
    return BmdChange(later.site, earlier.date, later.date, earlier.bmd_g_cm2, later.bmd_g_cm2,
                     round(change, 2), least_significant_change_pct(later.site))


#: a scan up to this long after an aromatase inhibitor starts still counts as its baseline (osteotwin's
#: choice, no published source: little of the inhibitor's loss has accrued in its first 3 months)
THERAPY_BASELINE_AFTER_D = 90


def _long_term_changes(scans: list[DxaScan], ai_start: dt.date | None) -> tuple[BmdChange, ...]:
    """The latest scan against the earliest comparable one and against the scan at the start of the
    current aromatase inhibitor (the last before it started, else the first within
    ``THERAPY_BASELINE_AFTER_D`` after), where these are not the scan just before the latest.

    ISCD: the least significant change applies to any two scans of the same site on the same device,
    so losses made of steps each below it are still caught."""
    latest = scans[-1]
    # the unbroken run of comparable scans before the latest, walking back: a change of device
    # (or a scan that cannot be compared) ends it, so no comparison reaches across another maker
    earlier: list[DxaScan] = []
    for scan in reversed(scans[:-1]):
        if bmd_change(scan, latest) is None or (earlier and bmd_change(scan, earlier[0]) is None):
            break
        earlier.insert(0, scan)
    if len(earlier) < 2:
        return ()
    previous = earlier[-1]
    baselines: list[tuple[DxaScan, str]] = [(earlier[0], "the earliest comparable scan")]
    if ai_start is not None:
        before = [s for s in earlier if s.date <= ai_start]
        after = [s for s in earlier if ai_start < s.date
                 <= ai_start + dt.timedelta(days=THERAPY_BASELINE_AFTER_D)]
        start_scan = before[-1] if before else (after[0] if after else None)
        if start_scan is not None and start_scan is not earlier[0]:
            baselines.append((start_scan, "the scan at the start of the aromatase inhibitor"))
    changes: list[BmdChange] = []
    for scan, label in baselines:
        if scan is previous:
            continue
        change = bmd_change(scan, latest)
        assert change is not None
        steps = len(earlier) - earlier.index(scan)
        changes.append(BmdChange(
            change.site, change.earlier_date, change.later_date, change.earlier_bmd_g_cm2,
            change.later_bmd_g_cm2, change.change_pct, change.lsc_pct,
            f"cumulative, from {label} over {steps} scan intervals"))
    return tuple(changes)


@dataclass(frozen=True)
class SiteResult:
    """The latest scan at one site and its interpretation."""

    site: str
    date: dt.date
    bmd_g_cm2: float | None
    t_score: float | None
    t_score_source: str | None  # "reported" | "computed (NHANES III, Looker 1998)" | None
    z_score: float | None
    device: str | None
    score_used: ScoreKind | None
    score_value: float | None
    category: Category | None
    note: str | None
    change: BmdChange | None
    #: the latest scan against the earliest comparable one and the one at the start of the aromatase
    #: inhibitor (``_long_term_changes``)
    long_term_changes: tuple[BmdChange, ...] = ()


@dataclass(frozen=True)
class DensitometrySummary:
    """All sites, the score rule applied and the lowest classifying score."""

    choice: ScoreChoice
    sites: dict[str, SiteResult]
    category: Category | None
    lowest_site: str | None
    lowest_score: float | None
    last_scan_date: dt.date | None
    first_scan_date: dt.date | None

    @property
    def significant_losses(self) -> list[BmdChange]:
        """Per site, the loss since the previous scan when it reaches the least significant change;
        otherwise the cumulative losses (from the earliest comparable scan, or from the one at the
        start of the aromatase inhibitor) that reach it."""
        losses: list[BmdChange] = []
        for s in self.sites.values():
            if s.change is not None and s.change.significant_loss:
                losses.append(s.change)
            elif s.change is None or s.change.change_pct < s.change.lsc_pct:
                # a significant gain since the previous scan is the latest news: no cumulative loss
                losses.extend(c for c in s.long_term_changes if c.significant_loss)
        return losses


_ORDER: dict[Category, int] = {"normal": 0, "low_bone_mass": 1, "osteoporosis": 2}


def _site_result(scans: list[DxaScan], choice: ScoreChoice,
                 ai_start: dt.date | None = None) -> SiteResult:
    latest = scans[-1]
    t_score, t_source, note = latest.t_score, "reported" if latest.t_score is not None else None, None
    if t_score is None and latest.bmd_g_cm2 is not None:
        t_score = t_score_from_bmd(latest.bmd_g_cm2, latest.site, latest.device)
        if t_score is not None:
            t_source = "computed from g/cm² (NHANES III, Looker 1998)"
        else:
            note = "T-score not reported and not computable: " + no_reference_reason(
                latest.site, latest.device)
    used: ScoreKind | None = None
    value: float | None = None
    category: Category | None = None
    if choice.kind == "T" and t_score is not None:
        used, value, category = "T", t_score, who_category(t_score)
    elif choice.kind == "Z":
        if latest.z_score is not None:
            used, value, category = "Z", latest.z_score, z_category(latest.z_score)
        elif t_score is not None:
            used, value, category = "T", t_score, z_category(t_score)
            note = ("Z-score not reported: T-score judged against the Z-score cut-off (-2.0) as an "
                    "approximation; ask for the Z-score")
    if used is None and note is None:
        note = (f"no {choice.kind}-score reported for this scan ({choice.reason}); "
                "the site is not classified")
    change = None
    earlier = [s for s in scans[:-1] if s.bmd_g_cm2 is not None]
    if earlier:
        change = bmd_change(earlier[-1], latest)
    return SiteResult(latest.site, latest.date, latest.bmd_g_cm2, t_score, t_source, latest.z_score,
                      latest.device, used, value, category, note, change,
                      _long_term_changes(scans, ai_start))


def summarize(record: PatientRecord, as_of: dt.date,
              ai_start: dt.date | None = None) -> DensitometrySummary:
    """Interpret the latest scan per site (scans dated after ``as_of`` are ignored); ``ai_start``,
    the start of the current aromatase inhibitor, adds its baseline scan to the comparisons."""
    age = record.patient.age_on(as_of)
    choice = score_kind(record.patient.sex, age, record.patient.menopausal_status)
    sites: dict[str, SiteResult] = {}
    dates: list[dt.date] = []
    for site in SITES:
        scans = record.scans_for(site, on_or_before=as_of)
        if scans:
            sites[site] = _site_result(scans, choice, ai_start)
            dates.extend(s.date for s in scans)
    classified = [r for r in sites.values() if r.category is not None and r.score_value is not None]
    category: Category | None = None
    lowest_site: str | None = None
    lowest: float | None = None
    if classified:
        worst = min(classified, key=lambda r: (-_ORDER[r.category or "normal"], r.score_value or 0.0))
        category, lowest_site, lowest = worst.category, worst.site, worst.score_value
    return DensitometrySummary(choice, sites, category, lowest_site, lowest,
                               max(dates) if dates else None, min(dates) if dates else None)
