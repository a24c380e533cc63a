"""Clinician's cross-module review: the plan agrees with the assessment.

1. denosumab stopped with nothing to follow it is fragile bone for the screen (and so for the
   assessment's exercise actions, which follow the screen);
2. the plan's bone category is the assessment's (ISCD: Z-score for a premenopausal woman);
3. when the screen holds high intensity back, no phase prescribes loads of 8 reps or fewer;
4. nutrition wording: protein by age, vitamin D on an inhibitor for a man, and a low 25(OH)D never
   "covered" by the current supplement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from osteotwin.clinic import assess
from osteotwin.clinic.follow_on import denosumab_stop
from osteotwin.plan.exercise.library import exercise_library
from osteotwin.plan.exercise.program import build_program
from osteotwin.plan.exercise.screening import screen
from osteotwin.plan.nutrition.targets import nutrient_targets
from osteotwin.plan.personal import build_personal_plan
from osteotwin.plan.serialize import plan_document
from osteotwin.plan.sources import SOURCES
from osteotwin.records import parse_patient_document, parse_text

AS_OF = dt.date(2025, 6, 1)
JUMPS = {"two_foot_jump", "jumping_chinup_drop", "jog_intervals"}
CLEAR = {"vertebral_fracture": False, "prior_fragility_fractures": 0, "falls_last_12_months": 0}
ANASTROZOLE = {"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d",
               "start": "2020-09-01"}
DENOSUMAB = {"drug": "denosumab", "dose": "60 mg", "route": "subcutaneous", "every": "182 d",
             "start": "2021-04-01", "stop": "2024-10-15"}


def _record(*, medications: list[dict[str, Any]] | None = None, history: dict[str, Any] | None = None,
            dxa: list[dict[str, Any]] | None = None, patient: dict[str, Any] | None = None,
            labs: list[dict[str, Any]] | None = None, as_of: str = "2025-06-01",
            **lifestyle: Any) -> Any:
    doc: dict[str, Any] = {
        "version": 1, "as_of": as_of,
        "patient": {"sex": "female", "birth_date": "1959-05-05", "height": "160 cm", "weight": "60 kg",
                    "menopausal_status": "postmenopausal", **(patient or {})},
        "history": {"breast_cancer": True, **(history if history is not None else CLEAR)},
        "medications": medications if medications is not None else [ANASTROZOLE, DENOSUMAB],
        "labs": labs or [],
        "dxa": dxa if dxa is not None else [
            {"date": "2024-09-01", "site": "lumbar_spine", "t_score": -1.7}],
        "lifestyle": {"training_setting": "gym", "diet_pattern": "omnivore",
                      "resistance_sessions_per_week": 2, "resistance_intensity": "moderate",
                      "impact_sessions_per_week": 0, **lifestyle},
    }
    return parse_patient_document(doc, source="test")


def _ids(program: Any) -> set[str]:
    return {rx.exercise_id for x in program.sessions for rx in x.exercises}


# --- 1. denosumab stopped -------------------------------------------------------------------------

def test_denosumab_stopped_without_a_bisphosphonate_is_fragile_bone_for_the_screen() -> None:
    """p8: anastrozole, denosumab every 182 d from 2021-04-01 stopped 2024-10-15, spine T -1.7: the
    plan gave two-foot jumps and jogging, the assessment jumps and drop landings."""
    s = screen(_record(), AS_OF)
    assert s.denosumab_rebound is not None and s.denosumab_rebound.startswith("denosumab stopped")
    # last injection 2021-04-01 + 7 × 182 d; its effect wears off 6 months later, 2 years at risk
    assert "last injection 2024-09-26" in s.denosumab_rebound
    assert s.impact_cap == "low" and "denosumab stopped" in s.impact_cap_reason
    assert not s.high_intensity_eligible
    assert any("denosumab stopped" in r for r in s.high_intensity_held_back)
    flag = next(f for f in s.flags if f.code == "DENOSUMAB_STOPPED_REBOUND")
    assert flag.severity == "restriction" and "spinal flexion" in flag.message
    assert {"CUMMINGS2018", "ECTS2021"} <= set(flag.sources)
    assert "J Bone Miner Res. 2018;33(2):190-198" in SOURCES["CUMMINGS2018"]
    assert "J Clin Endocrinol Metab. 2021;106(1):264-281" in SOURCES["ECTS2021"]
    program = build_program(s, 16)
    assert JUMPS.isdisjoint(_ids(program)) and "heel_drop" in _ids(program)
    avoid = {a.instead_of: a for a in program.avoid}
    assert "denosumab stopped" in avoid["situp_crunch"].reason
    assert "CUMMINGS2018" in avoid["situp_crunch"].sources


def test_denosumab_rebound_alone_caps_impact_even_with_normal_bone_and_a_clear_spine() -> None:
    """Without the stop the same woman (T -0.5, spine cleared) gets high impact; with it, heel drops."""
    dxa = [{"date": "2024-09-01", "site": "lumbar_spine", "t_score": -0.5}]
    clear = screen(_record(medications=[ANASTROZOLE], dxa=dxa), AS_OF)
    assert clear.impact_cap == "high" and clear.high_intensity_eligible
    stopped = screen(_record(dxa=dxa), AS_OF)
    assert stopped.impact_cap == "low" and not stopped.high_intensity_eligible
    assert stopped.possibly_low_bone_mass  # spine-sparing: no loaded flexion
    assert {a.instead_of for a in build_program(stopped, 12).avoid} >= {"situp_crunch", "loaded_twist"}


def test_the_assessment_follows_the_screen_no_jumps_after_a_denosumab_stop() -> None:
    record = _record(impact_sessions_per_week=0)
    assessment = assess(record, AS_OF)
    assert "ADD_IMPACT_TRAINING" not in assessment.action_codes()
    facts = assessment.facts
    assert "denosumab stopped" in str(facts["impact_contraindication"].value)
    assert "denosumab stopped" in str(facts["high_intensity_contraindication"].value)


def test_denosumab_window_from_the_regimen_and_any_later_bisphosphonate() -> None:
    # still on denosumab: not stopped
    ongoing = dict(DENOSUMAB)
    del ongoing["stop"]
    assert denosumab_stop(_record(medications=[ANASTROZOLE, ongoing]), AS_OF) is None
    # a bisphosphonate given since the last injection closes the window
    zol = {"drug": "zoledronic_acid", "dose": "5 mg", "route": "intravenous", "every": "365 d",
           "start": "2025-03-20"}
    assert denosumab_stop(_record(medications=[ANASTROZOLE, DENOSUMAB, zol]), AS_OF) is None
    # ...but one stopped before the last injection does not
    old = {"drug": "alendronate", "dose": "70 mg", "route": "oral", "every": "7 d",
           "start": "2015-01-01", "stop": "2020-01-01"}
    assert denosumab_stop(_record(medications=[ANASTROZOLE, DENOSUMAB, old]), AS_OF) is not None
    # the window: from the stop, until 2 years after the effect wears off (6 months after the last
    # injection on 2024-09-26)
    stop = denosumab_stop(_record(), AS_OF)
    assert stop is not None and stop.last_injection == dt.date(2024, 9, 26)
    assert stop.wears_off == dt.date(2025, 3, 28) and stop.at_risk_until == dt.date(2027, 3, 28)
    recent = dict(DENOSUMAB, stop="2025-05-01")  # last injection 2025-03-27: effect still on
    early = denosumab_stop(_record(medications=[ANASTROZOLE, recent]), AS_OF)
    assert early is not None and "rebound bone loss from about 2025-09-26" in early.reason(AS_OF)
    later = dt.date(2027, 4, 1)  # read on that day; the file's own as_of stays in the past
    assert denosumab_stop(_record(), later) is None


# --- 2. one bone category -------------------------------------------------------------------------

P6_DXA = [
    {"date": "2025-05-20", "site": "lumbar_spine", "t_score": -1.1, "z_score": -1.0},
    {"date": "2025-05-20", "site": "femoral_neck", "t_score": -0.6, "z_score": -0.4},
]
P6_MEDS = [{"drug": "goserelin", "dose": "3.6 mg", "route": "subcutaneous", "every": "28 d",
            "start": "2024-06-01"},
           {"drug": "exemestane", "dose": "25 mg", "route": "oral", "every": "1 d", "start": "2024-07-01"}]


def test_premenopausal_woman_is_judged_by_the_z_score_as_in_the_assessment() -> None:
    """p6: premenopausal, Z -1.0, T -1.1: the assessment says normal (ISCD: Z-score), the plan said
    low bone mass from the T-score."""
    record = _record(medications=P6_MEDS, dxa=P6_DXA,
                     patient={"birth_date": "1984-07-12", "menopausal_status": "premenopausal"})
    s = screen(record, AS_OF)
    assert not s.low_bone_mass
    assert "LOW_BONE_MASS_SPINE_SPARING" not in {f.code for f in s.flags}
    assert s.bmd_score_kind == "Z" and s.bmd_category == "normal"
    codes = assess(record, AS_OF).finding_codes()
    assert "BMD_NORMAL" in codes and "BMD_LOW" not in codes
    screening = plan_document(build_personal_plan(record, weeks=1))["exercise"]["screening"]
    assert screening["bmd_category"] == "normal" and screening["bmd_score_kind"] == "Z"
    # the same scan in a postmenopausal woman is judged by the T-score: low bone mass in both
    post = _record(medications=[P6_MEDS[1]], dxa=P6_DXA)
    s_post = screen(post, AS_OF)
    assert s_post.bmd_score_kind == "T" and s_post.low_bone_mass
    assert "BMD_LOW" in assess(post, AS_OF).finding_codes()


def test_a_z_score_at_or_below_minus_2_is_low_bone_mass_for_a_premenopausal_woman() -> None:
    dxa = [{"date": "2025-05-20", "site": "lumbar_spine", "t_score": -0.9, "z_score": -2.1}]
    s = screen(_record(medications=P6_MEDS, dxa=dxa,
                       patient={"birth_date": "1984-07-12", "menopausal_status": "premenopausal"}),
               AS_OF)
    assert s.bmd_category == "low_bone_mass" and s.low_bone_mass


# --- 3. no high-intensity loads when high intensity is held back ----------------------------------

def _heavy_prescriptions(program: Any) -> list[tuple[int, str, str]]:
    """Resistance prescriptions at 8 reps or fewer (spec codes: high intensity)."""
    library = exercise_library()
    out = []
    for session in program.sessions:
        for rx in session.exercises:
            if library[rx.exercise_id].loading_type != "resistance":
                continue
            text = f"{rx.rep_range} {rx.intensity} {rx.notes}"
            if (rx.reps is not None and rx.reps < 8) or "at most 8" in text or \
                    (rx.rep_range or "").startswith(("5", "6")):
                out.append((session.week, rx.exercise_id, text))
    return out


def test_held_back_high_intensity_keeps_every_phase_at_a_moderate_load() -> None:
    """p4 and p3: the assessment says moderate load (8-12 reps), high intensity not advised; weeks 9-12
    said "load allowing at most 8 good reps"."""
    cases = {
        "vertebral status not recorded, gym": _record(
            medications=[ANASTROZOLE], history={"prior_fragility_fractures": 0,
                                                "falls_last_12_months": 0}),
        "no DXA, home weights": _record(medications=[ANASTROZOLE], dxa=[],
                                        training_setting="home_weights"),
        "no DXA, body weight": _record(medications=[ANASTROZOLE], dxa=[],
                                       training_setting="bodyweight_only"),
    }
    for name, record in cases.items():
        s = screen(record, AS_OF)
        assert s.high_intensity_held_back, name
        program = build_program(s, 16)
        assert _heavy_prescriptions(program) == [], name
        late = next(p for p in program.phases if p.name == "consolidate")
        assert "8-12 RM" in late.description and "up to 8 reps" not in late.description, name
        lifts = [rx for x in program.sessions if x.phase == "consolidate" for rx in x.exercises
                 if rx.rep_range == "8-12" and rx.sets == 3]
        assert lifts, name


def test_nothing_held_back_keeps_the_uk_consensus_strength_dose_at_home() -> None:
    """No gym but nothing held back: up to 3 sets of up to 8 reps [UK22], as before."""
    s = screen(_record(medications=[ANASTROZOLE], training_setting="home_weights"), AS_OF)
    assert not s.high_intensity_held_back
    late = next(p for p in build_program(s, 16).phases if p.name == "consolidate")
    assert "up to 8 reps" in late.description


# --- 4. nutrition wording -------------------------------------------------------------------------

def test_protein_target_is_worded_for_the_persons_age() -> None:
    """The protein text said "for older adults" for people aged 33-58."""
    for sex, age, menopause in (("male", 33, None), ("male", 58, None), ("female", 41, False)):
        young = nutrient_targets(sex, age, 80, 175, postmenopausal=menopause).get("protein_g")
        assert "for bone health in older adults" not in young.basis, (sex, age)
        assert "RDA" in young.basis and "planner's choice" in young.basis
        assert {"IOM2005", "OSTEOTWIN"} <= set(young.sources)
        assert young.minimum == 80.0  # the amount is unchanged: 1.0 g/kg/d
    post = nutrient_targets("female", 58, 64, 165, postmenopausal=True).get("protein_g")
    assert "postmenopausal women" in post.basis and "older adults" not in post.basis
    assert "ESCEO2014" in post.sources
    older = nutrient_targets("female", 70, 60, 160).get("protein_g")
    assert "older adults" in older.basis and "PROT-AGE" in older.sources


def test_vitamin_d_target_for_a_man_on_an_inhibitor_says_it_is_extrapolated() -> None:
    man = nutrient_targets("male", 45, 90, 180, on_aromatase_inhibitor=True).get("vitamin_d_iu")
    assert man.minimum == 800 and "extrapolated" in man.basis and "women with breast cancer" in man.basis
    woman = nutrient_targets("female", 60, 65, 165, on_aromatase_inhibitor=True,
                             ai_for_breast_cancer=True).get("vitamin_d_iu")
    assert woman.minimum == 800 and "extrapolated" not in woman.basis


P5 = """\
version: 1
as_of: 2025-06-01
patient: {id: p5, sex: female, birth_date: 1953-01-05, height: 158 cm, weight: 55 kg,
          menopausal_status: postmenopausal}
history: {prior_fragility_fractures: 1, falls_last_12_months: 2, breast_cancer: true,
          vertebral_fracture: false}
medications:
  - {drug: anastrozole, dose: 1 mg, route: oral, every: 1 d, start: 2022-09-01}
labs:
  - {test: vitamin_d_25oh, value: 28, unit: ng/mL, date: 2025-05-01}
  - {test: egfr, value: 58, unit: mL/min/1.73m2, date: 2025-05-01}
dxa:
  - {date: 2025-04-20, site: lumbar_spine, t_score: -1.9}
lifestyle:
  supplements:
    - {name: vitamin_d3, dose: 800 IU/d}
  diet_pattern: omnivore
  training_setting: bodyweight_only
"""


def test_low_vitamin_d_is_never_covered_by_the_current_supplement() -> None:
    """p5: 25(OH)D 28 ng/mL on 800 IU/d: the assessment says raise it, the plan said the current
    supplement covers it."""
    record = parse_patient_document(parse_text(P5, source="p5.yaml"), source="p5.yaml")
    assert "START_VITAMIN_D" in assess(record, AS_OF).action_codes()
    doc = plan_document(build_personal_plan(record, weeks=4))
    vit_d = [s for s in doc["nutrition"]["supplements"] if s["nutrient"] == "vitamin_d_iu"]
    assert vit_d, "the vitamin D gap is addressed"
    for advice in vit_d:
        assert advice["status"] != "current_supplement_covers"
        assert "covers it" not in advice["reason"]
        assert "clinician" in advice["reason"] and "28 ng/mL" in advice["reason"]
