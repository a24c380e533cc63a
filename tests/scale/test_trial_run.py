"""`osteotwin trial` end to end: Parquet chunks, summary, resume, seeds, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from osteotwin.cli import app
from osteotwin.errors import UserInputError
from osteotwin.scale import store
from osteotwin.scale.runner import run_trial

ENDPOINTS = ["estradiol@3 mo", "lumbar_spine_bmd_change_pct@6 mo",
             "total_testosterone_change_pct@6 mo"]


def test_run_writes_chunks_and_a_summary_and_resumes(small_trial: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = run_trial(small_trial, n=30, seed=4, out=out, chunk_size=10, progress=False)
    files = sorted((out / "people").glob("arm=*/chunk-*.parquet"))
    assert len(files) == 6 and first.chunks_run == 6
    people = store.read_people(out)
    assert len(people) == 60 and set(people["arm_id"]) == {"anastrozole", "placebo"}
    assert list(people.columns[-3:]) == ENDPOINTS
    # AI lowers estradiol and raises testosterone in men (feedback), per person
    ai = people[people.arm_id == "anastrozole"].set_index("person")
    placebo = people[people.arm_id == "placebo"].set_index("person")
    assert (ai["estradiol@3 mo"] < placebo["estradiol@3 mo"]).all()
    summary = json.loads((out / "summary.json").read_text())
    rows = {(r["arm"], r["endpoint"]): r for r in summary["endpoints"] if r["arm"]}
    e2 = rows[("anastrozole", "estradiol@3 mo")]
    assert e2["published"] == 15.0 and e2["n"] == 30
    assert e2["mean"] == pytest.approx(float(ai["estradiol@3 mo"].mean()))
    assert e2["p2.5"] <= e2["p50"] <= e2["p97.5"]
    contrast = next(r for r in summary["endpoints"] if r["contrast"])
    paired = ai["total_testosterone_change_pct@6 mo"] - placebo["total_testosterone_change_pct@6 mo"]
    assert contrast["mean"] == pytest.approx(float(paired.mean()))
    assert (out / "summary.csv").read_text().startswith("arm,contrast,endpoint")

    # a killed run: one chunk lost (and a partial file left behind) -> rerun computes only it
    files[2].unlink()
    files[2].with_name(".chunk-000001.parquet.123.tmp").write_bytes(b"partial")
    again = run_trial(small_trial, n=30, seed=4, out=out, chunk_size=10, progress=False)
    assert again.chunks_run == 1 and again.people_simulated == 10
    resumed = store.read_people(out)
    np.testing.assert_array_equal(resumed[ENDPOINTS].to_numpy(), people[ENDPOINTS].to_numpy())
    assert not list(out.rglob("*.tmp"))


def test_same_seed_same_people_other_seed_other_people(small_trial: Path, tmp_path: Path) -> None:
    a = run_trial(small_trial, n=8, seed=1, out=tmp_path / "a", chunk_size=8, progress=False)
    b = run_trial(small_trial, n=8, seed=1, out=tmp_path / "b", chunk_size=4, progress=False)
    c = run_trial(small_trial, n=8, seed=2, out=tmp_path / "c", chunk_size=8, progress=False)
    pa, pb, pc = (store.read_people(r.out) for r in (a, b, c))
    assert np.array_equal(pa[ENDPOINTS].to_numpy(), pb[ENDPOINTS].to_numpy())  # any chunking
    assert not np.array_equal(pa[ENDPOINTS].to_numpy(), pc[ENDPOINTS].to_numpy())


def test_resume_with_other_settings_is_refused(small_trial: Path, tmp_path: Path) -> None:
    run_trial(small_trial, n=4, seed=1, out=tmp_path / "r", chunk_size=4, progress=False)
    with pytest.raises(UserInputError, match="seed"):
        run_trial(small_trial, n=4, seed=2, out=tmp_path / "r", chunk_size=4, progress=False)


def test_cli_json_and_user_errors(small_trial: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["trial", str(small_trial), "--n", "4", "--chunk-size", "4",
                                 "--out", str(tmp_path / "cli"), "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["n_per_arm"] == 4 and document["chunks"]["total"] == 2
    assert {r["endpoint"] for r in document["endpoints"]} == set(ENDPOINTS)
    with pytest.raises(UserInputError) as err:
        run_trial(small_trial, n=4, backend="cpu", scheduler="tcp://x:1", out=tmp_path / "x")
    assert err.value.field == "--scheduler"
    with pytest.raises(UserInputError) as err:
        run_trial(small_trial, n=0, out=tmp_path / "y")
    assert err.value.field == "--n"
    with pytest.raises(UserInputError):
        run_trial(tmp_path / "missing.yaml", n=4, out=tmp_path / "z")


def test_cli_table_names_the_endpoints_the_model_does_not_simulate(small_trial: Path,
                                                                    tmp_path: Path) -> None:
    import yaml

    document = yaml.safe_load(small_trial.read_text(encoding="utf-8"))
    document["endpoints"].append({"arm": "anastrozole", "quantity": "fsh", "at": "3 mo",
                                  "value": 6.0, "unit": "IU/L"})
    path = tmp_path / "with_fsh.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = CliRunner().invoke(app, ["trial", str(path), "--n", "4", "--chunk-size", "4",
                                      "--out", str(tmp_path / "fsh"), "--quiet"])
    assert result.exit_code == 0, result.output
    # a row per arm for the quantity: the anastrozole endpoint and the placebo arm beside it
    assert ("2 row(s) without a prediction; the model does not simulate: fsh"
            in " ".join(result.output.split()))


def test_cli_table_states_the_rate_in_significant_digits_and_notes_a_small_n(
        small_trial: Path, tmp_path: Path) -> None:
    """The rate keeps three significant digits (a slow short run read ``0 person-years/s``), or is
    left out when the run was too short to time; n below the pass rule's 1,000 is noted on stderr."""
    import re

    from osteotwin.cli.trial import rate_text

    out = tmp_path / "rate"
    result = CliRunner().invoke(app, ["trial", str(small_trial), "--n", "4", "--chunk-size", "4",
                                      "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    expected = rate_text(summary["person_years_per_s"], summary["seconds"])
    shown = re.search(r"\(([0-9.,e+-]+) person-years/s\)", " ".join(result.stdout.split()))
    if expected is None:  # a warm machine: under MIN_TIMED_S
        assert shown is None and "person-years/s" not in result.stdout
    else:
        assert shown is not None and shown.group(1) == expected
    assert "--n 4 is below the 1,000 virtual people per arm" in result.stderr


def test_rate_text_keeps_significant_digits_and_omits_what_cannot_be_timed() -> None:
    from osteotwin.cli.trial import rate_text

    assert rate_text(123_456.7, 5.0) == "123,000"
    assert rate_text(999.6, 5.0) == "1,000"
    assert rate_text(12.345, 5.0) == "12.3"
    assert rate_text(0.2345, 5.0) == "0.234"
    assert rate_text(50.0, 0.01) is None  # too short to time
    assert rate_text(None, 5.0) is None and rate_text(0.0, 5.0) is None
