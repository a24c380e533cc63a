"""One positive and one negative case (at least) for every finding and action code.

Cases are written from the guideline thresholds (../shared/data/guidelines/guidelines_risk.md), not
from the engine's output: each says which codes must appear and which must not.
"""

from __future__ import annotations

from typing import Any

import pytest

from osteotwin.vocabulary import action_codes, finding_codes
from tests.clinic.builders import (
    ALENDRONATE,
    ANASTROZOLE,
    BASE,
    LETROZOLE,
    TESTOSTERONE,
    birth_date_for,
    codes,
    days_ago,
    e2,
    hip_spine,
    lab,
    make,
    med,
    run,
    scan,
    total_t,
    vitd,
)

MAN_ON_AI = {"sex": "male", "age": 55, "medications": [TESTOSTERONE, ANASTROZOLE]}
WOMAN_BC = {"sex": "female", "age": 62, "status": "postmenopausal",
            "history": {"breast_cancer": True}, "medications": [LETROZOLE]}
RECENT_DXA = hip_spine(-0.5, 200)

# (id, document, codes that must appear, codes that must not)
CASES: list[tuple[str, dict[str, Any], set[str], set[str]]] = [
    # --- estradiol
    ("e2 low man on AI", make(**MAN_ON_AI, labs=[e2(12), total_t(600)]),
     {"ESTRADIOL_LOW", "REVIEW_AROMATASE_INHIBITOR"}, {"ESTRADIOL_HIGH", "ESTRADIOL_NOT_MEASURED"}),
    ("e2 very low man", make(sex="male", age=60, labs=[e2(7)]), {"ESTRADIOL_LOW"}, set()),
    ("e2 normal man", make(sex="male", age=60, labs=[e2(25)]), set(),
     {"ESTRADIOL_LOW", "ESTRADIOL_HIGH"}),
    ("e2 suppressed woman on AI for breast cancer", make(**WOMAN_BC, labs=[e2(2)], dxa=RECENT_DXA),
     set(), {"ESTRADIOL_LOW", "ESTRADIOL_NOT_MEASURED", "AI_USE_IN_MEN",
             "REVIEW_AROMATASE_INHIBITOR"}),
    ("e2 high man", make(sex="male", age=50, labs=[e2(60)]), {"ESTRADIOL_HIGH"}, {"ESTRADIOL_LOW"}),
    ("e2 high woman on AI", make(**WOMAN_BC, labs=[e2(45)], dxa=RECENT_DXA),
     {"ESTRADIOL_HIGH", "CHECK_ESTRADIOL", "REVIEW_AROMATASE_INHIBITOR"}, {"ESTRADIOL_LOW"}),
    ("e2 not measured man on AI", make(**MAN_ON_AI, labs=[total_t(600)]),
     {"ESTRADIOL_NOT_MEASURED", "CHECK_ESTRADIOL"}, {"ESTRADIOL_LOW"}),
    ("e2 stale man on AI", make(**MAN_ON_AI, labs=[e2(25, 500), total_t(600)]),
     {"ESTRADIOL_NOT_MEASURED", "CHECK_ESTRADIOL"}, set()),
    ("e2 recent man on AI", make(**MAN_ON_AI, labs=[e2(25), total_t(600)]), set(),
     {"ESTRADIOL_NOT_MEASURED", "CHECK_ESTRADIOL", "ESTRADIOL_LOW"}),
    ("e2 not needed postmenopausal woman on AI", make(**WOMAN_BC, dxa=RECENT_DXA), set(),
     {"ESTRADIOL_NOT_MEASURED", "CHECK_ESTRADIOL"}),
    ("e2 needed premenopausal woman on AI with goserelin",
     make(sex="female", age=42, status="premenopausal", history={"breast_cancer": True},
          medications=[ANASTROZOLE, med("goserelin", "3.6 mg", "28 d", route="subcutaneous")],
          dxa=RECENT_DXA),
     {"ESTRADIOL_NOT_MEASURED", "CHECK_ESTRADIOL"}, {"ESTRADIOL_LOW",
                                                      "AI_WITHOUT_OVARIAN_SUPPRESSION"}),
    ("e2 not by mass spectrometry", make(sex="male", age=60, labs=[e2(25, method="immunoassay")]),
     {"ESTRADIOL_METHOD_NOT_MASS_SPEC", "CHECK_ESTRADIOL"}, set()),
    ("e2 method not recorded", make(sex="male", age=60, labs=[e2(25, method=None)]),
     {"ESTRADIOL_METHOD_NOT_MASS_SPEC"}, set()),
    ("e2 by LC-MS/MS", make(sex="male", age=60, labs=[e2(25)]), set(),
     {"ESTRADIOL_METHOD_NOT_MASS_SPEC", "CHECK_ESTRADIOL"}),
    # --- testosterone
    ("t low", make(sex="male", age=50, labs=[total_t(250)]),
     {"TESTOSTERONE_LOW", "CHECK_TESTOSTERONE"}, {"TESTOSTERONE_HIGH"}),
    ("t normal", make(sex="male", age=50, labs=[total_t(550)]), set(),
     {"TESTOSTERONE_LOW", "TESTOSTERONE_HIGH", "CHECK_TESTOSTERONE"}),
    ("t low on therapy", make(sex="male", age=50, medications=[TESTOSTERONE],
                              labs=[total_t(220)]),
     {"TESTOSTERONE_LOW", "REVIEW_TESTOSTERONE_THERAPY"}, set()),
    ("t in a woman is not judged", make(sex="female", age=45, labs=[total_t(20)]), set(),
     {"TESTOSTERONE_LOW"}),
    ("t high on therapy", make(sex="male", age=50, medications=[TESTOSTERONE],
                               labs=[total_t(1200)]),
     {"TESTOSTERONE_HIGH", "REVIEW_TESTOSTERONE_THERAPY"}, {"TESTOSTERONE_LOW"}),
    ("t mid-range on therapy", make(sex="male", age=50, medications=[TESTOSTERONE],
                                    labs=[total_t(650)]), set(),
     {"TESTOSTERONE_HIGH", "REVIEW_TESTOSTERONE_THERAPY", "TESTOSTERONE_NOT_MEASURED"}),
    ("t high without therapy", make(sex="male", age=30, labs=[total_t(1000)]), set(),
     {"TESTOSTERONE_HIGH"}),
    ("t not measured on therapy", make(sex="male", age=50, medications=[TESTOSTERONE]),
     {"TESTOSTERONE_NOT_MEASURED", "CHECK_TESTOSTERONE"}, set()),
    # --- vitamin D
    ("vit d deficient", make(labs=[vitd(15)]), {"VITAMIN_D_DEFICIENT", "START_VITAMIN_D"},
     {"VITAMIN_D_INSUFFICIENT"}),
    ("vit d insufficient", make(labs=[vitd(25)]), {"VITAMIN_D_INSUFFICIENT", "START_VITAMIN_D"},
     {"VITAMIN_D_DEFICIENT", "VITAMIN_D_BELOW_AI_TARGET"}),
    ("vit d sufficient", make(labs=[vitd(35)]), set(),
     {"VITAMIN_D_DEFICIENT", "VITAMIN_D_INSUFFICIENT", "START_VITAMIN_D", "CHECK_VITAMIN_D"}),
    ("vit d below AI target", make(**WOMAN_BC, labs=[vitd(35)], dxa=RECENT_DXA),
     {"VITAMIN_D_BELOW_AI_TARGET", "START_VITAMIN_D"}, {"VITAMIN_D_INSUFFICIENT"}),
    ("vit d at AI target", make(**WOMAN_BC, labs=[vitd(45)], dxa=RECENT_DXA,
                                lifestyle={"supplements": [
                                    {"name": "vitamin_d3", "dose": "1000 IU/d"}]}), set(),
     {"VITAMIN_D_BELOW_AI_TARGET", "START_VITAMIN_D", "VITAMIN_D_NOT_MEASURED"}),
    ("vit d not measured on AI", make(**WOMAN_BC, dxa=RECENT_DXA),
     {"VITAMIN_D_NOT_MEASURED", "CHECK_VITAMIN_D"}, set()),
    ("vit d not needed without indication", make(), set(),
     {"VITAMIN_D_NOT_MEASURED", "CHECK_VITAMIN_D"}),
    ("vit d intake excessive", make(lifestyle={"supplements": [
        {"name": "vitamin_d3", "dose": "5000 IU/d"}]}),
     {"VITAMIN_D_INTAKE_EXCESSIVE", "REDUCE_VITAMIN_D"}, {"START_VITAMIN_D"}),
    ("vit d intake within UL", make(lifestyle={"supplements": [
        {"name": "vitamin_d3", "dose": "2000 IU/d"}]}), set(),
     {"VITAMIN_D_INTAKE_EXCESSIVE", "REDUCE_VITAMIN_D"}),
    ("vit d level high", make(labs=[vitd(120)]), {"VITAMIN_D_HIGH", "REDUCE_VITAMIN_D"},
     {"VITAMIN_D_DEFICIENT", "START_VITAMIN_D"}),
    ("vit d level 50", make(labs=[vitd(50)]), set(), {"VITAMIN_D_HIGH", "REDUCE_VITAMIN_D"}),
    ("vit d level high but old", make(labs=[lab("vitamin_d_25oh", 120, "ng/mL", 400)]), set(),
     {"VITAMIN_D_HIGH", "REDUCE_VITAMIN_D"}),
    # --- calcium and protein
    ("calcium low woman 60", make(sex="female", age=60, dxa=RECENT_DXA, lifestyle={
        "dietary_calcium": "800 mg/d",
        "supplements": [{"name": "calcium_citrate", "dose": "200 mg/d"}]}),
     {"CALCIUM_INTAKE_LOW", "INCREASE_CALCIUM_INTAKE"}, {"CALCIUM_INTAKE_EXCESSIVE"}),
    ("calcium adequate man 60", make(sex="male", age=60, lifestyle={
        "dietary_calcium": "800 mg/d",
        "supplements": [{"name": "calcium_citrate", "dose": "200 mg/d"}]}), set(),
     {"CALCIUM_INTAKE_LOW", "INCREASE_CALCIUM_INTAKE"}),
    ("calcium excessive at 60", make(sex="male", age=60, lifestyle={
        "dietary_calcium": "1200 mg/d",
        "supplements": [{"name": "calcium_carbonate", "dose": "1000 mg/d"}]}),
     {"CALCIUM_INTAKE_EXCESSIVE", "REDUCE_CALCIUM_SUPPLEMENT"}, {"CALCIUM_INTAKE_LOW"}),
    ("calcium high but under UL at 45", make(lifestyle={
        "dietary_calcium": "1200 mg/d",
        "supplements": [{"name": "calcium_carbonate", "dose": "1000 mg/d"}]}), set(),
     {"CALCIUM_INTAKE_EXCESSIVE", "REDUCE_CALCIUM_SUPPLEMENT"}),
    ("calcium excessive from food only", make(sex="male", age=60,
                                              lifestyle={"dietary_calcium": "2300 mg/d"}),
     {"CALCIUM_INTAKE_EXCESSIVE"}, {"REDUCE_CALCIUM_SUPPLEMENT"}),
    ("calcium food not recorded", make(drop_lifestyle=("dietary_calcium",)),
     {"CALCIUM_INTAKE_NOT_RECORDED"}, {"CALCIUM_INTAKE_LOW", "INCREASE_CALCIUM_INTAKE"}),
    ("protein low", make(lifestyle={"protein": "0.7 g/kg/d"}),
     {"PROTEIN_INTAKE_LOW", "INCREASE_PROTEIN_INTAKE"}, set()),
    ("protein adequate under 65", make(lifestyle={"protein": "0.9 g/kg/d"}), set(),
     {"PROTEIN_INTAKE_LOW", "INCREASE_PROTEIN_INTAKE"}),
    ("protein low for 70", make(sex="male", age=72, dxa=RECENT_DXA,
                                lifestyle={"protein": "0.9 g/kg/d"}),
     {"PROTEIN_INTAKE_LOW"}, set()),
    ("protein not recorded", make(drop_lifestyle=("protein",)), {"PROTEIN_INTAKE_NOT_RECORDED"},
     {"PROTEIN_INTAKE_LOW"}),
    # --- BMD
    ("bmd normal", make(sex="male", age=55, dxa=hip_spine(-0.5)), {"BMD_NORMAL"},
     {"BMD_LOW", "BMD_OSTEOPOROSIS", "DISCUSS_ANTIRESORPTIVE"}),
    ("bmd T exactly -1.0 is normal", make(sex="male", age=55, dxa=[scan("total_hip", t=-1.0)]),
     {"BMD_NORMAL"}, {"BMD_LOW"}),
    ("bmd low", make(sex="male", age=55, dxa=hip_spine(-1.8)), {"BMD_LOW"},
     {"BMD_NORMAL", "BMD_OSTEOPOROSIS", "SUPERVISED_EXERCISE", "AVOID_LOADED_SPINAL_FLEXION",
      "REFER_SPECIALIST"}),
    ("bmd low by Z in a young man", make(sex="male", age=40, dxa=[scan("lumbar_spine", t=-2.6,
                                                                     z=-2.3)]),
     {"BMD_LOW", "REFER_SPECIALIST"}, {"BMD_OSTEOPOROSIS", "BMD_NORMAL"}),
    ("Z normal in a young man despite low T", make(sex="male", age=40,
                                                   dxa=[scan("lumbar_spine", t=-2.2, z=-1.0)]),
     {"BMD_NORMAL"}, {"BMD_LOW", "BMD_OSTEOPOROSIS"}),
    ("bmd osteoporosis", make(sex="female", age=66, dxa=hip_spine(-2.7)),
     {"BMD_OSTEOPOROSIS", "DISCUSS_ANTIRESORPTIVE", "SUPERVISED_EXERCISE",
      "AVOID_LOADED_SPINAL_FLEXION", "CHECK_CALCIUM_AND_RENAL"}, {"BMD_LOW", "BMD_NORMAL"}),
    ("T exactly -2.5 is osteoporosis", make(sex="male", age=60, dxa=[scan("total_hip", t=-2.5)]),
     {"BMD_OSTEOPOROSIS"}, {"BMD_LOW"}),
    ("vertebral fracture means osteoporosis", make(sex="female", age=66, dxa=hip_spine(-1.2),
                                                   history={"vertebral_fracture": True}),
     {"BMD_OSTEOPOROSIS", "PRIOR_FRAGILITY_FRACTURE", "FRACTURE_RISK_HIGH",
      "DISCUSS_ANTIRESORPTIVE"}, {"BMD_LOW", "ADD_IMPACT_TRAINING"}),
    ("bmd significant loss", make(sex="male", age=60, dxa=[
        scan("lumbar_spine", bmd=1.000, t=-0.8, age_days=800),
        scan("lumbar_spine", bmd=0.930, t=-1.4, age_days=60)]),
     {"BMD_SIGNIFICANT_LOSS", "CHECK_BONE_TURNOVER_MARKERS"}, set()),
    ("bmd change within LSC", make(sex="male", age=60, dxa=[
        scan("lumbar_spine", bmd=1.000, t=-0.8, age_days=800),
        scan("lumbar_spine", bmd=0.970, t=-1.0, age_days=60)]), set(),
     {"BMD_SIGNIFICANT_LOSS", "CHECK_BONE_TURNOVER_MARKERS"}),
    ("bmd loss across manufacturers not compared", make(sex="male", age=60, dxa=[
        scan("lumbar_spine", bmd=1.100, t=-0.8, age_days=800, device="lunar"),
        scan("lumbar_spine", bmd=0.990, t=-1.0, age_days=60, device="hologic")]), set(),
     {"BMD_SIGNIFICANT_LOSS"}),
    ("loss despite antiresorptive", make(sex="female", age=70, medications=[ALENDRONATE], dxa=[
        scan("lumbar_spine", bmd=0.900, t=-2.2, age_days=800),
        scan("lumbar_spine", bmd=0.830, t=-2.8, age_days=60)]),
     {"BMD_SIGNIFICANT_LOSS", "REFER_SPECIALIST"}, {"DISCUSS_ANTIRESORPTIVE"}),
    # --- DXA monitoring
    ("dxa missing woman 66", make(sex="female", age=66), {"DXA_MISSING", "ORDER_DXA"},
     {"DXA_OVERDUE"}),
    ("dxa missing man on AI", make(**MAN_ON_AI, labs=[e2(25), total_t(600)]),
     {"DXA_MISSING", "ORDER_DXA"}, set()),
    ("dxa not indicated young man", make(), set(), {"DXA_MISSING", "ORDER_DXA", "DXA_OVERDUE"}),
    ("dxa not indicated woman 55 no risk factors", make(sex="female", age=55), set(),
     {"DXA_MISSING", "ORDER_DXA"}),
    ("dxa indicated woman 55 who smokes", make(sex="female", age=55,
                                               history={"smoking": "current"}),
     {"DXA_MISSING", "ORDER_DXA", "SMOKING_CURRENT", "SMOKING_CESSATION"}, set()),
    ("dxa recent woman 66", make(sex="female", age=66, dxa=RECENT_DXA), set(),
     {"DXA_MISSING", "DXA_OVERDUE", "ORDER_DXA"}),
    ("dxa overdue on AI", make(**WOMAN_BC, dxa=hip_spine(-0.5, 3 * 365)),
     {"DXA_OVERDUE", "ORDER_DXA"}, {"DXA_MISSING"}),
    ("dxa within 2 years on AI", make(**WOMAN_BC, dxa=hip_spine(-0.5, 365)), set(),
     {"DXA_OVERDUE", "DXA_MISSING", "ORDER_DXA"}),
    # --- fracture risk
    ("frax high by MOF", make(sex="female", age=70, dxa=hip_spine(-1.6, 200),
                              frax={"tool": "FRAX", "major_osteoporotic_10y_pct": 25,
                                    "hip_10y_pct": 2.0}),
     {"FRACTURE_RISK_HIGH", "DISCUSS_ANTIRESORPTIVE"},
     {"FRACTURE_RISK_MODERATE", "FRACTURE_RISK_LOW", "FRACTURE_RISK_NOT_ESTIMATED"}),
    # BHOF 2022: the FRAX thresholds apply to low bone mass, not to normal BMD.
    ("frax high with normal bmd", make(sex="female", age=70, dxa=RECENT_DXA,
                                       frax={"tool": "FRAX", "major_osteoporotic_10y_pct": 25,
                                             "hip_10y_pct": 2.0}),
     {"FRACTURE_RISK_HIGH", "BMD_NORMAL"},
     {"DISCUSS_ANTIRESORPTIVE", "SUPERVISED_EXERCISE", "AVOID_LOADED_SPINAL_FLEXION"}),
    ("frax high by hip", make(sex="male", age=75, dxa=hip_spine(-2.0),
                              frax={"tool": "FRAX", "major_osteoporotic_10y_pct": 12,
                                    "hip_10y_pct": 3.5}),
     {"FRACTURE_RISK_HIGH", "DISCUSS_ANTIRESORPTIVE"}, {"FRACTURE_RISK_MODERATE"}),
    ("frax moderate", make(sex="male", age=72, dxa=hip_spine(-1.5),
                           frax={"tool": "FRAX", "major_osteoporotic_10y_pct": 15,
                                 "hip_10y_pct": 1.5}),
     {"FRACTURE_RISK_MODERATE"}, {"FRACTURE_RISK_HIGH", "FRACTURE_RISK_LOW",
                                  "DISCUSS_ANTIRESORPTIVE"}),
    ("frax low", make(sex="male", age=72, dxa=hip_spine(-0.5),
                      frax={"tool": "FRAX", "major_osteoporotic_10y_pct": 6, "hip_10y_pct": 0.5}),
     {"FRACTURE_RISK_LOW"}, {"FRACTURE_RISK_HIGH", "FRACTURE_RISK_MODERATE",
                             "FRACTURE_RISK_NOT_ESTIMATED"}),
    ("two fractures are high risk", make(sex="male", age=72, dxa=hip_spine(-1.2),
                                         history={"prior_fragility_fractures": 2}),
     {"FRACTURE_RISK_HIGH", "PRIOR_FRAGILITY_FRACTURE", "DISCUSS_ANTIRESORPTIVE"},
     {"FRACTURE_RISK_NOT_ESTIMATED"}),
    ("no model for a man without FRAX", make(), {"FRACTURE_RISK_NOT_ESTIMATED"},
     {"FRACTURE_RISK_LOW", "FRACTURE_RISK_HIGH", "FRACTURE_RISK_MODERATE"}),
    ("garvan estimates a woman over 60", make(sex="female", age=70, dxa=hip_spine(-1.0)),
     {"FRACTURE_RISK_MODERATE"}, {"FRACTURE_RISK_NOT_ESTIMATED"}),
    # --- history and lifestyle
    ("one prior fracture", make(sex="male", age=60, history={"prior_fragility_fractures": 1},
                                dxa=hip_spine(-1.6)),
     {"PRIOR_FRAGILITY_FRACTURE", "DISCUSS_ANTIRESORPTIVE", "SUPERVISED_EXERCISE"},
     {"FRACTURE_RISK_HIGH"}),
    ("no prior fracture", make(), set(), {"PRIOR_FRAGILITY_FRACTURE"}),
    ("complete record", make(), set(), {"CALCIUM_INTAKE_NOT_RECORDED", "EXERCISE_NOT_RECORDED",
                                        "PROTEIN_INTAKE_NOT_RECORDED"}),
    ("falls", make(history={"falls_last_12_months": 2}),
     {"FALL_RISK", "FALL_PREVENTION", "ADD_BALANCE_TRAINING"}, set()),
    ("no falls", make(), set(), {"FALL_RISK", "FALL_PREVENTION", "ADD_BALANCE_TRAINING"}),
    ("balance from 65", make(sex="male", age=68, dxa=RECENT_DXA), {"ADD_BALANCE_TRAINING"},
     {"FALL_PREVENTION"}),
    ("former smoker", make(history={"smoking": "former"}), set(),
     {"SMOKING_CURRENT", "SMOKING_CESSATION"}),
    ("alcohol 3 units a day", make(history={"alcohol_units_per_week": 21}),
     {"ALCOHOL_EXCESS", "LIMIT_ALCOHOL"}, set()),
    ("alcohol 2 units a day", make(history={"alcohol_units_per_week": 14}), set(),
     {"ALCOHOL_EXCESS", "LIMIT_ALCOHOL"}),
    ("glucocorticoids", make(history={"glucocorticoids": True}),
     {"GLUCOCORTICOID_EXPOSURE", "DXA_MISSING", "ORDER_DXA", "VITAMIN_D_NOT_MEASURED"}, set()),
    ("no glucocorticoids", make(), set(), {"GLUCOCORTICOID_EXPOSURE"}),
    ("short sleep", make(lifestyle={"sleep_hours": 6}), {"SLEEP_SHORT", "IMPROVE_SLEEP"}, set()),
    ("7 hours sleep", make(lifestyle={"sleep_hours": 7}), set(), {"SLEEP_SHORT", "IMPROVE_SLEEP"}),
    ("GH secretagogue", make(medications=[med("ipamorelin", "0.3 mg", route="subcutaneous")]),
     {"LOW_EVIDENCE_THERAPY"}, set()),
    ("GH secretagogue stopped", make(medications=[
        med("ipamorelin", "0.3 mg", route="subcutaneous", stop=days_ago(100))]), set(),
     {"LOW_EVIDENCE_THERAPY"}),
    # --- exercise
    ("resistance once a week", make(lifestyle={"resistance_sessions_per_week": 1}),
     {"RESISTANCE_TRAINING_INSUFFICIENT", "START_RESISTANCE_TRAINING"}, set()),
    ("resistance light", make(lifestyle={"resistance_intensity": "light"}),
     {"RESISTANCE_TRAINING_INSUFFICIENT", "START_RESISTANCE_TRAINING"}, set()),
    ("resistance twice moderate", make(lifestyle={"resistance_sessions_per_week": 2,
                                                  "resistance_intensity": "moderate"}), set(),
     {"RESISTANCE_TRAINING_INSUFFICIENT", "START_RESISTANCE_TRAINING"}),
    ("no impact", make(lifestyle={"impact_sessions_per_week": 0}),
     {"IMPACT_TRAINING_ABSENT", "ADD_IMPACT_TRAINING"}, set()),
    ("aerobic 90 min", make(lifestyle={"weight_bearing_aerobic_minutes_per_week": 90}),
     {"AEROBIC_WEIGHT_BEARING_INSUFFICIENT", "INCREASE_WEIGHT_BEARING_AEROBIC"}, set()),
    ("aerobic 150 min", make(lifestyle={"weight_bearing_aerobic_minutes_per_week": 150}), set(),
     {"AEROBIC_WEIGHT_BEARING_INSUFFICIENT", "INCREASE_WEIGHT_BEARING_AEROBIC"}),
    ("exercise not recorded", make(drop_lifestyle=(
        "resistance_sessions_per_week", "resistance_intensity", "impact_sessions_per_week",
        "weight_bearing_aerobic_minutes_per_week")),
     {"EXERCISE_NOT_RECORDED"}, {"RESISTANCE_TRAINING_INSUFFICIENT", "IMPACT_TRAINING_ABSENT"}),
    # --- a hip fracture named in the free-text conditions (no fracture-site field in the file)
    ("hip fracture in conditions, normal BMD",
     make(sex="female", age=70, history={"prior_fragility_fractures": 1,
                                         "conditions": ["hip fracture 2024, fall from standing"]},
          dxa=hip_spine(-0.9)),
     {"HIP_FRACTURE_IN_CONDITIONS", "DISCUSS_ANTIRESORPTIVE"}, {"BMD_OSTEOPOROSIS"}),
    ("no hip fracture in conditions",
     make(sex="female", age=70, history={"prior_fragility_fractures": 1,
                                         "conditions": ["no hip fracture; wrist fracture 2022"]},
          dxa=hip_spine(-0.9)),
     set(), {"HIP_FRACTURE_IN_CONDITIONS"}),
    # --- aromatase inhibitors: men, and the AIBL algorithm for women
    ("AI in a man", make(**MAN_ON_AI, labs=[e2(22), total_t(600)]),
     {"AI_USE_IN_MEN", "REVIEW_AROMATASE_INHIBITOR"}, {"ESTRADIOL_LOW"}),
    ("AI stopped in a man", make(sex="male", age=55, medications=[
        med("anastrozole", "0.5 mg", "3.5 d", stop=days_ago(200))]), set(),
     {"AI_USE_IN_MEN", "REVIEW_AROMATASE_INHIBITOR"}),
    ("AIBL T below -2.0", make(**WOMAN_BC, dxa=hip_spine(-2.1)),
     {"DISCUSS_ANTIRESORPTIVE", "CHECK_CALCIUM_AND_RENAL"}, {"BMD_OSTEOPOROSIS"}),
    ("AIBL two risk factors", make(sex="female", age=67, status="postmenopausal",
                                   history={"breast_cancer": True}, medications=[LETROZOLE],
                                   dxa=hip_spine(-1.6)),
     {"DISCUSS_ANTIRESORPTIVE"}, set()),
    ("AIBL no risk factors", make(**WOMAN_BC, dxa=hip_spine(-1.2)), set(),
     {"DISCUSS_ANTIRESORPTIVE", "CHECK_CALCIUM_AND_RENAL"}),
    ("already on an antiresorptive", make(sex="female", age=70, medications=[ALENDRONATE],
                                          dxa=hip_spine(-2.7),
                                          labs=[lab("calcium", 9.5, "mg/dL"),
                                                lab("egfr", 80, "mL/min/1.73m2")]),
     {"BMD_OSTEOPOROSIS"}, {"DISCUSS_ANTIRESORPTIVE", "CHECK_CALCIUM_AND_RENAL"}),
    # --- denosumab: a stop without a bisphosphonate after it, and the next dose on time
    ("denosumab stopped, nothing after it",
     make(sex="female", age=68, medications=[
         med("denosumab", "60 mg", "6 mo", start_days_ago=900, stop=days_ago(300),
             route="subcutaneous")]),
     {"DENOSUMAB_STOPPED", "DISCUSS_DENOSUMAB_TRANSITION"}, {"DENOSUMAB_DOSE_DUE"}),
    ("denosumab stopped, zoledronic acid after it",
     make(sex="female", age=68, medications=[
         med("denosumab", "60 mg", "6 mo", start_days_ago=900, stop=days_ago(300),
             route="subcutaneous"),
         med("zoledronic_acid", "5 mg", "1 y", start_days_ago=200, route="intravenous")]),
     set(), {"DENOSUMAB_STOPPED", "DISCUSS_DENOSUMAB_TRANSITION"}),
    ("denosumab ongoing", make(sex="female", age=68, medications=[
        med("denosumab", "60 mg", "6 mo", start_days_ago=900, route="subcutaneous")]),
     {"DENOSUMAB_DOSE_DUE"}, {"DENOSUMAB_STOPPED", "DISCUSS_DENOSUMAB_TRANSITION",
                              "DISCUSS_ANTIRESORPTIVE"}),
    ("denosumab stopped after a dose 35 days ago",
     make(sex="female", age=68, medications=[
         med("denosumab", "60 mg", "6 mo", start_days_ago=400, stop=days_ago(30),
             route="subcutaneous")]),
     {"DENOSUMAB_STOPPED", "DISCUSS_DENOSUMAB_TRANSITION"}, {"DENOSUMAB_DOSE_DUE"}),
    # --- bisphosphonate course length (review after 5 years oral, 3 years intravenous)
    ("alendronate 6 years", make(sex="female", age=70, medications=[
        med("alendronate", "70 mg", "7 d", start_days_ago=6 * 365)]),
     {"REVIEW_BISPHOSPHONATE_DURATION"}, set()),
    ("alendronate 2 years", make(sex="female", age=70, medications=[
        med("alendronate", "70 mg", "7 d", start_days_ago=2 * 365)]),
     set(), {"REVIEW_BISPHOSPHONATE_DURATION"}),
    ("zoledronic acid 3.5 years", make(sex="female", age=70, medications=[
        med("zoledronic_acid", "5 mg", "1 y", start_days_ago=1280, route="intravenous")]),
     {"REVIEW_BISPHOSPHONATE_DURATION"}, set()),
    ("alendronate stopped after 6 years", make(sex="female", age=70, medications=[
        med("alendronate", "70 mg", "7 d", start_days_ago=8 * 365, stop=days_ago(2 * 365))]),
     set(), {"REVIEW_BISPHOSPHONATE_DURATION"}),
    # --- kidney function and antiresorptive choice (labels; FDA 2024 on denosumab)
    ("eGFR 28 on alendronate", make(sex="female", age=78, medications=[ALENDRONATE],
                                    labs=[lab("egfr", 28, "mL/min/1.73m2")]),
     {"KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE"}, set()),
    ("eGFR 28 without a bone indication", make(sex="male", age=55,
                                               labs=[lab("egfr", 28, "mL/min/1.73m2")]),
     set(), {"KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE"}),
    ("eGFR 60 on alendronate", make(sex="female", age=70, medications=[ALENDRONATE],
                                    labs=[lab("egfr", 60, "mL/min/1.73m2")]),
     set(), {"KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE"}),
    # --- an aromatase inhibitor before an established menopause needs ovarian suppression
    ("premenopausal woman on letrozole alone",
     make(sex="female", age=44, status="premenopausal", history={"breast_cancer": True},
          medications=[LETROZOLE], labs=[e2(20)]),
     {"AI_WITHOUT_OVARIAN_SUPPRESSION", "REVIEW_AROMATASE_INHIBITOR"}, set()),
    ("woman of 52, status not recorded, on letrozole alone",
     {**make(sex="female", age=52, history={"breast_cancer": True}, medications=[LETROZOLE],
             labs=[e2(3)]),
      "patient": {**BASE["patient"], "sex": "female", "birth_date": birth_date_for(52)}},
     {"AI_WITHOUT_OVARIAN_SUPPRESSION"}, set()),
    ("woman of 62, status not recorded, on letrozole alone",
     {**make(sex="female", age=62, history={"breast_cancer": True}, medications=[LETROZOLE]),
      "patient": {**BASE["patient"], "sex": "female", "birth_date": birth_date_for(62)}},
     set(), {"AI_WITHOUT_OVARIAN_SUPPRESSION"}),
    ("premenopausal woman on letrozole for ovulation induction",
     make(sex="female", age=34, status="premenopausal", history={"breast_cancer": False},
          medications=[med("letrozole", "2.5 mg", start_days_ago=3)]),
     set(), {"AI_WITHOUT_OVARIAN_SUPPRESSION"}),
    # --- serum calcium (MSD Manual upper limit 10.4 mg/dL; Washington Manual lower limit 8.4 mg/dL)
    ("serum calcium high", make(sex="female", age=66, labs=[lab("calcium", 11.2, "mg/dL")]),
     {"SERUM_CALCIUM_HIGH", "REVIEW_SERUM_CALCIUM"}, {"SERUM_CALCIUM_LOW"}),
    ("serum calcium low", make(sex="female", age=66, labs=[lab("calcium", 2.0, "mmol/L")]),
     {"SERUM_CALCIUM_LOW", "REVIEW_SERUM_CALCIUM"}, {"SERUM_CALCIUM_HIGH"}),
    ("serum calcium normal", make(sex="female", age=66, labs=[lab("calcium", 9.4, "mg/dL")]),
     set(), {"SERUM_CALCIUM_HIGH", "SERUM_CALCIUM_LOW", "REVIEW_SERUM_CALCIUM"}),
    # --- vitamin D low on a dose above the upper level: reviewed, neither raised nor lowered
    ("25(OH)D low on 5000 IU/d", make(sex="female", age=66, labs=[vitd(16)], lifestyle={
        "supplements": [{"name": "vitamin_d3", "dose": "5000 IU/d"}]}),
     {"REVIEW_VITAMIN_D_TREATMENT", "VITAMIN_D_INTAKE_EXCESSIVE"},
     {"REDUCE_VITAMIN_D", "START_VITAMIN_D"}),
    ("25(OH)D adequate on 5000 IU/d", make(sex="female", age=66, labs=[vitd(45)], lifestyle={
        "supplements": [{"name": "vitamin_d3", "dose": "5000 IU/d"}]}),
     {"REDUCE_VITAMIN_D"}, {"REVIEW_VITAMIN_D_TREATMENT"}),
    # --- estrogen or tamoxifen beside an aromatase inhibitor in breast cancer (ASCO 2019; ATAC)
    ("tamoxifen with letrozole", make(**{**WOMAN_BC, "medications": [
        LETROZOLE, med("tamoxifen", "20 mg", start_days_ago=800)]}, dxa=RECENT_DXA),
     {"ENDOCRINE_THERAPY_CONFLICT", "REVIEW_MEDICATION_LIST"}, set()),
    ("tamoxifen stopped when letrozole began", make(**{**WOMAN_BC, "medications": [
        LETROZOLE, med("tamoxifen", "20 mg", start_days_ago=800, stop=days_ago(400))]},
        dxa=RECENT_DXA),
     set(), {"ENDOCRINE_THERAPY_CONFLICT", "REVIEW_MEDICATION_LIST"}),
    # --- bone-metastases regimens (Xgeva, Zometa labels) and adjuvant bisphosphonates (EBCTCG 2015)
    ("denosumab 120 mg every 4 weeks", make(**{**WOMAN_BC, "medications": [
        LETROZOLE, med("denosumab", "120 mg", "28 d", start_days_ago=300, route="subcutaneous")]},
        dxa=RECENT_DXA),
     {"ONCOLOGY_DOSE_ANTIRESORPTIVE"}, {"DENOSUMAB_DOSE_DUE", "CONSIDER_ADJUVANT_BISPHOSPHONATE"}),
    ("zoledronic acid 4 mg every 6 months (adjuvant)", make(**{**WOMAN_BC, "medications": [
        LETROZOLE, med("zoledronic_acid", "4 mg", "6 mo", start_days_ago=300,
                       route="intravenous")]}, dxa=RECENT_DXA),
     set(), {"ONCOLOGY_DOSE_ANTIRESORPTIVE", "CONSIDER_ADJUVANT_BISPHOSPHONATE"}),
    # --- end of aromatase-inhibitor therapy on denosumab (Hadji 2017; Tsourdi 2021)
    ("denosumab with letrozole stopping in 3 months", make(**{**WOMAN_BC, "medications": [
        med("letrozole", "2.5 mg", start_days_ago=1700, stop="2025-09-01"),
        med("denosumab", "60 mg", "182 d", start_days_ago=900, route="subcutaneous")]},
        dxa=RECENT_DXA),
     {"REVIEW_ANTIRESORPTIVE_AT_AI_END"}, set()),
    ("denosumab with letrozole ongoing", make(**{**WOMAN_BC, "medications": [
        LETROZOLE, med("denosumab", "60 mg", "182 d", start_days_ago=900, route="subcutaneous")]},
        dxa=RECENT_DXA),
     set(), {"REVIEW_ANTIRESORPTIVE_AT_AI_END"}),
    ("postmenopausal woman on letrozole, no bisphosphonate", make(**WOMAN_BC, dxa=RECENT_DXA),
     {"CONSIDER_ADJUVANT_BISPHOSPHONATE"}, {"ONCOLOGY_DOSE_ANTIRESORPTIVE",
                                            "BONE_METASTASES_IN_CONDITIONS",
                                            "REVIEW_BONE_METASTASIS_TREATMENT"}),
    # --- bone metastases named in the history (Van Poznak 2017; ESMO 2020)
    ("bone metastases, no bone-modifying agent", make(**{**WOMAN_BC, "history": {
        "breast_cancer": True, "conditions": ["metastatic breast cancer, bone metastases in the spine"]}},
        dxa=RECENT_DXA),
     {"BONE_METASTASES_IN_CONDITIONS", "REVIEW_BONE_METASTASIS_TREATMENT"},
     {"CONSIDER_ADJUVANT_BISPHOSPHONATE"}),
    ("calcium and renal already checked", make(sex="female", age=66, dxa=hip_spine(-2.7),
                                               labs=[lab("calcium", 9.5, "mg/dL"),
                                                     lab("egfr", 80, "mL/min/1.73m2")]),
     {"DISCUSS_ANTIRESORPTIVE"}, {"CHECK_CALCIUM_AND_RENAL"}),
]


@pytest.mark.parametrize(("name", "doc", "present", "absent"), CASES, ids=[c[0] for c in CASES])
def test_case(name: str, doc: dict[str, Any], present: set[str], absent: set[str]) -> None:
    emitted = codes(doc)
    assert present <= emitted, f"{name}: missing {sorted(present - emitted)}"
    assert not (absent & emitted), f"{name}: must not emit {sorted(absent & emitted)}"


def test_every_code_has_a_positive_and_a_negative_case() -> None:
    positive = set().union(*(c[2] for c in CASES))
    negative = set().union(*(c[3] for c in CASES))
    all_codes = set(finding_codes()) | set(action_codes())
    assert all_codes - positive == set()
    assert all_codes - negative - {"BMD_NORMAL"} <= set(), sorted(all_codes - negative)


def test_calcium_shortfall_is_graded_against_the_average_requirement() -> None:
    """A woman of 60: EAR 1000, RDA 1200 mg/d (IOM 2011)."""
    def severity(calcium: str) -> str | None:
        found = {f.code: f for f in run(make(sex="female", age=60,
                                             lifestyle={"dietary_calcium": calcium})).findings}
        return found["CALCIUM_INTAKE_LOW"].severity if "CALCIUM_INTAKE_LOW" in found else None

    assert severity("999 mg/d") == "moderate"
    assert severity("1000 mg/d") == "low"
    assert severity("1199 mg/d") == "low"
    assert severity("1200 mg/d") is None


@pytest.mark.parametrize(("ng_ml", "severity"), [(50, None), (51, "low"), (100, "low"), (101, "moderate")])
def test_a_high_25ohd_is_a_finding_graded_by_level(ng_ml: float, severity: str | None) -> None:
    doc = make(labs=[lab("vitamin_d_25oh", ng_ml, "ng/mL")])
    found = {f.code: f for f in run(doc).findings}
    assert (found["VITAMIN_D_HIGH"].severity if "VITAMIN_D_HIGH" in found else None) == severity
    assert ("REDUCE_VITAMIN_D" in {a.code for a in run(doc).actions}) == (severity is not None)


def test_an_old_severe_25ohd_is_remeasured_not_treated_as_today() -> None:
    current = {f.code: f for f in run(make(labs=[lab("vitamin_d_25oh", 10, "ng/mL", 30)])).findings}
    assert current["VITAMIN_D_DEFICIENT"].severity == "high"
    old_doc = make(labs=[lab("vitamin_d_25oh", 10, "ng/mL", 5 * 365)])
    old = run(old_doc)
    # like every vitamin D threshold, deficiency is judged on a result from the last 12 months
    assert "VITAMIN_D_DEFICIENT" not in old.finding_codes()
    assert "VITAMIN_D_NOT_MEASURED" in old.finding_codes()
    assert "CHECK_VITAMIN_D" in old.action_codes()
    assert "START_VITAMIN_D" not in old.action_codes()


def test_the_kidney_referral_is_for_people_on_a_bone_treatment() -> None:
    on_ai = make(sex="female", age=62, history={"breast_cancer": True}, medications=[ANASTROZOLE],
                 labs=[lab("egfr", 25, "mL/min/1.73m2")])
    assert "KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE" in codes(on_ai)
    assert not any(a.code == "REFER_SPECIALIST" and "prescriber" in a.message for a in run(on_ai).actions)
    treated = make(sex="female", age=62, history={"breast_cancer": True}, medications=[ANASTROZOLE, ALENDRONATE],
                   labs=[lab("egfr", 25, "mL/min/1.73m2")])
    assert any(a.code == "REFER_SPECIALIST" and "prescriber" in a.message for a in run(treated).actions)
