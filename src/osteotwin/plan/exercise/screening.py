"""Safety screening before any exercise prescription (protocols.md §8.4), from the patient record.

A pure function of the record: bone status (DXA T-scores, fractures), falls, age, training setting and
treatment give the gates the program generator obeys. Unknown (``None``) facts are never read as "no"
where that would allow riskier loading.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osteotwin.records import PatientRecord

AROMATASE_INHIBITORS = frozenset({"anastrozole", "letrozole", "exemestane"})
OSTEOPOROSIS_T = -2.5  # WHO densitometric definition (T-score <= -2.5), used by TTFF14/ESSA
LOW_BONE_MASS_T = -1.0  # LIFTMOR inclusion: T-score < -1.0
OLDER_ADULT_AGE = 75.0  # [OSTEOTWIN] age from which the start is lower and progression slower


@dataclass(frozen=True)
class SafetyFlag:
    code: str
    severity: str  # "restriction" | "caution" | "info"
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Screening:
    age_years: float
    lowest_t_score: float | None
    osteoporosis: bool  # T <= -2.5 or a fragility/vertebral fracture ("fragile bone")
    low_bone_mass: bool  # T < -1.0 (osteopenia or worse) or fragile bone
    vertebral_fracture: bool | None
    multiple_low_trauma_fractures: bool
    falls_risk: bool
    older_adult: bool
    training_setting: str
    novice: bool
    high_intensity_eligible: bool  # LIFTMOR-type 5x5 at 80-85 % 1RM (supervised)
    floor_lifts_allowed: bool  # heavy lifts from the floor (deadlift) without restriction
    impact_cap: str  # "brisk_walking" | "low" | "moderate" | "high"
    vigorous_aerobic_allowed: bool
    flags: tuple[SafetyFlag, ...]

    @property
    def spine_restricted(self) -> bool:
        """Known vertebral fracture, or status unknown where bone mass is low [TTFF15] [OSTEOTWIN]."""
        return self.vertebral_fracture is True or (self.vertebral_fracture is None and self.low_bone_mass)

    @property
    def supervision_required(self) -> bool:
        return any(f.code.startswith("SUPERVISION") for f in self.flags)


def lowest_t_score(record: PatientRecord, as_of: dt.date) -> float | None:
    """Lowest T-score among the latest scan of each site on or before ``as_of``."""
    latest: list[float] = []
    for site in ("lumbar_spine", "total_hip", "femoral_neck"):
        scans = [s for s in record.scans_for(site, on_or_before=as_of) if s.t_score is not None]
        if scans:
            t = scans[-1].t_score
            assert t is not None
            latest.append(t)
    return min(latest) if latest else None


def screen(record: PatientRecord, as_of: dt.date) -> Screening:
    """Screen a person for bone-loading exercise."""
    h, life = record.history, record.lifestyle
    age = record.patient.age_on(as_of)
    t_min = lowest_t_score(record, as_of)
    fractures = h.prior_fragility_fractures or 0
    vf = h.vertebral_fracture
    osteoporosis = (t_min is not None and t_min <= OSTEOPOROSIS_T) or fractures >= 1 or vf is True
    low_mass = osteoporosis or (t_min is not None and t_min < LOW_BONE_MASS_T)
    multiple = fractures >= 2
    falls = (h.falls_last_12_months or 0) >= 1
    older = age >= OLDER_ADULT_AGE
    setting = life.training_setting or "bodyweight_only"
    novice = not life.resistance_sessions_per_week or life.resistance_intensity in (None, "light")
    flags: list[SafetyFlag] = []

    def flag(code: str, severity: str, message: str, *sources: str) -> None:
        flags.append(SafetyFlag(code, severity, message, sources))

    if life.training_setting is None:
        flag("TRAINING_SETTING_UNKNOWN", "info", "training setting not recorded: the program assumes "
             "body weight only (no equipment)", "OSTEOTWIN")
    if vf is True:
        flag("VERTEBRAL_FRACTURE", "restriction",
             "vertebral fracture: consult a physiotherapist before starting; no heavy axial loading "
             "(barbell squat, deadlift, overhead press, loaded carries) without their clearance; impact "
             "capped at brisk walking; aerobic work moderate, not vigorous; alignment before intensity",
             "TTFF14", "TTFF15", "UK22")
    elif vf is None and low_mass:
        flag("VERTEBRAL_FRACTURE_UNKNOWN", "caution",
             "vertebral fracture status not recorded in a person with low bone mass: high-intensity "
             "loading waits until spine imaging or a clinician rules a fracture out", "TTFF15", "OSTEOTWIN")
    if multiple:
        flag("MULTIPLE_LOW_TRAUMA_FRACTURES", "restriction",
             "two or more low-trauma fractures: impact capped at brisk walking", "UK22")
    if osteoporosis:
        flag("OSTEOPOROSIS_SPINE_SPARING", "restriction",
             "osteoporosis or fragility fracture: no loaded spinal flexion (sit-ups, crunches, loaded "
             "toe-touches) or loaded twisting; no heavy lifts to or from the floor without qualified "
             "supervision (lift from knee height instead)", "ESSA", "TTFF15", "UK22")
    elif low_mass:
        flag("LOW_BONE_MASS_SPINE_SPARING", "caution",
             "low bone mass: avoid loaded, rapid or end-range spinal flexion and twisting", "ESSA", "UK22")
    if falls:
        flag("FALLS_RISK", "restriction",
             "fall in the last 12 months: start with targeted strength and balance before impact; keep a "
             "support within reach for balance and single-leg work", "UK22", "TTFF14")
    if older:
        flag("OLDER_ADULT", "caution",
             f"age {age:.0f}: start at a lower intensity and progress under supervision", "TTFF14",
             "HBA-2025", "OSTEOTWIN")
    if novice:
        flag("NOVICE", "info", "little or no recent resistance training: four weeks of technique "
             "(familiarisation) before loads rise", "LIFTMOR", "TTFF14", "UK22")

    spine_clear = vf is False or (vf is None and not low_mass)
    eligible = setting == "gym" and spine_clear and not multiple and not (older and falls)
    if eligible:
        flag("SUPERVISION_HIGH_INTENSITY", "restriction",
             "high-intensity lifts (5 × 5 at 80-85 % 1RM) only after familiarisation and under "
             "qualified supervision (exercise physiologist or physiotherapist)", "LIFTMOR", "HBA-2025")
    elif setting == "gym" and not spine_clear and not multiple:
        flag("HIGH_INTENSITY_DEFERRED", "info",
             "high-intensity lifts are left out until vertebral fracture status is known and a "
             "physiotherapist clears them", "TTFF15", "OSTEOTWIN")
    if osteoporosis or older or falls or vf is True:
        flag("SUPERVISION_RECOMMENDED", "caution",
             "given skeletal fragility, falls or age, have the program individualised and supervised by "
             "a clinical exercise physiologist or physiotherapist", "HBA-2025", "TTFF14")

    if vf is True or multiple:
        impact = "brisk_walking"
    elif falls or older:
        impact = "low"
    elif osteoporosis or not eligible:
        impact = "moderate"
    else:
        impact = "high"

    if record.history.breast_cancer or record.history.prostate_cancer:
        flag("BONE_METASTASES_CHECK", "caution",
             "cancer history: known or suspected bone metastases need individual assessment by an "
             "oncology-informed professional before loading", "IBMEWG")
    on_ai = any(m.drug in AROMATASE_INHIBITORS for m in record.active_medications(as_of))
    if on_ai and record.history.breast_cancer is True:
        # HOPE enrolled women with breast cancer on an AI: shown only to that population
        flag("AI_ARTHRALGIA", "info",
             "joint pain from the aromatase inhibitor is not a reason to stop exercising: in women "
             "with breast cancer on an aromatase inhibitor (HOPE trial), aerobic plus supervised "
             "strength training reduced it; whether to change the medicine is for the oncologist",
             "HOPE")
    flag("CALCIUM_VITAMIN_D", "info", "exercise works alongside adequate calcium and vitamin D (see the "
         "nutrition plan)", "ESSA")

    return Screening(
        age_years=age, lowest_t_score=t_min, osteoporosis=osteoporosis, low_bone_mass=low_mass,
        vertebral_fracture=vf, multiple_low_trauma_fractures=multiple, falls_risk=falls,
        older_adult=older, training_setting=setting, novice=novice, high_intensity_eligible=eligible,
        floor_lifts_allowed=eligible and not osteoporosis, impact_cap=impact,
        vigorous_aerobic_allowed=vf is not True, flags=tuple(flags),
    )
