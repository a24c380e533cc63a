"""Safety screening before any exercise prescription (protocols.md §8.4), from the patient record.

A pure function of the record: bone status (DXA T-scores, fractures), falls, age, recorded conditions,
training setting and treatment give the gates the program generator obeys. Unknown (``None``) facts are
never read as "no" where that would allow riskier loading: with no DXA T-score on file, or with the
fracture or falls history not recorded, high-intensity lifting (LIFTMOR-type loading "only with
screening" [LIFTMOR] [HBA-2025]), heavy floor lifts and the higher impact steps are held back until the
fact is known, and the output says why [OSTEOTWIN].

Free-text ``history.conditions`` are read conservatively by keyword: cardiac disease ("myocardial
infarction", "heart attack", "heart failure", "angina", "coronary") and "uncontrolled" hypertension
hold back vigorous work until medical clearance [ACSM-PPS2015]; osteoarthritis or arthritis of a knee
or hip modifies impact [ESSA]. Every other recorded condition is listed as not assessed, with the advice
to get medical clearance before moderate-to-vigorous exercise [ACSM-PPS2015].
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osteotwin.records import PatientRecord

AROMATASE_INHIBITORS = frozenset({"anastrozole", "letrozole", "exemestane"})
OSTEOPOROSIS_T = -2.5  # WHO densitometric definition (T-score <= -2.5), used by TTFF14/ESSA
LOW_BONE_MASS_T = -1.0  # LIFTMOR inclusion: T-score < -1.0
OLDER_ADULT_AGE = 75.0  # [OSTEOTWIN] age from which the start is lower and progression slower
#: Age from which bone density screening is advised for women (USPSTF 2018; ISCD 2019 for men from
#: 70): with an unknown fracture or falls history, impact stays at heel drops from here [OSTEOTWIN]
BONE_SCREENING_AGE = 65.0
#: Words that mark a recorded condition as heart disease (ACSM pre-participation screening: known
#: cardiovascular disease needs medical clearance) [ACSM-PPS2015]. Matched in lower case, anywhere in the
#: text: a negated mention ("no angina") is still matched, which errs on the safe side [OSTEOTWIN].
CARDIAC_WORDS = ("myocardial infarction", "heart attack", "heart failure", "angina", "coronary")
#: Lower-limb joints whose osteoarthritis or arthritis modifies impact [ESSA] (protocols.md §8.4).
WEIGHT_BEARING_JOINT_WORDS = ("knee", "hip")


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
    #: bone status unknown: no DXA T-score on file and no fracture that marks bone as fragile
    bone_status_unknown: bool = False
    fracture_history_known: bool = True  # prior_fragility_fractures recorded (0 counts as known)
    falls_history_known: bool = True  # falls_last_12_months recorded
    #: any resistance, impact or weight-bearing aerobic training recorded (missing reads as none)
    currently_training: bool = True
    fracture_recorded: bool = False  # a prior fragility fracture or a vertebral fracture
    cardiac_conditions: tuple[str, ...] = ()  # recorded conditions read as heart disease
    uncontrolled_hypertension: tuple[str, ...] = ()  # recorded conditions read as such
    joint_conditions: tuple[str, ...] = ()  # knee or hip (osteo)arthritis
    unassessed_conditions: tuple[str, ...] = ()  # recorded conditions the screening cannot read
    #: why high-intensity lifting is left out (empty when eligible, or only for want of a gym)
    high_intensity_held_back: tuple[str, ...] = ()
    #: what the person already does, as recorded (None: not recorded)
    current_aerobic_minutes: float | None = None  # weight-bearing aerobic, min/week
    current_impact_sessions: float | None = None  # impact sessions a week

    @property
    def spine_restricted(self) -> bool:
        """Known vertebral fracture, or status unknown where bone mass is low or not known
        [TTFF15] [OSTEOTWIN]."""
        return self.vertebral_fracture is True or (
            self.vertebral_fracture is None and (self.low_bone_mass or self.bone_status_unknown))

    @property
    def possibly_low_bone_mass(self) -> bool:
        """Low bone mass, or bone status unknown (not read as normal) [OSTEOTWIN]."""
        return self.low_bone_mass or self.bone_status_unknown

    @property
    def impact_cap_reason(self) -> str:
        """Why impact is capped where it is, in words (the facts that set the cap)."""
        if self.impact_cap == "brisk_walking":
            return "vertebral or multiple low-trauma fractures: impact capped at brisk walking"
        if self.impact_cap == "low":
            why = [w for w, yes in (
                ("a fall in the last 12 months", self.falls_risk),
                (f"age {self.age_years:.0f}", self.older_adult),
                ("fracture history not recorded", not self.fracture_history_known),
                ("falls history not recorded", not self.falls_history_known),
                (f"knee or hip arthritis ({', '.join(self.joint_conditions)})",
                 bool(self.joint_conditions)),
            ) if yes]
            return "low impact (heel drops) only: " + "; ".join(why)
        if self.impact_cap == "moderate":
            why = [w for w, yes in (
                ("osteoporosis or fragility fracture", self.osteoporosis),
                ("no DXA on file", self.bone_status_unknown),
                ("fracture history not recorded", not self.fracture_history_known),
                ("falls history not recorded", not self.falls_history_known),
                ("high-intensity, supervised bar work not cleared or no gym",
                 not self.high_intensity_eligible),
            ) if yes]
            return "moderate impact only: " + "; ".join(why)
        return "no chin-up bar in this setting"

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


def read_conditions(conditions: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Recorded free-text conditions sorted by what the screening can read from them: ``cardiac``,
    ``uncontrolled_hypertension``, ``joint`` (knee or hip arthritis) and ``unassessed`` (the rest).
    Keyword matching in lower case, erring towards a match [OSTEOTWIN]."""
    out: dict[str, list[str]] = {"cardiac": [], "uncontrolled_hypertension": [], "joint": [],
                                 "unassessed": []}
    for text in conditions:
        name = " ".join(text.split())
        low = name.lower()
        if not low:
            continue
        matched = False
        if any(word in low for word in CARDIAC_WORDS):
            out["cardiac"].append(name)
            matched = True
        if "uncontrolled" in low and ("hypertension" in low or "blood pressure" in low):
            out["uncontrolled_hypertension"].append(name)
            matched = True
        if "arthritis" in low and any(word in low for word in WEIGHT_BEARING_JOINT_WORDS):
            out["joint"].append(name)
            matched = True
        if not matched:
            out["unassessed"].append(name)
    return {key: tuple(values) for key, values in out.items()}


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def screen(record: PatientRecord, as_of: dt.date) -> Screening:
    """Screen a person for bone-loading exercise."""
    h, life = record.history, record.lifestyle
    age = record.patient.age_on(as_of)
    t_min = lowest_t_score(record, as_of)
    fractures_known = h.prior_fragility_fractures is not None
    falls_known = h.falls_last_12_months is not None
    fractures = h.prior_fragility_fractures or 0
    vf = h.vertebral_fracture
    fracture_recorded = fractures >= 1 or vf is True
    osteoporosis = (t_min is not None and t_min <= OSTEOPOROSIS_T) or fracture_recorded
    low_mass = osteoporosis or (t_min is not None and t_min < LOW_BONE_MASS_T)
    # no T-score on file and no fracture that already marks bone as fragile: bone status unknown,
    # which is not read as normal bone [OSTEOTWIN]
    bone_unknown = t_min is None and not osteoporosis
    multiple = fractures >= 2
    falls = (h.falls_last_12_months or 0) >= 1
    older = age >= OLDER_ADULT_AGE
    setting = life.training_setting or "bodyweight_only"
    novice = not life.resistance_sessions_per_week or life.resistance_intensity in (None, "light")
    training = any((x or 0) > 0 for x in (life.resistance_sessions_per_week, life.impact_sessions_per_week,
                                          life.weight_bearing_aerobic_minutes_per_week))
    conditions = read_conditions(h.conditions)
    cardiac, hypertension = conditions["cardiac"], conditions["uncontrolled_hypertension"]
    joints, unassessed = conditions["joint"], conditions["unassessed"]
    flags: list[SafetyFlag] = []

    def flag(code: str, severity: str, message: str, *sources: str) -> None:
        flags.append(SafetyFlag(code, severity, message, sources))

    if life.training_setting is None:
        flag("TRAINING_SETTING_UNKNOWN", "info", "training setting not recorded: the program assumes "
             "body weight only (no equipment)", "OSTEOTWIN")
    if bone_unknown:
        flag("BONE_DENSITY_UNKNOWN", "caution",
             "no DXA on file: high-intensity loading waits for a bone density result (high-intensity "
             "loading only with screening: protocols.md §8.4); until then unknown bone density is not "
             "read as normal: no heavy lifts from the floor, no drop landings, and spine-sparing "
             "technique as for low bone mass", "LIFTMOR", "HBA-2025", "ESSA", "OSTEOTWIN")
    if not fractures_known:
        flag("FRACTURE_HISTORY_UNKNOWN", "caution",
             "fracture history not recorded (number of low-trauma fractures since age 50): it is not "
             "read as none; high-intensity loading and drop landings wait for it (heel drops only "
             "where bone is already at risk: an aromatase inhibitor, low bone mass or age 65 and "
             "over), because two or more low-trauma fractures would cap impact at brisk walking",
             "UK22", "LIFTMOR", "HBA-2025", "OSTEOTWIN")
    if not falls_known:
        flag("FALLS_HISTORY_UNKNOWN", "caution",
             "falls in the last 12 months not recorded: it is not read as none; high-intensity "
             "loading and drop landings wait for it (heel drops only where bone is already at risk), "
             "because a fall calls for strength and balance training before impact", "UK22",
             "LIFTMOR", "HBA-2025", "OSTEOTWIN")
    if vf is True:
        flag("VERTEBRAL_FRACTURE", "restriction",
             "vertebral fracture: consult a physiotherapist before starting; no heavy axial loading "
             "(barbell squat, deadlift, overhead press, loaded carries) without their clearance; impact "
             "capped at brisk walking; aerobic work moderate, not vigorous; alignment before intensity",
             "TTFF14", "TTFF15", "UK22")
    elif vf is None and (low_mass or bone_unknown):
        why = "with low bone mass" if low_mass else "and no DXA on file"
        flag("VERTEBRAL_FRACTURE_UNKNOWN", "caution",
             f"vertebral fracture status not recorded {why}: heavy axial loading (barbell squat, "
             "deadlift, overhead press, loaded carries) waits until spine imaging or a clinician "
             "rules a fracture out", "TTFF15", "OSTEOTWIN")
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
    if cardiac:
        when = ("before vigorous exercise (moderate exercise already done may continue)" if training
                else "before starting any exercise, then light to moderate intensity, progressing "
                     "gradually")
        flag("CARDIAC_CONDITION", "restriction",
             f"recorded heart condition ({_quoted(cardiac)}): medical clearance {when}; until a "
             "clinician clears it, aerobic work stays moderate and high-intensity lifts are left out; "
             "stop and seek care for chest pain, unusual breathlessness, dizziness or palpitations",
             "ACSM-PPS2015")
    if hypertension:
        flag("UNCONTROLLED_HYPERTENSION", "restriction",
             f"recorded {_quoted(hypertension)}: medical clearance before exercise; until blood "
             "pressure is controlled and a clinician clears it, aerobic work stays moderate and "
             "high-intensity lifts (heavy, breath-holding efforts) are left out",
             "ACSM-PPS2015", "OSTEOTWIN")
    if joints:
        flag("LOWER_LIMB_ARTHRITIS", "caution",
             f"recorded {_quoted(joints)}: impact modified to heel drops at most (no jumps or jogging); "
             "skip an impact drill that provokes joint pain and ask a physiotherapist whether to remove "
             "impact altogether", "ESSA")
    if unassessed:
        flag("CONDITIONS_NOT_ASSESSED", "caution",
             f"recorded condition{'s' if len(unassessed) > 1 else ''} this screening does not assess: "
             f"{_quoted(unassessed)}; ask the clinician for medical clearance before moderate-to-vigorous "
             "exercise (known cardiovascular, metabolic or renal disease needs it); high-intensity "
             "lifts wait for that clearance", "ACSM-PPS2015", "OSTEOTWIN")

    held_back = [reason for reason, yes in (
        ("vertebral fracture: heavier loading only with the physiotherapist's clearance", vf is True),
        ("vertebral fracture status not recorded: until spine imaging or a clinician rules a fracture "
         "out", vf is None and (low_mass or bone_unknown)),
        ("two or more low-trauma fractures", multiple),
        (f"age {age:.0f} with a fall in the last 12 months", older and falls),
        ("no DXA on file: until a bone density result", bone_unknown),
        ("fracture history not recorded", not fractures_known),
        ("falls in the last 12 months not recorded", not falls_known),
        (f"recorded {_quoted(cardiac + hypertension)}: until medical clearance", bool(cardiac or hypertension)),
        (f"recorded {_quoted(unassessed)}: until medical clearance", bool(unassessed)),
    ) if yes]
    eligible = setting == "gym" and not held_back
    if eligible:
        flag("SUPERVISION_HIGH_INTENSITY", "restriction",
             "high-intensity lifts (5 × 5 at 80-85 % 1RM) only after familiarisation and under "
             "qualified supervision (exercise physiologist or physiotherapist); the barbell squat and "
             "deadlift that lead up to them are supervised too", "LIFTMOR", "HBA-2025")
    elif setting == "gym":
        flag("HIGH_INTENSITY_DEFERRED", "info",
             "high-intensity lifts (5 × 5 at 80-85 % 1RM) are left out: " + "; ".join(held_back)
             + " (high-intensity loading only with screening, familiarisation and qualified "
             "supervision: protocols.md §8.4)", "LIFTMOR", "HBA-2025", "TTFF15", "OSTEOTWIN")
    if osteoporosis or older or falls or vf is True:
        flag("SUPERVISION_RECOMMENDED", "caution",
             "given skeletal fragility, falls or age, have the program individualised and supervised by "
             "a clinical exercise physiologist or physiotherapist", "HBA-2025", "TTFF14")

    # unknown fracture or falls history: no drop landings until it is recorded, and only heel drops
    # where bone is already at risk (an aromatase inhibitor, low bone mass, or age 65 and over,
    # when BMD screening starts: USPSTF 2018 / ISCD) [OSTEOTWIN]
    history_unknown = not fractures_known or not falls_known
    on_ai = any(m.drug in AROMATASE_INHIBITORS for m in record.active_medications(as_of))
    bone_at_risk = low_mass or age >= BONE_SCREENING_AGE or on_ai
    if vf is True or multiple:
        impact = "brisk_walking"
    elif falls or older or joints or (history_unknown and bone_at_risk):
        impact = "low"
    elif osteoporosis or not eligible or history_unknown:
        impact = "moderate"
    else:
        impact = "high"

    if record.history.breast_cancer or record.history.prostate_cancer:
        flag("BONE_METASTASES_CHECK", "caution",
             "cancer history: known or suspected bone metastases need individual assessment by an "
             "oncology-informed professional before loading", "IBMEWG")
    if on_ai and record.history.breast_cancer is True:
        # HOPE enrolled women with breast cancer on an AI: shown only to that population
        flag("AI_ARTHRALGIA", "info",
             "joint pain from the aromatase inhibitor is not a reason to stop exercising: in women "
             "with breast cancer on an aromatase inhibitor (HOPE trial), aerobic plus supervised "
             "strength training reduced it; whether to change the medicine is for the oncologist",
             "HOPE")
    if on_ai:
        flag("EVIDENCE_GAP_AROMATASE_INHIBITOR", "info",
             "no bone-loading trial in people taking an aromatase inhibitor was found: LIFTMOR excluded "
             "bone-active medicines and LIFTMOR-M stratified men by osteoporosis medicine, so the bone "
             "gains expected from this program are extrapolated (protocols.md, Gaps)",
             "LIFTMOR", "LIFTMOR-M")
    flag("CALCIUM_VITAMIN_D", "info", "exercise works alongside adequate calcium and vitamin D (see the "
         "nutrition plan)", "ESSA")

    return Screening(
        age_years=age, lowest_t_score=t_min, osteoporosis=osteoporosis, low_bone_mass=low_mass,
        vertebral_fracture=vf, multiple_low_trauma_fractures=multiple, falls_risk=falls,
        older_adult=older, training_setting=setting, novice=novice, high_intensity_eligible=eligible,
        floor_lifts_allowed=eligible and not osteoporosis, impact_cap=impact,
        vigorous_aerobic_allowed=vf is not True and not (cardiac or hypertension), flags=tuple(flags),
        bone_status_unknown=bone_unknown, fracture_history_known=fractures_known,
        falls_history_known=falls_known, currently_training=training, fracture_recorded=fracture_recorded,
        current_aerobic_minutes=life.weight_bearing_aerobic_minutes_per_week,
        current_impact_sessions=life.impact_sessions_per_week,
        cardiac_conditions=cardiac, uncontrolled_hypertension=hypertension, joint_conditions=joints,
        unassessed_conditions=unassessed, high_intensity_held_back=tuple(held_back),
    )
