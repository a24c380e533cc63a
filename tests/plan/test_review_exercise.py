"""Exercise review (physiotherapist): missing screening facts, recorded conditions, a lower start.

Real patient files through ``osteotwin plan`` or ``build_personal_plan``, as a clinician would run them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from osteotwin.cli import app
from osteotwin.plan.personal import build_personal_plan
from osteotwin.plan.serialize import plan_document
from osteotwin.plan.sources import SOURCES
from osteotwin.records import parse_patient_document, parse_text

HIGH_IMPACT = {"two_foot_jump", "jumping_chinup_drop", "jog_intervals"}
HEAVY_BARBELL = {"back_squat", "deadlift"}

NO_DXA_GYM = """\
version: 1
as_of: 2025-06-01
patient: {id: nodxa, sex: female, birth_date: 1952-03-01, height: 160 cm, weight: 60 kg,
          menopausal_status: postmenopausal}
history: {breast_cancer: true}
medications:
  - {drug: letrozole, dose: 2.5 mg, route: oral, every: 1 d, start: 2021-01-01}
lifestyle: {training_setting: gym}
"""


def _cli_plan(tmp_path: Path, text: str, weeks: int = 12) -> dict[str, Any]:
    path = tmp_path / "patient.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", str(path), "--format", "json", "--weeks", str(weeks)])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _plan(doc: dict[str, Any], weeks: int = 12) -> dict[str, Any]:
    record = parse_patient_document(doc, source="test")
    return plan_document(build_personal_plan(record, weeks=weeks))


def _woman(history: dict[str, Any], dxa: list[dict[str, Any]] | None = None,
           **lifestyle: Any) -> dict[str, Any]:
    return {"version": 1, "as_of": "2025-06-01",
            "patient": {"sex": "female", "birth_date": "1960-03-01", "height": "162 cm",
                        "weight": "62 kg", "menopausal_status": "postmenopausal"},
            "history": {"breast_cancer": True, **history},
            "medications": [{"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d",
                             "start": "2023-01-01"}],
            "dxa": dxa if dxa is not None else [
                {"date": "2025-01-05", "site": "lumbar_spine", "t_score": -1.5}],
            "lifestyle": {"training_setting": "gym", "diet_pattern": "omnivore", **lifestyle}}


CLEAR = {"vertebral_fracture": False, "prior_fragility_fractures": 0, "falls_last_12_months": 0}


def _flags(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for f in doc["exercise"]["safety"]}


def _ids(doc: dict[str, Any]) -> set[str]:
    return {rx["exercise_id"] for s in doc["exercise"]["sessions"] for rx in s["exercises"]}


def test_no_dxa_and_no_fracture_or_falls_history_is_not_read_as_clear(tmp_path: Path) -> None:
    """Review item 1: a 73-year-old woman on letrozole with no DXA and no fracture or falls history
    got high-intensity eligibility, high impact, floor deadlifts at an 8-12 RM and jump landings."""
    doc = _cli_plan(tmp_path, NO_DXA_GYM)
    screening = doc["exercise"]["screening"]
    assert screening["high_intensity_eligible"] is False
    assert screening["impact_cap"] == "low"
    assert screening["bone_status_unknown"] is True
    assert not screening["fracture_history_known"] and not screening["falls_history_known"]
    assert (HEAVY_BARBELL | HIGH_IMPACT).isdisjoint(_ids(doc))
    assert not any(p["name"] == "strength" for p in doc["exercise"]["phases"])
    flags = _flags(doc)
    bone = flags["BONE_DENSITY_UNKNOWN"]
    assert bone["message"].startswith(
        "no DXA on file: high-intensity loading waits for a bone density result")
    assert "only with screening" in bone["message"] and "§8.4" in bone["message"]
    assert {"LIFTMOR", "HBA-2025"} <= set(bone["sources"])
    assert "not read as none" in flags["FRACTURE_HISTORY_UNKNOWN"]["message"]
    assert "not read as none" in flags["FALLS_HISTORY_UNKNOWN"]["message"]
    deferred = flags["HIGH_INTENSITY_DEFERRED"]["message"]
    assert "no DXA on file" in deferred and "fracture history not recorded" in deferred
    # unknown bone density: spine-sparing as for low bone mass, vertebral fracture not ruled out
    assert {a["instead_of"] for a in doc["exercise"]["avoid"]} >= {"situp_crunch", "loaded_twist"}
    assert "VERTEBRAL_FRACTURE_UNKNOWN" in flags
    for key in ("LIFTMOR", "HBA-2025", "OSTEOTWIN"):
        assert doc["sources"][key] == SOURCES[key]


def test_known_facts_restore_high_intensity_with_the_barbell_lifts_supervised() -> None:
    """Once the facts are on file, the same woman is eligible; every barbell squat, deadlift and
    overhead press of the high-intensity track after familiarisation (build phase included) and every
    drop landing is marked supervised."""
    doc = _plan(_woman(CLEAR), weeks=16)
    assert doc["exercise"]["screening"]["high_intensity_eligible"] is True
    heavy = [rx for s in doc["exercise"]["sessions"] if s["phase"] != "familiarisation"
             for rx in s["exercises"]
             if rx["exercise_id"] in HEAVY_BARBELL | {"overhead_press", "jumping_chinup_drop"}]
    assert {rx["exercise_id"] for rx in heavy} >= HEAVY_BARBELL | {"jumping_chinup_drop"}
    assert all(rx["supervised"] for rx in heavy)
    build = [rx for s in doc["exercise"]["sessions"] if s["phase"] == "build" for rx in s["exercises"]
             if rx["exercise_id"] == "back_squat"]
    assert build and all("supervised" in rx["notes"] for rx in build)
    assert "HIGH_INTENSITY_DEFERRED" not in _flags(doc)


def test_unknown_fracture_count_or_falls_alone_hold_back_high_intensity_and_impact() -> None:
    for missing in ("prior_fragility_fractures", "falls_last_12_months"):
        history = {k: v for k, v in CLEAR.items() if k != missing}
        doc = _plan(_woman(history, dxa=[{"date": "2025-01-05", "site": "total_hip", "t_score": 0.2}]))
        screening = doc["exercise"]["screening"]
        assert not screening["high_intensity_eligible"], missing
        assert screening["impact_cap"] == "low", missing
        assert HIGH_IMPACT.isdisjoint(_ids(doc)), missing
        assert "deadlift" not in _ids(doc), missing


def test_high_intensity_deferral_names_the_reason_that_applies() -> None:
    """The deferral said "until vertebral fracture status is known" to a woman whose vertebral fracture
    was on file."""
    known = _flags(_plan(_woman({**CLEAR, "vertebral_fracture": True})))["HIGH_INTENSITY_DEFERRED"]
    assert "until vertebral fracture status is known" not in known["message"]
    assert "vertebral fracture: heavier loading only with the physiotherapist's clearance" in \
        known["message"]
    assert "not recorded" not in known["message"]
    unknown = _plan(_woman({**CLEAR, "vertebral_fracture": None},
                           dxa=[{"date": "2025-01-05", "site": "lumbar_spine", "t_score": -3.2}]))
    message = _flags(unknown)["HIGH_INTENSITY_DEFERRED"]["message"]
    assert "vertebral fracture status not recorded" in message


def test_recorded_heart_disease_hypertension_and_knee_arthritis_are_read() -> None:
    """Review item 2: free-text conditions were never read by the screening."""
    doc = _plan(_woman({**CLEAR, "conditions": ["knee osteoarthritis", "uncontrolled hypertension",
                                                "myocardial infarction 2024"]},
                       dxa=[{"date": "2025-01-05", "site": "total_hip", "t_score": -0.5}],
                       resistance_sessions_per_week=3, resistance_intensity="high"))
    ex, flags = doc["exercise"], _flags(doc)
    cardiac = flags["CARDIAC_CONDITION"]
    assert '"myocardial infarction 2024"' in cardiac["message"] and "medical clearance" in cardiac["message"]
    assert cardiac["sources"] == ["ACSM-PPS2015"]
    assert "medical clearance" in flags["UNCONTROLLED_HYPERTENSION"]["message"]
    assert '"knee osteoarthritis"' in flags["LOWER_LIMB_ARTHRITIS"]["message"]
    assert flags["LOWER_LIMB_ARTHRITIS"]["sources"] == ["ESSA"]
    # vigorous work held back: no high-intensity lifts, no vigorous walking; impact modified
    assert not ex["screening"]["high_intensity_eligible"]
    assert not ex["screening"]["vigorous_aerobic_allowed"]
    assert ex["screening"]["impact_cap"] == "low"
    assert (HIGH_IMPACT | HEAVY_BARBELL).isdisjoint(_ids(doc))
    walks = [rx for s in ex["sessions"] for rx in s["exercises"] if rx["exercise_id"] == "brisk_walk"]
    assert walks and not any("vigorous" in rx["intensity"] for rx in walks)
    deferred = flags["HIGH_INTENSITY_DEFERRED"]["message"]
    assert "myocardial infarction 2024" in deferred and "uncontrolled hypertension" in deferred
    assert ex["screening"]["conditions"] == {
        "cardiac": ["myocardial infarction 2024"], "uncontrolled_hypertension": ["uncontrolled hypertension"],
        "metabolic_or_renal": [], "knee_or_hip_arthritis": ["knee osteoarthritis"],
        "no_clearance_needed": [], "not_assessed": []}
    assert doc["sources"]["ACSM-PPS2015"].startswith("Riebe D, Franklin BA, Thompson PD, et al. Updating "
                                                     "ACSM's Recommendations for Exercise Preparticipation")


def test_heart_disease_without_current_training_needs_clearance_before_any_exercise() -> None:
    doc = _plan(_woman({**CLEAR, "conditions": ["stable angina"]}))
    message = _flags(doc)["CARDIAC_CONDITION"]["message"]
    assert "before starting any exercise" in message


def test_conditions_the_screening_cannot_read_are_listed_with_clearance_advice() -> None:
    doc = _plan(_woman({**CLEAR, "conditions": ["kidney stones", "Crohn's disease"]}))
    flag = _flags(doc)["CONDITIONS_NOT_ASSESSED"]
    assert '"kidney stones", "Crohn\'s disease"' in flag["message"]
    assert "medical clearance before moderate-to-vigorous exercise" in flag["message"]
    assert "ACSM-PPS2015" in flag["sources"]
    assert doc["exercise"]["screening"]["conditions"]["not_assessed"] == [
        "kidney stones", "Crohn's disease"]
    assert not doc["exercise"]["screening"]["high_intensity_eligible"]


def test_chronic_kidney_disease_is_known_renal_disease_that_needs_clearance() -> None:
    """ACSM 2015: known renal disease needs medical clearance (kidney stones are not renal disease in
    its sense, and stay among the conditions the screen does not assess)."""
    doc = _plan(_woman({**CLEAR, "conditions": ["chronic kidney disease stage 4", "kidney stones"]}))
    flags, screening = _flags(doc), doc["exercise"]["screening"]
    renal = flags["METABOLIC_OR_RENAL_DISEASE"]
    assert '"chronic kidney disease stage 4"' in renal["message"] and "medical clearance" in renal["message"]
    assert renal["sources"] == ["ACSM-PPS2015"]
    assert screening["conditions"]["metabolic_or_renal"] == ["chronic kidney disease stage 4"]
    assert screening["conditions"]["not_assessed"] == ["kidney stones"]
    assert not screening["high_intensity_eligible"] and not screening["vigorous_aerobic_allowed"]


FRAIL_85 = """\
version: 1
as_of: 2025-06-01
patient: {id: frail85, sex: female, birth_date: 1940-01-15, height: 152 cm, weight: 48 kg,
          menopausal_status: postmenopausal}
history: {prior_fragility_fractures: 1, falls_last_12_months: 3, vertebral_fracture: true,
          breast_cancer: true}
medications:
  - {drug: letrozole, dose: 2.5 mg, route: oral, every: 1 d, start: 2022-01-01}
dxa:
  - {date: 2025-01-05, site: lumbar_spine, t_score: -3.0}
lifestyle: {resistance_sessions_per_week: 0, impact_sessions_per_week: 0, training_setting: gym}
"""


def _week_minutes(doc: dict[str, Any], week: int, ids: set[str]) -> float:
    return sum(rx["duration_min"] or 0 for s in doc["exercise"]["sessions"] if s["week"] == week
               for rx in s["exercises"] if rx["exercise_id"] in ids)


def test_frail_older_beginner_starts_at_a_lower_volume_and_builds_up() -> None:
    """Review item 4: an 85-year-old with falls and fractures got 150 min aerobic (45-min walks) and
    6 × 20 min balance from week 1."""
    doc = plan_document(build_personal_plan(parse_patient_document(parse_text(FRAIL_85, source="test")), weeks=8))
    walking = {"brisk_walk", "stair_climb", "jog_intervals"}
    balance = {"static_balance", "weight_shift", "tandem_walk", "tai_chi"}
    assert [_week_minutes(doc, w, walking) for w in (1, 2, 3, 4, 5, 8)] == [70, 70, 100, 100, 150, 150]
    assert [_week_minutes(doc, w, balance) for w in (1, 3, 5)] == [60, 90, 120]
    longest = max(rx["duration_min"] or 0 for s in doc["exercise"]["sessions"] if s["week"] == 1
                  for rx in s["exercises"] if rx["exercise_id"] == "brisk_walk")
    assert longest == 20
    week1 = [rx for s in doc["exercise"]["sessions"] if s["week"] == 1
             and s["kind"] == "resistance_impact" for rx in s["exercises"] if rx["sets"]]
    assert week1 and all(rx["sets"] == 1 for rx in week1)
    rule = doc["exercise"]["progression_rules"][0]
    assert rule["rule"].startswith("lower start (age 85; a fall in the last 12 months")
    assert "weeks 1-2" in rule["rule"] and "from week 5 the full week" in rule["rule"]
    assert {"TTFF14", "HBA-2025"} <= set(rule["sources"])
    assert [r["weeks"] for r in doc["exercise"]["volume_ramp"]] == [[1, 2], [3, 4]]
    assert doc["exercise"]["weekly_weight_bearing_aerobic_minutes"] == 150


def test_a_trained_younger_person_keeps_the_full_week_from_week_one() -> None:
    doc = _plan(_woman(CLEAR, resistance_sessions_per_week=2, resistance_intensity="moderate",
                       weight_bearing_aerobic_minutes_per_week=200), weeks=4)
    assert doc["exercise"]["volume_ramp"] == []
    assert _week_minutes(doc, 1, {"brisk_walk", "stair_climb", "jog_intervals"}) == 150


def test_a_runner_is_told_to_keep_running_beside_the_program() -> None:
    """A 45-year-old who runs (200 min a week, 3 impact sessions) had her running silently replaced
    by the program's walks: the program is a minimum alongside what she does."""
    from osteotwin.plan.exercise.program import build_program
    from osteotwin.plan.exercise.screening import screen
    from osteotwin.records import parse_patient_document

    doc = {"version": 1, "as_of": "2025-06-01",
           "patient": {"sex": "female", "birth_date": "1980-03-01", "menopausal_status": "premenopausal"},
           "history": {"vertebral_fracture": False, "prior_fragility_fractures": 0, "falls_last_12_months": 0},
           "dxa": [{"date": "2025-01-05", "site": "lumbar_spine", "t_score": -0.4}],
           "lifestyle": {"weight_bearing_aerobic_minutes_per_week": 200, "impact_sessions_per_week": 3}}
    record = parse_patient_document(doc)
    rules = build_program(screen(record, record.as_of), 4).progression_rules
    keep = rules[0]
    assert keep.rule.startswith("keep what you already do (200 min a week of weight-bearing aerobic "
                                "activity; 3 impact sessions a week (e.g. running))")
    assert "ACSM04" in keep.sources
    idle = {**doc, "lifestyle": {"weight_bearing_aerobic_minutes_per_week": 60}}
    idle_record = parse_patient_document(idle)
    assert not any(r.rule.startswith("keep what you already do")
                   for r in build_program(screen(idle_record, idle_record.as_of), 4).progression_rules)
