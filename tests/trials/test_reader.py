"""Trial file v1 reader: every training file, and clear errors for bad files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteotwin.errors import UserInputError
from osteotwin.trials import load_trial_file, load_trials, parse_trial_document, trial_files
from osteotwin.trials.model import FRACTURE_QUANTITY
from osteotwin.trials.reader import accepted_quantities

PACKAGED = Path(__file__).resolve().parents[2] / "src" / "osteotwin" / "data" / "trials" / "train"

MINIMAL: dict[str, Any] = {
    "version": 1,
    "id": "mini",
    "citation": "test",
    "population": {"sex": "male", "age": {"mean": 70, "sd": 5},
                   "baseline": {"estradiol": {"mean": 100, "sd": 20, "unit": "pmol/L"}}},
    "arms": [
        {"id": "ai", "n": 20,
         "regimens": [{"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d",
                       "start": "0 d", "stop": "12 mo"}]},
        {"id": "placebo", "n": 20, "regimens": []},
    ],
    "endpoints": [
        {"arm": "ai", "quantity": "estradiol", "at": "3 mo", "value": 44, "unit": "pmol/L", "sd": 11},
        {"contrast": ["ai", "placebo"], "quantity": "lumbar_spine_bmd_change_pct", "at": "12 mo",
         "value": -2.3, "ci95": [-4.0, -0.6]},
    ],
}


def test_reads_all_21_training_files(shared_dir: Path) -> None:
    trials = load_trials([shared_dir / "data" / "trials" / "train"])
    assert len(trials) == 21
    assert sum(len(t.endpoints) for t in trials) == 77
    quantities = set(accepted_quantities())
    for trial in trials:
        for endpoint in trial.endpoints:
            assert endpoint.quantity in quantities
            assert all(any(a.id == arm for a in trial.arms) for arm in endpoint.arms)


def test_packaged_copy_matches_shared(shared_dir: Path) -> None:
    shared = {p.name: p.read_bytes() for p in (shared_dir / "data" / "trials" / "train").glob("*.yaml")}
    packaged = {p.name: p.read_bytes() for p in PACKAGED.glob("*.yaml")}
    assert packaged == shared


def test_optional_fields_are_read() -> None:
    burnett = load_trial_file(PACKAGED / "burnett_bowie_2009.yaml")
    anastrozole = burnett.arm("anastrozole")
    assert anastrozole.n is None
    assert anastrozole.population.sex == "male"  # shared field kept under an arm override
    assert anastrozole.population.age_y is not None and anastrozole.population.age_y.minimum == 60
    assert anastrozole.population.baseline["lumbar_spine"].mean == pytest.approx(1.121)
    # 17.6 nmol/L testosterone at 6 months -> ng/dL (x 28.842)
    six = next(e for e in burnett.endpoints if e.at_text == "6 mo")
    assert six.unit == "ng/dL" and six.value == pytest.approx(17.6 * 28.842, rel=1e-3)
    assert six.uncertainty.sd == pytest.approx(5.0 * 28.842, rel=1e-3)
    assert next(e for e in burnett.endpoints if e.derived).source == "BB09-04"

    ma17 = load_trial_file(PACKAGED / "ma17_bone.yaml")
    prior = ma17.arm("letrozole").regimens[0]
    assert prior.start_d == pytest.approx(-5 * 365.25) and prior.stop_d == 0.0
    assert ma17.arm("letrozole").regimens[1].stop_d is None

    michigan = load_trial_file(PACKAGED / "michigan_menopause_transition.yaml")
    window = michigan.endpoints[1]
    assert (window.from_d, window.at_d) == (pytest.approx(730.5), pytest.approx(1461.0))
    ysm = michigan.arms[0].population.years_since_menopause
    assert ysm is not None and ysm.mean == -2

    gel = load_trial_file(PACKAGED / "castration_testosterone_gel_letrozole.yaml")
    arm = gel.arm("full_testosterone_gel_letrozole")
    assert arm.regimens[0].every_d is None and arm.regimens[0].dose_mg == 81.0
    assert arm.regimens[1].dose_mg is None

    liftmor = load_trial_file(PACKAGED / "liftmor.yaml")
    assert liftmor.arm("hirit").population.lifestyle is None  # habitual lifestyle not given
    life = liftmor.arm("hirit").lifestyle
    assert life is not None and life.resistance_intensity == "high"
    assert life.impact_sessions_per_week == 2

    bable = load_trial_file(PACKAGED / "b_able.yaml")
    cohort = bable.arms[0]
    assert cohort.population.lifestyle is not None
    assert cohort.population.lifestyle.dietary_calcium_mg_d == 841
    assert [r.dose_iu for r in cohort.regimens if r.drug == "vitamin_d3"] == [800, 16000]
    assert bable.endpoints[0].uncertainty.ci95 == (-2.20, -1.15)

    mros = load_trial_file(PACKAGED / "mros_sweden_fractures.yaml")
    assert mros.endpoints[0].quantity == FRACTURE_QUANTITY
    assert mros.arms[0].population.age_y is not None
    assert mros.arms[0].population.age_y.maximum == 80


def test_minimal_document_converts_units() -> None:
    trial = parse_trial_document(copy.deepcopy(MINIMAL))
    estradiol = trial.arms[0].population.baseline["estradiol"]
    assert estradiol.mean == pytest.approx(100 / 3.671, rel=1e-3)  # pmol/L -> pg/mL
    endpoint = trial.endpoints[0]
    assert endpoint.unit == "pg/mL" and endpoint.value == pytest.approx(44 / 3.671, rel=1e-3)
    assert endpoint.at_d == pytest.approx(3 * 30.4375)
    assert trial.endpoints[1].contrast == ("ai", "placebo")


def _broken(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MINIMAL)
    target: Any = doc
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is _DELETE:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(("path", "value", "field"), [
    ("version", 2, "version"),
    ("population.sex", "other", "population.sex"),
    ("population.colour", "blue", "population.colour"),
    ("arms.0.regimens.0.drug", "aspirin", "arms[0].regimens[0].drug"),
    ("arms.0.regimens.0.dose", "1 kg", "arms[0].regimens[0].dose"),
    ("arms.0.regimens.0.stop", "-1 mo", "arms[0].regimens[0].stop"),
    ("arms.0.regimens.0.every", "1 parsec", "arms[0].regimens[0].every"),
    ("arms.0.n", 2.5, "arms[0].n"),
    ("arms.0.n", _DELETE, "arms[0].n"),
    ("endpoints.0.arm", "nobody", "endpoints[0].arm"),
    ("endpoints.0.quantity", "happiness", "endpoints[0].quantity"),
    ("endpoints.0.unit", "kg", "endpoints[0].unit"),
    ("endpoints.0.unit", _DELETE, "endpoints[0].unit"),
    ("endpoints.0.at", "soon", "endpoints[0].at"),
    ("endpoints.1.ci95", [1.0], "endpoints[1].ci95"),
    ("endpoints.1.ci95", [1.0, -1.0], "endpoints[1].ci95"),
    ("endpoints.1.contrast", ["ai", "ai"], "endpoints[1].contrast"),
    ("population.baseline.estradiol.unit", "mg", "population.baseline.estradiol"),
    # values the simulator cannot run are refused here, naming the file's field (not ``years``)
    ("endpoints.1.at", "31 y", "endpoints[1].at"),
    ("arms.0.regimens.0.start", "-31 y", "arms[0].regimens[0].start"),
    ("arms.0.regimens.0.every", "4 y", "arms[0].regimens[0].every"),
    ("arms.0.regimens.0.every", "1 h", "arms[0].regimens[0].every"),
    ("arms.0.regimens.0.stop", "0 d", "arms[0].regimens[0].stop"),
])
def test_bad_documents_name_field_value_and_accepted(path: str, value: Any, field: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_trial_document(_broken(path, value), source="bad.yaml")
    err = info.value
    assert err.field.startswith(field)
    assert err.source == "bad.yaml"
    assert err.accepted
    assert "bad.yaml" in err.one_line()


def test_from_after_at_is_refused() -> None:
    doc = _broken("endpoints.0.from", "6 mo")
    with pytest.raises(UserInputError, match="'at' not after 'from'"):
        parse_trial_document(doc)


def test_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(MINIMAL), encoding="utf-8")
    assert trial_files([tmp_path]) == [tmp_path / "a.yaml"]
    with pytest.raises(UserInputError, match="not found"):
        trial_files([tmp_path / "missing.yaml"])
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(MINIMAL), encoding="utf-8")
    with pytest.raises(UserInputError, match="duplicate trial id"):
        load_trials([tmp_path])
    (tmp_path / "c.yaml").write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(UserInputError, match="malformed YAML"):
        load_trial_file(tmp_path / "c.yaml")


def test_a_lab_level_may_be_published_at_study_start_but_a_change_may_not() -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["endpoints"][0]["at"] = "0 d"
    trial = parse_trial_document(doc)
    assert trial.endpoints[0].at_d == 0.0
    doc["endpoints"][1]["at"] = "0 d"
    with pytest.raises(UserInputError, match=r"endpoints\[1\]\.at.*not after study start"):
        parse_trial_document(doc)


@pytest.mark.parametrize(("status", "ysm", "key"), [
    ("postmenopausal", {"mean": -1, "sd": 2}, "mean"),
    ("postmenopausal", {"max": -0.5}, "max"),
    ("premenopausal", {"mean": 2}, "mean"),
    ("premenopausal", {"min": 1}, "min"),
])
def test_years_since_menopause_contradicting_the_status_are_refused(
        status: str, ysm: dict[str, Any], key: str) -> None:
    doc = copy.deepcopy(MINIMAL)
    doc["population"] = {"sex": "female", "age": {"mean": 50, "sd": 5},
                         "menopausal_status": status, "years_since_menopause": ysm}
    with pytest.raises(UserInputError) as info:
        parse_trial_document(doc)
    err = info.value
    assert err.field == f"population.years_since_menopause.{key}"
    assert status in err.problem and "final menstrual period" in err.accepted
