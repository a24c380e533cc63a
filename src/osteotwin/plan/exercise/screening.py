"""Safety screening before any exercise prescription (protocols.md §8.4), from the patient record.

A pure function of the record: bone status (DXA, fractures), falls, age, recorded conditions,
training setting and treatment give the gates the program generator obeys. The DXA is classified by the
assessment's own densitometry (``osteotwin.clinic.densitometry.summarize``: ISCD's choice of T-score or
Z-score, WHO categories), so the plan and ``osteotwin assess`` name one bone category: a premenopausal
woman, or a man under 50, is judged by the Z-score, not the T-score (ISCD 2019 official positions).

Denosumab stopped with no bisphosphonate since: bone turnover rebounds once the last injection's effect
wears off (about 6 months after it), bone density falls back within a year, and multiple vertebral
fractures occur in the months that follow [CUMMINGS2018] [ECTS2021]; the screen treats bone as at risk
from the stop until ``clinic.follow_on.DENOSUMAB_REBOUND_D`` after the effect wears off (impact at heel drops, no
high-intensity lifts, spine-sparing as for low bone mass), unless a bisphosphonate has been given since
[OSTEOTWIN]; the window is the assessment's (``clinic.follow_on.denosumab_stop``).

Unknown (``None``) facts are never read as "no" where that would allow riskier loading: with no DXA T-score on file, or with the
fracture or falls history not recorded, high-intensity lifting (LIFTMOR-type loading "only with
screening" [LIFTMOR] [HBA-2025]), heavy floor lifts and the higher impact steps are held back until the
fact is known, and the output says why [OSTEOTWIN].

Free-text ``history.conditions`` are read conservatively by keyword (``plan.exercise.conditions``):
known cardiovascular, metabolic (type 1 or 2 diabetes) or renal disease and "uncontrolled"
hypertension hold back vigorous work until medical clearance [ACSM-PPS2015]; osteoarthritis or
arthritis of a knee or hip modifies impact [ESSA]. An endocrine condition other than diabetes
(hypogonadism, hypothyroidism), which ACSM's screening does not name, needs no clearance and is said
so [ACSM-PPS2015]. Every other recorded condition is listed as not assessed, with the advice to get
medical clearance before moderate-to-vigorous exercise [ACSM-PPS2015] [OSTEOTWIN].
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osteotwin.clinic.densitometry import summarize
from osteotwin.clinic.follow_on import denosumab_stop
from osteotwin.plan.exercise.conditions import read_conditions
from osteotwin.records import PatientRecord

AROMATASE_INHIBITORS = frozenset({"anastrozole", "letrozole", "exemestane"})
OLDER_ADULT_AGE = 75.0  # [OSTEOTWIN] age from which the start is lower and progression slower
#: Age from which bone density screening is advised for women (USPSTF 2018; ISCD 2019 for men from
#: 70): with an unknown fracture or falls history, impact stays at heel drops from here [OSTEOTWIN]
BONE_SCREENING_AGE = 65.0


@dataclass(frozen=True)
class SafetyFlag:
    code: str
    severity: str  # "restriction" | "caution" | "info"
    message: str
    sources: tuple[str, ...]
    #: evidence grade where the sources' own would overstate it (a gap the sources show);
    #: None: graded from the sources (``plan.sources.evidence_grade``)
    grade: str | None = None


@dataclass(frozen=True)
class Screening:
    age_years: float
    lowest_t_score: float | None
    #: the assessment's densitometry says osteoporosis (T <= -2.5 where the T-score applies), or a
    #: fragility/vertebral fracture ("fragile bone")
    osteoporosis: bool
    #: the assessment's densitometry says low bone mass (T < -1.0, or Z <= -2.0 where the Z-score
    #: applies: ISCD) or worse, or fragile bone
    low_bone_mass: bool
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
    #: how the missing bone status reads: "no DXA on file", or a scan without a category
    no_dxa_words: str = "no DXA on file"
    fracture_history_known: bool = True  # prior_fragility_fractures recorded (0 counts as known)
    falls_history_known: bool = True  # falls_last_12_months recorded
    #: any resistance, impact or weight-bearing aerobic training recorded (missing reads as none)
    currently_training: bool = True
    fracture_recorded: bool = False  # a prior fragility fracture or a vertebral fracture
    cardiac_conditions: tuple[str, ...] = ()  # recorded conditions read as heart disease
    uncontrolled_hypertension: tuple[str, ...] = ()  # recorded conditions read as such
    #: recorded conditions read as type 1 or 2 diabetes or chronic kidney disease [ACSM-PPS2015]
    metabolic_renal_conditions: tuple[str, ...] = ()
    #: recorded conditions read as needing no medical clearance: an endocrine condition other than
    #: diabetes, or a denied heart, metabolic or renal disease [ACSM-PPS2015]
    no_clearance_conditions: tuple[str, ...] = ()
    joint_conditions: tuple[str, ...] = ()  # knee or hip (osteo)arthritis or joint pain
    bone_metastases: tuple[str, ...] = ()  # recorded conditions read as bone metastases
    unassessed_conditions: tuple[str, ...] = ()  # recorded conditions the screening cannot read
    #: why high-intensity lifting is left out (empty when eligible, or only for want of a gym)
    high_intensity_held_back: tuple[str, ...] = ()
    #: what the person already does, as recorded (None: not recorded)
    current_aerobic_minutes: float | None = None  # weight-bearing aerobic, min/week
    current_impact_sessions: float | None = None  # impact sessions a week
    #: the assessment's densitometry: category ("normal" | "low_bone_mass" | "osteoporosis" | None),
    #: the score it was judged by ("T" | "Z") and why (ISCD)
    bmd_category: str | None = None
    bmd_score_kind: str | None = None
    bmd_score_reason: str = ""
    #: denosumab stopped with no bisphosphonate since, in the rebound window: why, in words (None: not)
    denosumab_rebound: str | None = None

    @property
    def bone_at_risk(self) -> bool:
        """Low bone mass, or bone at risk of rebound loss after denosumab was stopped [CUMMINGS2018]."""
        return self.low_bone_mass or self.denosumab_rebound is not None

    @property
    def spine_sparing_reasons(self) -> tuple[str, ...]:
        """Why loaded spinal flexion and twisting are avoided (empty: not restricted)."""
        return tuple(reason for reason, yes in (
            ("vertebral fracture", self.vertebral_fracture is True),
            ("osteoporosis or fragility fracture", self.osteoporosis),
            ("low bone mass", self.low_bone_mass and not self.osteoporosis),
            (self.no_dxa_words, self.bone_status_unknown),
            (self.denosumab_rebound or "", self.denosumab_rebound is not None),
            ("bone metastases", bool(self.bone_metastases)),
        ) if yes)

    @property
    def spine_restricted(self) -> bool:
        """Known vertebral fracture, or status unknown where bone mass is low or not known
        [TTFF15] [OSTEOTWIN]."""
        return self.vertebral_fracture is True or bool(self.bone_metastases) or (
            self.vertebral_fracture is None and (self.bone_at_risk or self.bone_status_unknown))

    @property
    def possibly_low_bone_mass(self) -> bool:
        """Low bone mass, bone at risk after denosumab was stopped, or bone status unknown (not read as
        normal) [OSTEOTWIN]."""
        return self.bone_at_risk or self.bone_status_unknown

    @property
    def impact_cap_reason(self) -> str:
        """Why impact is capped where it is, in words (the facts that set the cap)."""
        if self.impact_cap == "brisk_walking":
            if self.bone_metastases:
                return ("bone metastases recorded: impact capped at brisk walking until an "
                        "oncology-informed professional has assessed them")
            return "vertebral or multiple low-trauma fractures: impact capped at brisk walking"
        if self.impact_cap == "low":
            why = [w for w, yes in (
                ("a fall in the last 12 months", self.falls_risk),
                (f"age {self.age_years:.0f}", self.older_adult),
                ("fracture history not recorded", not self.fracture_history_known),
                ("falls history not recorded", not self.falls_history_known),
                (f"knee or hip arthritis or joint pain ({', '.join(self.joint_conditions)})",
                 bool(self.joint_conditions)),
                (self.denosumab_rebound or "", self.denosumab_rebound is not None),
            ) if yes]
            return "low impact (heel drops) only: " + "; ".join(why)
        if self.impact_cap == "moderate":
            why = [w for w, yes in (
                ("osteoporosis or fragility fracture", self.osteoporosis),
                (self.no_dxa_words, self.bone_status_unknown),
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


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def screen(record: PatientRecord, as_of: dt.date) -> Screening:
    """Screen a person for bone-loading exercise."""
    h, life = record.history, record.lifestyle
    age = record.patient.age_on(as_of)
    t_min = lowest_t_score(record, as_of)
    # the assessment's densitometry (ISCD: T-score or Z-score by sex, age and menopausal status; WHO
    # categories), so that the plan names the bone category the assessment names
    dxa = summarize(record, as_of)
    fractures_known = h.prior_fragility_fractures is not None
    falls_known = h.falls_last_12_months is not None
    fractures = h.prior_fragility_fractures or 0
    vf = h.vertebral_fracture
    fracture_recorded = fractures >= 1 or vf is True
    osteoporosis = dxa.category == "osteoporosis" or fracture_recorded
    low_mass = osteoporosis or dxa.category == "low_bone_mass"
    # no classified DXA on file and no fracture that already marks bone as fragile: bone status
    # unknown, which is not read as normal bone [OSTEOTWIN]
    bone_unknown = dxa.category is None and not osteoporosis
    # a scan on file that gives no category (no T- or Z-score, nor a reference for its BMD) is not
    # "no DXA": said as it is
    no_dxa = ("no DXA result on file that gives a bone category (no T- or Z-score)"
              if any(record.scans_for(site, on_or_before=as_of)
                     for site in ("lumbar_spine", "total_hip", "femoral_neck"))
              else "no DXA on file")
    dmab = denosumab_stop(record, as_of)
    rebound = dmab.reason(as_of) if dmab is not None else None
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
    metabolic_renal, no_clearance = conditions["metabolic_or_renal"], conditions["no_clearance"]
    # ACSM 2015: with known disease, one who already exercises may go on at moderate intensity and
    # needs clearance before vigorous work; one who does not needs it before starting [ACSM-PPS2015]
    clearance_when = ("before vigorous exercise (moderate exercise already done may continue)" if training
                      else "before starting any exercise, then light to moderate intensity, progressing "
                           "gradually")
    metastases = conditions["bone_metastases"]
    flags: list[SafetyFlag] = []

    def flag(code: str, severity: str, message: str, *sources: str, grade: str | None = None) -> None:
        flags.append(SafetyFlag(code, severity, message, sources, grade))

    if life.training_setting is None:
        flag("TRAINING_SETTING_UNKNOWN", "info", "training setting not recorded: the program assumes "
             "body weight only (no equipment)", "OSTEOTWIN")
    if bone_unknown:
        flag("BONE_DENSITY_UNKNOWN", "caution",
             f"{no_dxa}: high-intensity loading waits for a bone density result (high-intensity "
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
    elif vf is None and (low_mass or bone_unknown or rebound):
        why = ("with low bone mass" if low_mass else f"and {no_dxa}" if bone_unknown
               else "after denosumab was stopped")
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
    if dmab is not None:
        flag("DENOSUMAB_STOPPED_REBOUND", "restriction",
             f"{rebound}. After denosumab is stopped, bone turnover rises above its pre-treatment "
             "level once the last injection's effect wears off, bone density falls back within about a "
             "year, and multiple vertebral fractures have occurred in the months after; a "
             "bisphosphonate to follow the stop is the clinician's decision. Until then: impact at heel "
             "drops only, no high-intensity lifts, no loaded spinal flexion (sit-ups, crunches) or "
             "loaded twisting, no heavy lifts from the floor; a fall or a new back pain is reported to "
             "the clinician", "CUMMINGS2018", "ECTS2021", "TTFF15", "OSTEOTWIN")
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
        flag("CARDIAC_CONDITION", "restriction",
             f"recorded heart condition ({_quoted(cardiac)}): medical clearance {clearance_when}; until a "
             "clinician clears it, aerobic work stays moderate and high-intensity lifts are left out; "
             "stop and seek care for chest pain, unusual breathlessness, dizziness or palpitations",
             "ACSM-PPS2015")
    if hypertension:
        flag("UNCONTROLLED_HYPERTENSION", "restriction",
             f"recorded {_quoted(hypertension)}: medical clearance before exercise; until blood "
             "pressure is controlled and a clinician clears it, aerobic work stays moderate and "
             "high-intensity lifts (heavy, breath-holding efforts) are left out",
             "ACSM-PPS2015", "OSTEOTWIN")
    if metabolic_renal:
        flag("METABOLIC_OR_RENAL_DISEASE", "restriction",
             f"recorded metabolic or renal disease ({_quoted(metabolic_renal)}): known diabetes or kidney "
             f"disease needs medical clearance {clearance_when}; until a clinician clears it, aerobic "
             "work stays moderate and high-intensity lifts are left out; stop and seek care for chest "
             "pain, unusual breathlessness, dizziness or palpitations", "ACSM-PPS2015")
    if no_clearance:
        flag("CONDITIONS_NO_CLEARANCE_NEEDED", "info",
             f"recorded {_quoted(no_clearance)}: not a cardiovascular, metabolic (type 1 or 2 diabetes) "
             "or renal disease, which with their signs or symptoms are what ACSM's pre-participation "
             "screening asks medical clearance for; this needs none, and the program follows the bone, "
             "falls and training facts. New chest pain, unusual breathlessness, dizziness or "
             "palpitations are a reason to stop and see the clinician", "ACSM-PPS2015", "OSTEOTWIN")
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
         "out", vf is None and (low_mass or bone_unknown or rebound is not None)),
        (dmab.hold_back() if dmab is not None else "", dmab is not None),
        ("two or more low-trauma fractures", multiple),
        (f"age {age:.0f} with a fall in the last 12 months", older and falls),
        (f"{no_dxa}: until a bone density result", bone_unknown),
        ("fracture history not recorded", not fractures_known),
        ("falls in the last 12 months not recorded", not falls_known),
        (f"recorded {_quoted(cardiac + hypertension + metabolic_renal)}: until medical clearance",
         bool(cardiac or hypertension or metabolic_renal)),
        (f"recorded {_quoted(metastases)}: loading is planned with an oncology-informed professional",
         bool(metastases)),
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
    if osteoporosis or older or falls or vf is True or rebound is not None:
        flag("SUPERVISION_RECOMMENDED", "caution",
             "given skeletal fragility, falls or age, have the program individualised and supervised by "
             "a clinical exercise physiologist or physiotherapist", "HBA-2025", "TTFF14")

    # unknown fracture or falls history: no drop landings until it is recorded, and only heel drops
    # where bone is already at risk (an aromatase inhibitor, low bone mass, or age 65 and over,
    # when BMD screening starts: USPSTF 2018 / ISCD) [OSTEOTWIN]
    history_unknown = not fractures_known or not falls_known
    on_ai = any(m.drug in AROMATASE_INHIBITORS for m in record.active_medications(as_of))
    bone_at_risk = low_mass or age >= BONE_SCREENING_AGE or on_ai or rebound is not None
    if vf is True or multiple or metastases:
        impact = "brisk_walking"
    elif falls or older or joints or (history_unknown and bone_at_risk) or rebound is not None:
        # after denosumab is stopped: heel drops only through the rebound window [CUMMINGS2018]
        # [ECTS2021] [OSTEOTWIN]
        impact = "low"
    elif osteoporosis or not eligible or history_unknown:
        impact = "moderate"
    else:
        impact = "high"

    if metastases:
        flag("BONE_METASTASES", "restriction",
             f"bone metastases recorded ({_quoted(metastases)}): no impact and no heavy or high-intensity "
             "loading from this program; an oncology-informed professional assesses the lesions and "
             "individualises the exercise, sparing the affected sites", "IBMEWG")
    elif record.history.breast_cancer or record.history.prostate_cancer:
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
             "LIFTMOR", "LIFTMOR-M", grade="D")
    flag("CALCIUM_VITAMIN_D", "info", "exercise works alongside adequate calcium and vitamin D (see the "
         "nutrition plan)", "ESSA")

    return Screening(
        age_years=age, lowest_t_score=t_min, osteoporosis=osteoporosis, low_bone_mass=low_mass,
        vertebral_fracture=vf, multiple_low_trauma_fractures=multiple, falls_risk=falls,
        older_adult=older, training_setting=setting, novice=novice, high_intensity_eligible=eligible,
        floor_lifts_allowed=eligible and not osteoporosis, impact_cap=impact,
        vigorous_aerobic_allowed=vf is not True and not (cardiac or hypertension or metabolic_renal),
        flags=tuple(flags),
        bone_status_unknown=bone_unknown, no_dxa_words=no_dxa, fracture_history_known=fractures_known,
        falls_history_known=falls_known, currently_training=training, fracture_recorded=fracture_recorded,
        current_aerobic_minutes=life.weight_bearing_aerobic_minutes_per_week,
        current_impact_sessions=life.impact_sessions_per_week,
        cardiac_conditions=cardiac, uncontrolled_hypertension=hypertension, joint_conditions=joints,
        metabolic_renal_conditions=metabolic_renal, no_clearance_conditions=no_clearance,
        bone_metastases=metastases,
        unassessed_conditions=unassessed, high_intensity_held_back=tuple(held_back),
        bmd_category=dxa.category, bmd_score_kind=dxa.choice.kind, bmd_score_reason=dxa.choice.reason,
        denosumab_rebound=rebound,
    )
