"""Periodised bone-loading program (protocols.md §8): weekly template, phases, overload rules.

Phases [LIFTMOR] [TTFF14] [UK22] [ACSM09]: familiarisation (technique, body weight or light load),
build (2-3 sets at an 8-12 RM load), then strength: for eligible, supervised people 5 × 5 at 80-85 % 1RM
on squat, deadlift and overhead press; where the screen holds high intensity back (its
``high_intensity_held_back``), no phase goes below 8 reps: 3 sets at an 8-12 RM load (moderate) throughout,
as the assessment advises ("moderate load, 8-12 repetitions"; spec codes: high intensity is 8 reps or
fewer at 80 % 1RM or more) [TTFF14] [TTFF15] [HBA-2025]; for everyone else (no gym, nothing held back)
up to 3 sets of up to 8 reps [UK22].
Weekly template (protocols.md §8.1): Mon/Thu resistance + impact, Tue/Fri weight-bearing aerobic,
Wed/Sat active recovery (balance, spinal extensors, easy walk), Sun rest: 150 min aerobic a week.

Volume ramp: an older adult (75 and over), someone with a fall in the last year or a recorded fragility
or vertebral fracture, and someone with no current training recorded start at a lower volume and reach
the full week in week 5 (``VOLUME_RAMP``): TTFF14 "start lower if sedentary, comorbid, high fracture
risk or novice", HBA-2025 individualised, supervised progression; 10-minute aerobic bouts count and
resistance may be 1-3 sets [TTFF14] [TTFF15]; the step sizes are the planner's [OSTEOTWIN].
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from osteotwin.plan.exercise.library import Exercise, exercise_library
from osteotwin.plan.exercise.screening import Screening

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_KIND = {"Mon": "resistance_impact", "Tue": "weight_bearing_aerobic", "Wed": "active_recovery",
            "Thu": "resistance_impact", "Fri": "weight_bearing_aerobic", "Sat": "active_recovery",
            "Sun": "rest"}
#: How each kind of day reads in a plan (what the day trains, in a patient's words).
SESSION_KIND_LABELS = {"resistance_impact": "resistance and impact",
                       "weight_bearing_aerobic": "weight-bearing aerobic",
                       "active_recovery": "balance and recovery", "rest": "rest"}
AEROBIC_DAY_MIN = 45.0  # Tue/Fri [TTFF14: 30-60 min]; 2 × 45 + 2 × 30 = 150 min/week
WEEKLY_AEROBIC_MIN = 150.0  # the program's full weekly weight-bearing aerobic minutes [TTFF14]
RECOVERY_WALK_MIN = 30.0
BUILD_WEEKS = 4
#: Balance work on each of the six training days for people at risk of falls or aged 75 and over:
#: 6 × 20 = 120 min a week, the "daily, 15-20 min (about 2 h/week)" of TTFF14 Table 6 / TTFF15 Table 4,
#: and UK22's "people at risk of falls start with targeted strength and balance training".
DAILY_BALANCE_MIN = 20.0
#: Exercises moved with body weight or an unloaded dowel: their dose is a harder variation, not a load.
BODY_WEIGHT_EXERCISES = frozenset({"sit_to_stand", "push_up"})
#: The LIFTMOR lifts (and the rack pull that replaces a floor deadlift): on the high-intensity track they are supervised from the build phase on, since
#: LIFTMOR's sessions were supervised throughout [LIFTMOR] [HBA-2025].
HIGH_INTENSITY_LIFTS = frozenset({"back_squat", "deadlift", "rack_pull", "overhead_press"})
RESISTANCE_DAY_MIN = 45.0  # protocols.md §8.1: ~30-45 min [LIFTMOR: 30 min] [ACSM04]
RECOVERY_BALANCE_MIN = 20.0  # Wed/Sat [TTFF15: 15-20 min]


@dataclass(frozen=True)
class RampStep:
    """A lower-volume step at the start of the program (minutes per session, sets per exercise)."""

    first_week: int
    last_week: int
    aerobic_day_min: float  # Tue/Fri
    recovery_walk_min: float  # Wed/Sat
    balance_min: float  # each balance session
    resistance_sets: int | None  # sets per resistance exercise (None: as the phase sets them)
    resistance_day_min: float


#: Weeks 1-2: about half the full volume (aerobic 2 × 20 + 2 × 15 = 70 min a week in 10-minute bouts,
#: balance 10 min a session, 1 set of each resistance exercise); weeks 3-4: about two thirds (100 min,
#: balance 15 min); week 5 on: the full week (150 min, balance 20 min) [TTFF14] [TTFF15] [HBA-2025]
#: [OSTEOTWIN].
VOLUME_RAMP: tuple[RampStep, ...] = (
    RampStep(1, 2, 20.0, 15.0, 10.0, 1, 30.0),
    RampStep(3, 4, 30.0, 20.0, 15.0, None, 40.0),
)
FULL_VOLUME = RampStep(VOLUME_RAMP[-1].last_week + 1, 52, AEROBIC_DAY_MIN, RECOVERY_WALK_MIN,
                       DAILY_BALANCE_MIN, None, RESISTANCE_DAY_MIN)
RAMP_SOURCES = ("TTFF14", "TTFF15", "HBA-2025", "OSTEOTWIN")


@dataclass(frozen=True)
class Prescription:
    exercise_id: str
    name: str
    sets: int | None
    reps: int | None
    rep_range: str | None
    duration_min: float | None
    intensity: str
    notes: str
    regression: str
    sources: tuple[str, ...]
    supervised: bool = False


@dataclass(frozen=True)
class Session:
    week: int
    day: str
    kind: str
    phase: str
    exercises: tuple[Prescription, ...]


@dataclass(frozen=True)
class ScheduleDay:
    day: str
    kind: str
    summary: str
    minutes: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Phase:
    name: str
    first_week: int
    last_week: int
    description: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Substitution:
    instead_of: str
    use: str
    reason: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    rule: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ExerciseProgram:
    weeks: int
    weekly_schedule: tuple[ScheduleDay, ...]
    phases: tuple[Phase, ...]
    sessions: tuple[Session, ...]
    progression_rules: tuple[Rule, ...]
    substitutions: tuple[Substitution, ...]
    avoid: tuple[Substitution, ...]
    screening: Screening
    #: the lower-volume start (empty when the full week starts in week 1)
    volume_ramp: tuple[RampStep, ...] = ()


def familiarisation_weeks(s: Screening) -> int:
    """Four weeks of technique for novices and fragile or older people, else two [LIFTMOR] [TTFF14]."""
    return 4 if (s.novice or s.osteoporosis or s.older_adult or s.falls_risk) else 2


def daily_balance(s: Screening) -> bool:
    """Balance on every training day (about 2 h a week) for falls risk or older age [TTFF14] [UK22]."""
    return s.falls_risk or s.older_adult


def ramp_reasons(s: Screening) -> list[str]:
    """Why the program starts at a lower volume (empty: full volume from week 1)."""
    return [reason for reason, yes in (
        (f"age {s.age_years:.0f}", s.older_adult),
        ("a fall in the last 12 months", s.falls_risk),
        ("a recorded fragility or vertebral fracture", s.fracture_recorded),
        ("no current training recorded", not s.currently_training),
    ) if yes]


def volume_ramp(s: Screening) -> tuple[RampStep, ...]:
    return VOLUME_RAMP if ramp_reasons(s) else ()


def volume_step(s: Screening, week: int) -> RampStep:
    """The minutes and sets of ``week``: a ramp step, or the full week."""
    for step in volume_ramp(s):
        if step.first_week <= week <= step.last_week:
            return step
    return FULL_VOLUME


def weekly_volume(s: Screening, step: RampStep) -> tuple[float, float]:
    """Weight-bearing aerobic and balance minutes of a week at ``step``."""
    aerobic = 2 * step.aerobic_day_min + 2 * step.recovery_walk_min
    balance = (6 if daily_balance(s) else 2) * step.balance_min
    return aerobic, balance


def moderate_aerobic_only(s: Screening) -> bool:
    """Aerobic work at a moderate pace: vertebral fracture [TTFF14] [TTFF15], or falls risk or older age,
    where the start is at a lower intensity [TTFF14] [HBA-2025] and balance comes first [UK22]."""
    return not s.vigorous_aerobic_allowed or s.falls_risk or s.older_adult


def phase_of(week: int, s: Screening) -> str:
    fam = familiarisation_weeks(s)
    if week <= fam:
        return "familiarisation"
    if week <= fam + BUILD_WEEKS:
        return "build"
    return "strength" if s.high_intensity_eligible else "consolidate"


def _lib(exercise_id: str) -> Exercise:
    return exercise_library()[exercise_id]


def _rx(exercise_id: str, *, sets: int | None = None, reps: int | None = None,
        rep_range: str | None = None, minutes: float | None = None, intensity: str, notes: str = "",
        supervised: bool = False) -> Prescription:
    ex = _lib(exercise_id)
    return Prescription(exercise_id, ex.name, sets, reps, rep_range, minutes, intensity, notes.strip(),
                        ex.regression, ex.source_keys, supervised)


# --- exercise selection (each returns an exercise id; substitutions are recorded by the caller) ---

def squat_choice(s: Screening, phase: str) -> str:
    if phase == "familiarisation":
        return "sit_to_stand"
    if s.training_setting == "bodyweight_only":
        return "sit_to_stand"
    if s.training_setting == "gym" and s.high_intensity_eligible:
        return "back_squat"
    return "goblet_squat"


def hinge_choice(s: Screening, phase: str) -> str:
    if phase == "familiarisation" or s.spine_restricted or s.training_setting != "gym":
        return "hip_hinge_drill"
    return "deadlift" if s.floor_lifts_allowed else "rack_pull"


def press_choice(s: Screening, phase: str) -> str:
    if s.spine_restricted or s.training_setting == "bodyweight_only":
        return "push_up"
    return "overhead_press"


def impact_choice(s: Screening, phase: str) -> str | None:
    if s.impact_cap == "brisk_walking":
        return None
    if phase == "familiarisation":
        return None if s.falls_risk else "heel_drop"
    if s.impact_cap == "low":
        return "heel_drop"
    if phase == "build" or s.impact_cap == "moderate":
        return "two_foot_jump"
    return "jumping_chinup_drop" if s.training_setting == "gym" else "two_foot_jump"


def carry_choice(s: Screening) -> str:
    if s.spine_restricted or s.training_setting == "bodyweight_only" or s.falls_risk:
        return "heel_raise"
    return "farmers_carry"


# --- dose by phase ---

#: What a moderate-only lift says about heavier loads (high intensity: 8 reps or fewer at 80 % 1RM or
#: more, spec codes.yaml) while the screen holds high intensity back [LIFTMOR] [HBA-2025].
HELD_BACK_NOTE = ("loads for 8 reps or fewer (high intensity) wait until the screen's reasons are "
                  "resolved and a clinician clears them")


def moderate_only(s: Screening) -> bool:
    """Every phase stays at a moderate load (8-12 RM, never 8 reps or fewer): high intensity is held
    back by the screen (a vertebral fracture among its reasons) [TTFF14] [TTFF15] [HBA-2025]."""
    return s.vertebral_fracture is True or bool(s.high_intensity_held_back)


def _main_lift(exercise_id: str, s: Screening, phase: str, week: int) -> Prescription:
    """Dose of a main lift by phase. The dowel hinge drill stays a technique drill (no load) [TTFF15];
    body-weight patterns progress by variation, not load; after a vertebral fracture the load stays at
    an 8-12 RM (form and alignment before intensity) [TTFF14] [TTFF15] and heavier loading waits for the
    physiotherapist's clearance, as the screening says."""
    fam_end = familiarisation_weeks(s)
    if phase == "familiarisation":
        return _rx(exercise_id, sets=2, reps=10, rep_range="8-12",
                   intensity="body weight or light load; technique first (effort 3-4/10)",
                   notes="learn neutral-spine technique; stop a set when form changes")
    sets = 2 if (phase == "build" and week <= fam_end + 2) else 3
    if exercise_id == "hip_hinge_drill":
        return _rx(exercise_id, sets=sets, reps=10, rep_range="8-12",
                   intensity="technique drill with the dowel (no load); slow, controlled reps",
                   notes="hinge at the hips with a neutral spine; a loaded hinge only with "
                         "clearance and equipment")
    if phase == "build" or moderate_only(s):
        notes = "add load when 12 reps are done on every set"
        if s.vertebral_fracture is True:
            notes = ("form and alignment before intensity: stay at an 8-12 RM; heavier loading only "
                     "with the physiotherapist's clearance")
        elif phase != "build":
            notes += f"; {HELD_BACK_NOTE}"
        if s.high_intensity_eligible and exercise_id in HIGH_INTENSITY_LIFTS:
            return _rx(exercise_id, sets=sets, reps=10, rep_range="8-12",
                       intensity="8-12 RM load (the last reps are hard, form unchanged)",
                       notes=f"{notes}; supervised by a qualified instructor (the lead-in to the "
                             "high-intensity phase)", supervised=True)
        if exercise_id in BODY_WEIGHT_EXERCISES:
            return _rx(exercise_id, sets=sets, reps=10, rep_range="8-12",
                       intensity="the hardest variation allowing 8-12 good reps (the last reps are "
                                 "hard, form unchanged)",
                       notes=("move to the next variation when 12 reps are done on every set"
                              + (f"; {HELD_BACK_NOTE}" if phase != "build" else ""))
                       if s.vertebral_fracture is not True else
                       "form and alignment before intensity: a harder variation only with the "
                       "physiotherapist's clearance")
        return _rx(exercise_id, sets=sets, reps=10, rep_range="8-12",
                   intensity="8-12 RM load (the last reps are hard, form unchanged)", notes=notes)
    if phase == "strength" and exercise_id in ("back_squat", "deadlift", "overhead_press", "rack_pull"):
        into = week - fam_end - BUILD_WEEKS  # 1, 2, ...
        if into <= 2:
            sets, reps, load = 3, 8, "about 75 % 1RM"
        elif into <= 4:
            sets, reps, load = 4, 6, "about 80 % 1RM"
        else:
            sets, reps, load = 5, 5, "80-85 % 1RM"
        return _rx(exercise_id, sets=sets, reps=reps, rep_range=f"{reps}",
                   intensity=f"{load} (1RM estimated from a multi-rep set, not tested)",
                   notes="supervised by a qualified instructor; 3-5 min rest between heavy sets",
                   supervised=True)
    if exercise_id in BODY_WEIGHT_EXERCISES:
        return _rx(exercise_id, sets=3, reps=8, rep_range="6-8",
                   intensity="a variation allowing at most 8 good reps",
                   notes="up to 3 sets of up to 8 reps")
    return _rx(exercise_id, sets=3, reps=8, rep_range="6-8",
               intensity="load allowing at most 8 good reps", notes="up to 3 sets of up to 8 reps")


def _accessory(exercise_id: str, phase: str, notes: str = "") -> Prescription:
    if phase == "familiarisation":
        return _rx(exercise_id, sets=2, reps=10, rep_range="8-12", intensity="body weight or light",
                   notes=notes)
    return _rx(exercise_id, sets=3, reps=10, rep_range="8-12", intensity="8-12 RM load", notes=notes)


def _impact(exercise_id: str, phase: str, s: Screening, week: int) -> Prescription:
    if exercise_id == "heel_drop":
        reps = 10 if phase == "familiarisation" else 20
        return _rx(exercise_id, sets=2 if reps == 10 else 3, reps=reps, rep_range=None,
                   intensity="rise on toes, drop onto heels", notes="hold a support if needed")
    if exercise_id == "two_foot_jump":
        return _rx(exercise_id, sets=3, reps=10, rep_range=None,
                   intensity="low jumps, soft two-foot landings", notes="stop if any pain on landing")
    into = week - familiarisation_weeks(s) - BUILD_WEEKS
    sets = min(5, 2 + max(into, 1) // 2)
    return _rx(exercise_id, sets=sets, reps=5, rep_range=None, intensity="drop landing from the bar",
               notes="supervised; build toward 5 × 5", supervised=True)


def _balance(phase: str, s: Screening, minutes: float) -> Prescription:
    exercise_id = {"familiarisation": "static_balance", "build": "tandem_walk"}.get(phase, "tai_chi")
    if s.falls_risk and phase == "familiarisation":
        exercise_id = "weight_shift"
    notes = "keep a counter or chair within reach" if (s.falls_risk or s.older_adult) else ""
    return _rx(exercise_id, minutes=minutes, intensity="progress static → dynamic as steadiness allows",
               notes=notes)


def _extensors(minutes: float) -> Prescription:
    return _rx("spinal_extensor_holds", minutes=minutes, intensity="holds of 3-5 s",
               notes="spinal extension work in place of any crunches or sit-ups")


def resistance_session(s: Screening, week: int, day: str) -> Session:
    phase = phase_of(week, s)
    items = [
        _main_lift(squat_choice(s, phase), s, phase, week),
        _main_lift(hinge_choice(s, phase), s, phase, week),
        _main_lift(press_choice(s, phase), s, phase, week),
        _accessory("row", phase, "chest-supported or seated; no unsupported bent-over rows"
                   if s.possibly_low_bone_mass else ""),
    ]
    carry = carry_choice(s)
    if carry == "farmers_carry":
        items.append(_rx("farmers_carry", sets=3 if phase != "familiarisation" else 2, reps=None,
                         rep_range=None, intensity="20-40 m per carry",
                         notes="pick the weights up from a bench or rack, not the floor"
                         if not s.floor_lifts_allowed else ""))
    else:
        items.append(_accessory("heel_raise", phase, "hold a support"))
    if s.falls_risk or s.older_adult:
        items.append(_accessory("split_squat", phase, "supported, holding a rail"))
        items.append(_accessory("hip_abduction", phase, "standing, holding a support"))
    impact = impact_choice(s, phase)
    if impact is not None:
        items.append(_impact(impact, phase, s, week))
    items.append(_extensors(5.0))
    step = volume_step(s, week)
    if daily_balance(s):
        items.append(_balance(phase, s, step.balance_min))
    if step.resistance_sets is not None:
        items = [replace(rx, sets=min(rx.sets, step.resistance_sets),
                         notes=_join(rx.notes, "one set for now (lower start, weeks "
                                     f"{step.first_week}-{step.last_week})"))
                 if rx.sets is not None else rx for rx in items]
    return Session(week, day, "resistance_impact", phase, tuple(items))


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def aerobic_session(s: Screening, week: int, day: str) -> Session:
    phase = phase_of(week, s)
    step = volume_step(s, week)
    # a lower start is also a moderate start: vigorous work comes after the ramp [TTFF14] [HBA-2025]
    moderate = moderate_aerobic_only(s) or step is not FULL_VOLUME
    pace = "moderate (able to talk, not sing)" if moderate else "moderate to vigorous"
    walk_notes = "10-minute bouts count; weight-bearing"
    if s.falls_risk:
        walk_notes += "; even ground, with a walking aid if one is used"
    minutes = step.aerobic_day_min
    items = [_rx("brisk_walk", minutes=minutes, intensity=pace, notes=walk_notes)]
    if phase != "familiarisation" and s.impact_cap in ("moderate", "high") and day == "Fri":
        items = [_rx("jog_intervals", minutes=minutes,
                     intensity="walk with 1-2 min jogging bouts", notes="moderate impact")]
    elif day == "Fri" and not s.falls_risk:
        stairs = min(15.0, minutes / 2)
        items = [_rx("stair_climb", minutes=stairs, intensity=pace, notes="use the handrail"),
                 _rx("brisk_walk", minutes=minutes - stairs, intensity=pace, notes="")]
    if daily_balance(s):
        items.append(_balance(phase, s, step.balance_min))
    return Session(week, day, "weight_bearing_aerobic", phase_of(week, s), tuple(items))


def recovery_session(s: Screening, week: int, day: str) -> Session:
    phase = phase_of(week, s)
    step = volume_step(s, week)
    return Session(week, day, "active_recovery", phase, (
        _balance(phase, s, step.balance_min),
        _extensors(10.0),
        _rx("brisk_walk", minutes=step.recovery_walk_min, intensity="easy", notes="easy pace"),
    ))


def weekly_schedule(s: Screening) -> tuple[ScheduleDay, ...]:
    """The full week (from week 5 where the program ramps up: see ``ramp_rule``)."""
    res_minutes = RESISTANCE_DAY_MIN
    impact = {"brisk_walking": "no impact drill (impact capped at brisk walking)",
              "low": "heel drops", "moderate": "impact drill (heel drops → low jumps)",
              "high": "impact drill (heel drops → jumps → drop landings)"}[s.impact_cap]
    walk = "walking at a moderate pace" if moderate_aerobic_only(s) else "brisk walking"
    if s.impact_cap in ("moderate", "high"):
        friday = f"{walk} with stairs, later jog intervals, {AEROBIC_DAY_MIN:.0f} min"
    elif s.falls_risk:
        friday = f"{walk} {AEROBIC_DAY_MIN:.0f} min (even ground)"
    else:
        friday = f"{walk} with stairs {AEROBIC_DAY_MIN:.0f} min"
    balance = f", balance {DAILY_BALANCE_MIN:.0f} min" if daily_balance(s) else ""
    extra = DAILY_BALANCE_MIN if daily_balance(s) else 0.0
    balance_src: tuple[str, ...] = ("TTFF14", "UK22") if daily_balance(s) else ()
    sunday = ("rest; everyday balance practice (balance work on the six other days makes about "
              f"{6 * DAILY_BALANCE_MIN / 60:g} h a week)" if daily_balance(s)
              else "rest; everyday balance practice")
    return (
        ScheduleDay("Mon", "resistance_impact", "squat, hinge and press patterns, row, carry or leg "
                    f"work, {impact}, spinal extensors{balance}", res_minutes + extra,
                    ("LIFTMOR", "ACSM04", "TTFF14", "UK22")),
        ScheduleDay("Tue", "weight_bearing_aerobic", f"{walk} {AEROBIC_DAY_MIN:.0f} min{balance}",
                    AEROBIC_DAY_MIN + extra, ("TTFF14", "ACSM04", *balance_src)),
        ScheduleDay("Wed", "active_recovery", f"balance {RECOVERY_BALANCE_MIN:.0f} min, spinal extensors "
                    f"10 min, easy walk {RECOVERY_WALK_MIN:.0f} min",
                    RECOVERY_BALANCE_MIN + 10.0 + RECOVERY_WALK_MIN, ("TTFF15", "TTFF14")),
        ScheduleDay("Thu", "resistance_impact", "as Monday", res_minutes + extra, ("LIFTMOR", "TTFF14")),
        ScheduleDay("Fri", "weight_bearing_aerobic", friday + balance, AEROBIC_DAY_MIN + extra,
                    ("TTFF14", "UK22", "ACSM04")),
        ScheduleDay("Sat", "active_recovery", "as Wednesday",
                    RECOVERY_BALANCE_MIN + 10.0 + RECOVERY_WALK_MIN, ("TTFF15",)),
        ScheduleDay("Sun", "rest", sunday, 0.0, ("TTFF14",)),
    )


def phases(s: Screening, weeks: int) -> tuple[Phase, ...]:
    fam = familiarisation_weeks(s)
    out = [Phase("familiarisation", 1, min(fam, weeks),
                 "technique with body weight or light load, 2 sets of 8-12", ("LIFTMOR", "UK22", "TTFF14"))]
    if weeks > fam:
        out.append(Phase("build", fam + 1, min(fam + BUILD_WEEKS, weeks),
                         "2-3 sets at an 8-12 RM load; add load when 12 reps are done on every set",
                         ("TTFF14", "ACSM09")))
    if weeks > fam + BUILD_WEEKS:
        if s.high_intensity_eligible:
            out.append(Phase("strength", fam + BUILD_WEEKS + 1, weeks,
                             "supervised: 3 × 8 → 4 × 6 → 5 × 5 at 80-85 % 1RM on squat, deadlift and "
                             "overhead press", ("LIFTMOR", "UK22", "ACSM09")))
        elif s.vertebral_fracture is True:
            out.append(Phase("consolidate", fam + BUILD_WEEKS + 1, weeks,
                             "3 sets at an 8-12 RM load, form and alignment before intensity; heavier "
                             "loading only with the physiotherapist's clearance (vertebral fracture)",
                             ("TTFF14", "TTFF15")))
        elif moderate_only(s):
            out.append(Phase("consolidate", fam + BUILD_WEEKS + 1, weeks,
                             "3 sets at an 8-12 RM load (moderate); add load when 12 reps are done on "
                             "every set; high intensity (8 reps or fewer) is held back: "
                             + "; ".join(s.high_intensity_held_back),
                             ("TTFF14", "ACSM09", "LIFTMOR", "HBA-2025")))
        else:
            out.append(Phase("consolidate", fam + BUILD_WEEKS + 1, weeks,
                             "up to 3 sets of up to 8 reps; load rises by the overload rule",
                             ("UK22", "ACSM09")))
    return tuple(out)


PROGRESSION_RULES = (
    Rule("add 2-10 % load when the current load can be lifted for 1-2 reps more than the target "
         "(in the build phase: when 12 reps are done on every set)", ("ACSM09", "TTFF14")),
    Rule("hold the load, or drop it by about 10 %, after pain, a change in technique or two or more "
         "missed sessions; resume the rule when a session is completed cleanly", ("LIFTMOR", "OSTEOTWIN")),
    Rule("if an exercise cannot be done with a neutral spine, use its listed regression", ("TTFF15",)),
    Rule("impact: heel drops → low two-foot jumps → drop landings, only while pain-free and within the "
         "screening cap", ("UK22", "ESSA")),
    Rule("estimate 1RM from a multi-rep set rather than testing a true 1RM", ("OSTEOTWIN",)),
)


def ramp_rule(s: Screening) -> Rule | None:
    """The lower start, in words, or None when the full week starts in week 1."""
    reasons = ramp_reasons(s)
    if not reasons:
        return None
    parts = []
    for step in VOLUME_RAMP:
        aerobic, balance = weekly_volume(s, step)
        sets = f", {step.resistance_sets} set of each resistance exercise" if step.resistance_sets else ""
        parts.append(f"weeks {step.first_week}-{step.last_week}: walks of {step.aerobic_day_min:.0f} "
                     f"min (Tue/Fri) and {step.recovery_walk_min:.0f} min (Wed/Sat), {aerobic:.0f} min "
                     f"a week, balance {step.balance_min:.0f} min a session ({balance:.0f} min a "
                     f"week){sets}")
    aerobic, balance = weekly_volume(s, FULL_VOLUME)
    return Rule(f"lower start ({'; '.join(reasons)}): " + "; ".join(parts)
                + f"; from week {FULL_VOLUME.first_week} the full week ({aerobic:.0f} min aerobic, "
                f"{balance:.0f} min balance); 10-minute walking bouts count", RAMP_SOURCES)


def _substitutions(s: Screening) -> tuple[tuple[Substitution, ...], tuple[Substitution, ...]]:
    subs: list[Substitution] = []
    late = "strength" if s.high_intensity_eligible else "consolidate"
    if squat_choice(s, late) != "back_squat":
        if s.vertebral_fracture:
            reason = "vertebral fracture: no heavy axial loading without physiotherapist clearance"
        elif s.training_setting == "gym":
            reason = "high intensity not cleared: " + "; ".join(s.high_intensity_held_back)
        else:
            reason = "no barbell and rack in this setting"
        subs.append(Substitution("back_squat", squat_choice(s, late), reason, ("TTFF15", "LIFTMOR")))
    hinge = hinge_choice(s, late)
    if hinge != "deadlift":
        if hinge != "rack_pull":
            reason = "no heavy hinge without clearance or equipment: technique hinge only"
        elif s.osteoporosis:
            reason = ("heavy lifts from the floor are avoided where bone is fragile unless supervised; "
                      "lift from knee height")
        else:
            reason = ("heavy lifts from the floor wait until high intensity is cleared ("
                      + "; ".join(s.high_intensity_held_back) + "); lift from knee height")
        subs.append(Substitution("deadlift", hinge, reason, ("TTFF15", "ESSA")))
    spine_why = ("vertebral fracture" if s.vertebral_fracture else
                 "vertebral fracture not ruled out" if s.spine_restricted else "")
    if press_choice(s, late) != "overhead_press":
        why = spine_why or "no equipment in this setting"
        subs.append(Substitution("overhead_press", "push_up", f"{why}: push-up progression instead of "
                                 "axial loading", ("LIFTMOR", "TTFF15")))
    impact = impact_choice(s, late)
    if impact != "jumping_chinup_drop":
        use = impact or "brisk_walk"
        subs.append(Substitution("jumping_chinup_drop", use, s.impact_cap_reason,
                                 ("UK22", "ESSA", "LIFTMOR")))
    if carry_choice(s) != "farmers_carry":
        why = "; ".join(w for w, yes in (
            (spine_why, bool(spine_why)),
            ("no weights in this setting", s.training_setting == "bodyweight_only"),
            ("a fall in the last 12 months", s.falls_risk)) if yes)
        subs.append(Substitution("farmers_carry", "heel_raise", f"{why}: loaded carries need spine "
                                 "clearance, weights and steady balance", ("TTFF15", "ACSM04")))
    avoid: list[Substitution] = []
    if s.possibly_low_bone_mass or s.vertebral_fracture:
        # why the spine is spared, named in each reason (a stopped denosumab cites its sources)
        why = "; ".join(s.spine_sparing_reasons)
        rebound: tuple[str, ...] = ("CUMMINGS2018", "ECTS2021") if s.denosumab_rebound else ()
        avoid = [
            Substitution("situp_crunch", "spinal_extensor_holds",
                         f"{why}: loaded, rapid or end-range spinal flexion is not recommended",
                         ("ESSA", "TTFF15", "UK22", *rebound)),
            Substitution("loaded_twist", "spinal_extensor_holds", f"{why}: step to turn instead of "
                         "twisting under load", ("TTFF15", *rebound)),
            Substitution("floor_lift_rounded", "hip_hinge_drill", f"{why}: hinge at the hips with a "
                         "neutral spine; lift from knee height or above", ("TTFF15", "ESSA", *rebound)),
        ]
    return tuple(subs), tuple(avoid)


FALLS_NOTE = "falls risk: keep a support within reach and have someone nearby"


def with_falls_precautions(session: Session, s: Screening) -> Session:
    """Add a support note where the library flags falls risk for an exercise [TTFF14] [UK22]."""
    if not s.falls_risk:
        return session
    items = []
    for rx in session.exercises:
        flagged = "falls" in _lib(rx.exercise_id).contraindicated_if.lower()
        has_note = any(w in rx.notes for w in ("support", "rail", "within reach"))
        if flagged and not has_note:
            rx = replace(rx, notes=f"{rx.notes}; {FALLS_NOTE}" if rx.notes else FALLS_NOTE)
        items.append(rx)
    return replace(session, exercises=tuple(items))


def keep_current_activity_rule(s: Screening) -> Rule | None:
    """Where the person already does more weight-bearing aerobic activity than the program's 150
    minutes, or impact training, the program is a minimum to keep alongside it, not a replacement
    (within the screen's impact limit and any ramp) [ACSM04] [OSTEOTWIN]."""
    more = []
    if (s.current_aerobic_minutes or 0.0) > WEEKLY_AEROBIC_MIN:
        more.append(f"{s.current_aerobic_minutes:g} min a week of weight-bearing aerobic activity")
    if (s.current_impact_sessions or 0.0) > 0 and s.impact_cap in ("moderate", "high"):
        more.append(f"{s.current_impact_sessions:g} impact sessions a week (e.g. running)")
    if not more:
        return None
    return Rule("keep what you already do (" + "; ".join(more) + "): this program's aerobic and impact "
                "sessions are a minimum alongside it, not a replacement, within the impact limit "
                "above", ("ACSM04", "OSTEOTWIN"))


def build_program(s: Screening, weeks: int) -> ExerciseProgram:
    """Session-by-session program for ``weeks`` weeks (1-52)."""
    sessions: list[Session] = []
    for week in range(1, weeks + 1):
        for day in DAYS:
            kind = DAY_KIND[day]
            if kind == "resistance_impact":
                sessions.append(with_falls_precautions(resistance_session(s, week, day), s))
            elif kind == "weight_bearing_aerobic":
                sessions.append(with_falls_precautions(aerobic_session(s, week, day), s))
            elif kind == "active_recovery":
                sessions.append(with_falls_precautions(recovery_session(s, week, day), s))
    subs, avoid = _substitutions(s)
    ramp = ramp_rule(s)
    rules = PROGRESSION_RULES if ramp is None else (ramp, *PROGRESSION_RULES)
    keep = keep_current_activity_rule(s)
    if keep is not None:
        rules = (keep, *rules)
    return ExerciseProgram(weeks, weekly_schedule(s), phases(s, weeks), tuple(sessions),
                           rules, subs, avoid, s, volume_ramp(s))
