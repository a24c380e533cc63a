"""Scenario API: validation of bad input, and building from a patient file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from osteotwin.errors import UserInputError
from osteotwin.records import load_patient_file
from osteotwin.simulate import Lifestyle, Regimen, Scenario, Subject, simulate

MAN = Subject(sex="male", age_y=60.0, weight_kg=80.0)


@pytest.mark.parametrize(
    ("regimen", "field", "text"),
    [
        (Regimen("anastrazole", 1.0), "regimens[0].drug", "unknown drug"),
        (Regimen("anastrozole", 50.0), "regimens[0].dose", "at most 10 mg"),
        (Regimen("anastrozole", -1.0), "regimens[0].dose", "positive"),
        (Regimen("anastrozole", 1.0, every_d=0.0), "regimens[0].every", "interval"),
        (Regimen("anastrozole", 1.0, start_d=100.0, stop_d=50.0), "regimens[0].stop", "after start"),
        (Regimen("anastrozole", 1.0, route="rectal"), "regimens[0].route", "unknown route"),
        (Regimen("vitamin_d3", dose_iu=2_000_000.0), "regimens[0].dose", "IU"),
        (Regimen("hcg", dose_mg=500.0, route="subcutaneous"), "regimens[0].dose", "a dose in IU for hcg"),
        (Regimen("anastrozole", dose_iu=1.0), "regimens[0].dose", "a dose in mg for anastrozole"),
    ],
)
def test_bad_regimens_name_field_value_and_accepted(regimen: Regimen, field: str, text: str) -> None:
    with pytest.raises(UserInputError) as info:
        Scenario(MAN, (regimen,), years=2).validate()
    assert info.value.field == field
    assert text in info.value.one_line()


def test_bad_horizon_and_subject_fields_are_refused() -> None:
    with pytest.raises(UserInputError, match="years"):
        Scenario(MAN, (), years=-1).validate()
    with pytest.raises(UserInputError, match="age_y"):
        Scenario(Subject(sex="male", age_y=7.0), ()).validate()
    with pytest.raises(UserInputError, match="dietary_calcium"):
        Scenario(Subject(sex="female", age_y=60.0,
                         lifestyle=Lifestyle(dietary_calcium_mg_d=-5.0)), ()).validate()
    with pytest.raises(UserInputError, match="bmd_g_cm2"):
        Scenario(Subject(sex="female", age_y=60.0, bmd_g_cm2={"wrist": 0.8}), ()).validate()
    with pytest.raises(UserInputError, match=r"bmd_scan_d\.lumbar_spine"):
        Scenario(Subject(sex="female", age_y=60.0, bmd_g_cm2={"lumbar_spine": 0.9},
                         bmd_scan_d={"lumbar_spine": 30.0}), ()).validate()


def test_from_record_carries_medications_forward(example_patient_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    scenario = Scenario.from_record(record, years=5.0)
    drugs = {r.drug: r for r in scenario.regimens}
    assert set(drugs) == {"testosterone_cypionate", "anastrozole"}
    ana = drugs["anastrozole"]
    assert ana.dose_mg == 0.5 and ana.every_d == 3.5 and ana.stop_d is None
    assert ana.start_d < 0  # started before as_of (2023-03-01 vs 2025-06-01)
    life = scenario.subject.lifestyle
    assert life.supplemental_calcium_mg_d == 500.0 and life.vitamin_d_iu_d == 1000.0
    assert scenario.subject.bmd_g_cm2["lumbar_spine"] == 1.02
    # scanned 2023-01-05, t = 0 is 2025-06-01: carried along the simulated course from that day
    assert scenario.subject.bmd_scan_d == {"lumbar_spine": -878.0, "femoral_neck": -878.0}
    # the labs were measured on treatment: not the untreated baseline, but matched on treatment
    assert scenario.subject.estradiol_pg_ml is None
    assert scenario.subject.estradiol_on_treatment == (-396.0, 9.0)  # 2024-05-01 vs 2025-06-01
    assert scenario.subject.vitamin_d_25oh_ng_ml == 22.0
    # hypogonadal on file: untreated testosterone below the Endocrine Society limit (264 ng/dL)
    assert scenario.subject.total_testosterone_ng_dl is not None
    assert scenario.subject.total_testosterone_ng_dl < 264.0


def test_a_measured_shbg_is_carried_and_sets_calculated_free_testosterone(
        example_patient_path: Path, tmp_path: Path) -> None:
    text = example_patient_path.read_text()
    line = "  - {test: vitamin_d_25oh, value: 22, unit: ng/mL, date: 2024-05-01}\n"
    assert line in text
    with_shbg = tmp_path / "patient.yaml"
    with_shbg.write_text(text.replace(
        line, line + "  - {test: shbg, value: 62, unit: nmol/L, date: 2024-05-01}\n"))
    scenario = Scenario.from_record(load_patient_file(with_shbg), years=1.0)
    assert scenario.subject.shbg_nmol_l == 62.0
    typical = Scenario.from_record(load_patient_file(example_patient_path), years=1.0)
    assert typical.subject.shbg_nmol_l is None
    measured = simulate(scenario).series
    population = simulate(typical).series
    assert np.all(measured["shbg_nmol_l"] == 62.0)
    assert np.allclose(measured["total_testosterone_ng_dl"], population["total_testosterone_ng_dl"])
    # more SHBG binds more: less free testosterone for the same total
    assert np.all(measured["free_testosterone_pg_ml"] < population["free_testosterone_pg_ml"])
    with pytest.raises(UserInputError, match="shbg_nmol_l") as info:
        Scenario(Subject(sex="male", age_y=60.0, shbg_nmol_l=900.0), ()).validate()
    assert "0 to 500" in info.value.one_line()  # the range the record reader accepts
    # any SHBG a record may hold simulates: the subject accepts the reader's range
    Scenario(Subject(sex="male", age_y=80.0, shbg_nmol_l=300.0), ()).validate()


def _woman(status: str | None, age_y: int, **extra: object) -> dict[str, object]:
    return {"version": 1, "as_of": "2025-06-01",
            "patient": {"id": "w", "sex": "female", "birth_date": f"{2025 - age_y}-01-01",
                        "menopausal_status": status}, **extra}


@pytest.mark.parametrize(
    ("status", "age_y", "expected_ysm", "assumed"),
    [
        ("premenopausal", 35, 35 - 51, False),    # her final period at the median age, 51
        ("premenopausal", 50, -4, False),         # at least the transition's length ahead
        ("perimenopausal", 49, 0, False),
        ("postmenopausal", 63, 63 - 51, False),
        ("postmenopausal", 45, 1, False),          # early menopause: at least a year after it
        (None, 35, 35 - 51, True),                # not on file: by age, and said so
        (None, 63, 63 - 51, True),
    ],
)
def test_a_womans_menopausal_timing_follows_her_status_or_is_stated(
        status: str | None, age_y: int, expected_ysm: float, assumed: bool) -> None:
    from osteotwin.records.patient_file import parse_patient_document

    scenario = Scenario.from_record(parse_patient_document(_woman(status, age_y)), years=5.0)
    assert scenario.subject.years_since_menopause == pytest.approx(expected_ysm, abs=0.5)
    notes = [a for a in scenario.assumptions if "menopausal status not on file" in a]
    assert bool(notes) == assumed
    if assumed:
        stage = "premenopausal" if age_y < 51 else "postmenopausal"
        assert stage in notes[0]


def test_an_untreated_young_woman_without_a_status_keeps_her_estradiol_and_bone() -> None:
    from osteotwin.records.patient_file import parse_patient_document

    scenario = Scenario.from_record(parse_patient_document(_woman(None, 35)), years=5.0)
    trajectory = simulate(scenario)
    assert trajectory.at("estradiol_pg_ml", 5 * 365.25) > 50.0  # ovaries still working
    assert abs(trajectory.at("lumbar_spine_bmd_change_pct", 5 * 365.25)) < 0.5


def test_medication_history_beyond_the_simulator_is_clipped_and_stated() -> None:
    from osteotwin.records.patient_file import parse_patient_document

    document = _woman("postmenopausal", 80, medications=[
        {"drug": "tamoxifen", "dose": "20 mg", "every": "1 d", "start": "1985-01-01",
         "stop": "1990-01-01"},
        {"drug": "alendronate", "dose": "70 mg", "every": "7 d", "start": "1990-03-01"},
        {"drug": "zoledronic_acid", "dose": "5 mg", "every": "18 mo", "start": "2024-01-01"},
        {"drug": "anastrozole", "dose": "1 mg", "every": "1 d"},
        {"drug": "denosumab", "dose": "60 mg", "start": "2025-01-01", "stop": "2025-01-01"},
    ])
    scenario = Scenario.from_record(parse_patient_document(document), years=2.0)
    drugs = {r.drug: r for r in scenario.regimens}
    assert "tamoxifen" not in drugs  # stopped 35 years before: left out, and said so
    assert drugs["alendronate"].start_d == pytest.approx(-30 * 365.25)
    assert drugs["zoledronic_acid"].every_d == pytest.approx(18 * 30.4375)  # a published interval
    assert drugs["anastrozole"].start_d == pytest.approx(-365.25)
    denosumab = drugs["denosumab"]  # stopped on its start day: one injection
    assert denosumab.stop_d == pytest.approx(denosumab.start_d + 1.0)
    said = " | ".join(scenario.assumptions)
    assert "tamoxifen 20 mg every day: stopped more than 30 years" in said
    assert "alendronate 70 mg every week: started more than 30 years" in said
    assert "anastrozole 1 mg every day: no start on file" in said
    assert "denosumab 60 mg: no dosing interval on file, taken as a daily dose" in said
    assert "medications[" not in said  # the file's index notation is not a reader's
    simulate(scenario)  # and it runs


@pytest.mark.parametrize(
    ("change", "field", "accepted"),
    [
        ({"patient": {"weight": "28 kg"}}, "patient.weight", "30 to 300 kg"),
        ({"lifestyle": {"dietary_calcium": "5000 mg/d"}}, "lifestyle.dietary_calcium",
         "0 to 4000 mg/d"),
        ({"lifestyle": {"resistance_sessions_per_week": 18}},
         "lifestyle.resistance_sessions_per_week", "0 to 14 per week"),
        ({"labs": [{"test": "estradiol", "value": 0, "unit": "pg/mL", "date": "2025-01-01"}]},
         "labs: estradiol", "0.5 to 2000 pg/mL"),
        ({"medications": [{"drug": "vitamin_d3", "dose": "1000 IU/d", "start": "2024-01-01"},
                          {"drug": "anastrozole", "dose": "0.1 mg", "every": "2 h",
                           "start": "2024-01-01"}]}, "medications[1].every", "0.25 to 1100 days"),
    ],
)
def test_a_file_value_the_simulator_cannot_take_names_the_files_field(
        change: dict[str, object], field: str, accepted: str) -> None:
    from osteotwin.records.patient_file import parse_patient_document

    document = _woman("postmenopausal", 63)
    for key, value in change.items():
        if isinstance(value, dict):
            document[key] = {**document.get(key, {}), **value}  # type: ignore[dict-item]
        else:
            document[key] = value
    record = parse_patient_document(document)  # the reader takes it
    with pytest.raises(UserInputError) as info:
        Scenario.from_record(record, years=2.0)
    assert info.value.field == field
    assert "outside the range the simulator is built for" in info.value.one_line()
    assert accepted in info.value.accepted


def test_a_regimen_given_far_too_often_is_refused_naming_its_daily_average() -> None:
    """A what-if regimen is checked as a file's medication is (``records.drugs.DAILY_AVERAGE_LIMITS``)."""
    with pytest.raises(UserInputError) as info:
        Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=1.0).validate()
    assert info.value.field == "regimen.dose" and "0.6 mg of zoledronic_acid" in info.value.accepted
    with pytest.raises(UserInputError):
        Regimen("testosterone_undecanoate", 237.0, route="intramuscular", every_d=0.5).validate()
    Regimen("zoledronic_acid", 5.0, route="intravenous", every_d=None, start_d=0.0,
            stop_d=1.0).validate()  # one infusion
    Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=28.0).validate()
    Regimen("testosterone_undecanoate", 237.0, route="oral", every_d=0.5).validate()


def test_typical_values_standing_in_for_what_the_record_lacks_are_listed() -> None:
    """Weight, intake, activity and 25(OH)D change a prediction: when the record lacks them the
    defaults used are named in ``assumptions``, and not when it has them."""
    from osteotwin.records.patient_file import parse_patient_document

    bare = _woman("postmenopausal", 63)
    bare["patient"].pop("weight", None)  # type: ignore[union-attr]
    bare.pop("lifestyle", None)
    said = " ".join(Scenario.from_record(parse_patient_document(bare), years=1.0).assumptions)
    for typical in ("weight 75 kg", "dietary calcium 800 mg/d", "protein 1 g/kg/d",
                    "no resistance or impact training", "25(OH)D not measured"):
        assert typical in said
    full = {**bare, "patient": {**bare["patient"], "weight": "61 kg"},  # type: ignore[dict-item]
            "lifestyle": {"dietary_calcium": "900 mg/d", "protein": "1.2 g/kg/d",
                          "resistance_sessions_per_week": 2},
            "labs": [{"test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL", "date": "2025-01-01"}]}
    assert not any("typical values" in a for a in Scenario.from_record(
        parse_patient_document(full), years=1.0).assumptions)


def test_a_t_score_is_shown_only_where_the_assessment_can_read_one() -> None:
    """A BMD without a reported T-score gets one only where ``clinic.densitometry`` has the site's
    and device's reference (the Hologic femoral neck), as the assessment; a T-score without a BMD
    is followed, but no absolute BMD is made up from it."""
    from osteotwin.clinic.densitometry import t_score_from_bmd
    from osteotwin.records.patient_file import parse_patient_document

    def course(*scans: dict[str, object]) -> dict[str, np.ndarray]:
        document = _woman("postmenopausal", 63, dxa=[{"date": "2025-05-01", **scan} for scan in scans])
        return simulate(Scenario.from_record(parse_patient_document(document), years=1.0)).series

    for device in ("hologic", "lunar"):  # the same spine BMD: no young-adult mean packaged for it
        series = course({"site": "lumbar_spine", "bmd": "0.95 g/cm2", "device": device})
        assert "lumbar_spine_bmd_g_cm2" in series and "lumbar_spine_t_score" not in series
    neck = course({"site": "femoral_neck", "bmd": "0.70 g/cm2", "device": "hologic"})
    expected = t_score_from_bmd(0.70, "femoral_neck", "hologic")
    assert expected is not None
    assert neck["femoral_neck_t_score"][0] == pytest.approx(expected, abs=0.05)
    t_only = course({"site": "lumbar_spine", "t_score": -2.0, "device": "lunar"})
    assert "lumbar_spine_t_score" in t_only and "lumbar_spine_bmd_g_cm2" not in t_only


@pytest.mark.parametrize(("drug", "dose", "every", "route"), [
    ("triptorelin", "3.75 mg", "28 d", "intramuscular"),
    ("leuprorelin", "11.25 mg", "84 d", "intramuscular"),
])
def test_other_depot_gnrh_agonists_are_simulated_as_goserelin_and_said_so(
        drug: str, dose: str, every: str, route: str) -> None:
    """SOFT/TEXT suppressed the ovaries with triptorelin: the record takes it, the assessment counts
    it as ovarian suppression (class gnrh_agonist_depot), the simulation gives it as goserelin."""
    from osteotwin.clinic import assess
    from osteotwin.records.patient_file import parse_patient_document

    document = _woman("premenopausal", 43, history={"breast_cancer": True}, medications=[
        {"drug": drug, "dose": dose, "every": every, "route": route, "start": "2024-06-01"},
        {"drug": "exemestane", "dose": "25 mg", "every": "1 d", "start": "2024-06-01"}])
    record = parse_patient_document(document)
    assert "AI_WITHOUT_OVARIAN_SUPPRESSION" not in assess(record).finding_codes()
    scenario = Scenario.from_record(record, years=1.0)
    assert [r.drug for r in scenario.regimens] == ["goserelin", "exemestane"]
    weeks = int(every.split()[0]) // 7  # 28 d and 84 d said in weeks (``interval_words``)
    assert any(f"{drug} {dose} every {weeks} weeks: simulated as goserelin" in a
               for a in scenario.assumptions)
    suppressed = simulate(scenario).series["estradiol_pg_ml"][-1]
    untreated = simulate(Scenario.from_record(parse_patient_document(
        _woman("premenopausal", 43, history={"breast_cancer": True})), years=1.0)).series
    assert suppressed < 0.1 * untreated["estradiol_pg_ml"][-1]


def _man_scanned(age_y: int) -> dict[str, object]:
    """A man on testosterone with a Hologic femoral-neck and spine scan (BMD and Z-scores)."""
    return {"version": 1, "as_of": "2025-06-01",
            "patient": {"id": "m", "sex": "male", "birth_date": f"{2025 - age_y}-03-15"},
            "medications": [{"drug": "testosterone_cypionate", "dose": "100 mg", "every": "7 d",
                             "start": "2023-09-01"}],
            "dxa": [{"date": "2025-02-10", "site": "femoral_neck", "bmd": "0.820 g/cm2",
                     "z_score": -0.9, "device": "hologic"},
                    {"date": "2025-02-10", "site": "lumbar_spine", "bmd": "1.010 g/cm2",
                     "t_score": -0.6, "device": "hologic"}]}


def test_no_t_score_is_projected_where_the_assessment_reads_a_z_score() -> None:
    """Review: a man of 38 was shown a femoral-neck T-score trajectory (the young-women NHANES III
    reference) while his assessment said a Z-score applies under 50 (ISCD). The simulation
    follows the assessment's choice (``clinic.densitometry.score_kind``): no T-score under 50, or
    for a premenopausal woman, and says why; from 50 a man's T-scores are followed as before."""
    from osteotwin.clinic.densitometry import score_kind
    from osteotwin.records.patient_file import parse_patient_document

    young = Scenario.from_record(parse_patient_document(_man_scanned(38)), years=1.0)
    assert young.subject.t_scores == {}
    series = simulate(young).series
    assert not any(name.endswith("_t_score") for name in series)
    assert "femoral_neck_bmd_g_cm2" in series  # the scan is still followed, in g/cm² and %
    said = " | ".join(young.assumptions)
    assert f"no T-score projected: {score_kind('male', 38.0, None).reason}" in said
    assert "computed from the scan's BMD" not in said

    older = Scenario.from_record(parse_patient_document(_man_scanned(55)), years=1.0)
    assert set(older.subject.t_scores) == {"femoral_neck", "lumbar_spine"}
    assert not any("no T-score projected" in a for a in older.assumptions)

    woman = Scenario.from_record(parse_patient_document(_woman(
        "premenopausal", 42, dxa=[{"date": "2025-05-01", "site": "lumbar_spine",
                                   "t_score": -1.4}])), years=1.0)
    assert woman.subject.t_scores == {}
    assert any("no T-score projected: premenopausal woman (ISCD: Z-score)" in a
               for a in woman.assumptions)


def test_two_entries_of_one_drug_over_the_same_time_are_named_and_added() -> None:
    """Review: letrozole 2.5 mg daily entered twice, both from 2024-02-01, was simulated as 5 mg
    without a word. Both are still simulated (no entry is silently dropped), and the note names
    them and says their doses are added; entries one after the other are not flagged."""
    from osteotwin.records.patient_file import parse_patient_document

    letrozole = {"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-02-01"}
    twice = Scenario.from_record(parse_patient_document(_woman(
        "postmenopausal", 64, medications=[letrozole, dict(letrozole)])), years=1.0)
    assert [r.drug for r in twice.regimens] == ["letrozole", "letrozole"]
    notes = [a for a in twice.assumptions if "on file twice" in a]
    assert notes == ["letrozole is on file twice over the same time (from 2024-02-01): letrozole "
                     "2.5 mg every day and letrozole 2.5 mg every day are both simulated, their doses "
                     "added; if one entry repeats the other, remove it from the record"]
    once = Scenario.from_record(parse_patient_document(_woman(
        "postmenopausal", 64, medications=[letrozole])), years=1.0)
    e2_twice = simulate(twice).series["estradiol_pg_ml"][-1]
    assert e2_twice < simulate(once).series["estradiol_pg_ml"][-1]  # what the note warns of
    one_after_other = Scenario.from_record(parse_patient_document(_woman(
        "postmenopausal", 64, medications=[
            {**letrozole, "start": "2023-01-01", "stop": "2024-02-01"}, letrozole])), years=1.0)
    assert not any("on file twice" in a for a in one_after_other.assumptions)
