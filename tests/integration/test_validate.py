"""``osteotwin validate`` end to end through the console script, on one small trial file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

OSTEOTWIN = str(Path(sys.executable).with_name("osteotwin"))
TRAIN = Path(__file__).resolve().parents[2] / "src" / "osteotwin" / "data" / "trials" / "train"


def _run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OSTEOTWIN, *args], capture_output=True, text=True, timeout=timeout,
                          check=False, env={**os.environ, "OSTEOTWIN_WORKERS": "1"})


def test_json_on_one_trial_has_the_spec_shape() -> None:
    done = _run("validate", str(TRAIN / "leder_2004.yaml"), "--format", "json", "--n", "20",
                "--seed", "7")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # stdout is one JSON document and nothing else
    endpoints = document["endpoints"]
    assert len(endpoints) == 4
    for e in endpoints:
        for key in ("trial", "arm", "contrast", "quantity", "at", "observed", "interval",
                    "predicted", "prediction_interval", "pass"):
            assert key in e
        assert e["trial"] == "leder_2004"
        low, high = e["prediction_interval"]
        assert low <= e["predicted"] <= high
        # 20 people per arm: below the pass rule's 1,000, so no verdict (as `osteotwin trial`)
        assert e["pass"] is None and "1,000" in e["pass_reason"]
    testosterone = next(e for e in endpoints if e["quantity"] == "total_testosterone")
    assert testosterone["observed"] == 572 and testosterone["at"] == "12 wk"
    summary = document["summary"]
    assert summary["total"] == 0 and summary["passed"] == 0
    assert "below the 1,000 virtual people per arm" in done.stderr
    again = _run("validate", str(TRAIN / "leder_2004.yaml"), "--format", "json", "--n", "20",
                 "--seed", "7")
    assert json.loads(again.stdout) == document  # seeded: reproducible


def test_table_output_and_default_population_size() -> None:
    done = _run("validate", str(TRAIN / "anastrozole_label_postmenopausal.yaml"), "--n", "5")
    assert done.returncode == 0, done.stderr
    assert "anastrozole_label_postmenopausal" in done.stdout
    assert "scored endpoints" in done.stdout
    help_text = _run("validate", "--help").stdout
    assert "[default: 1000]" in help_text


def test_bad_trial_file_is_one_clear_error(tmp_path: Path) -> None:
    document = yaml.safe_load((TRAIN / "leder_2004.yaml").read_text(encoding="utf-8"))
    document["endpoints"][0]["quantity"] = "testosterone_level"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")
    done = _run("validate", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = done.stderr.strip()
    assert "bad.yaml" in line and "endpoints[0].quantity" in line and "testosterone_level" in line
    missing = _run("validate", str(tmp_path / "nothing.yaml"))
    assert missing.returncode == 2 and "not found" in missing.stderr
    assert _run("validate", "--n", "0").returncode == 2


def test_a_bad_file_among_several_is_skipped_and_named_the_others_still_run(
        tmp_path: Path) -> None:
    document = yaml.safe_load((TRAIN / "leder_2004.yaml").read_text(encoding="utf-8"))
    document["id"] = "leder_with_an_unknown_drug"
    document["arms"][0]["regimens"][0]["drug"] = "raloxifene"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    good = (TRAIN / "anastrozole_label_postmenopausal.yaml").read_text(encoding="utf-8")
    (tmp_path / "good.yaml").write_text(good, encoding="utf-8")
    done = _run("validate", str(tmp_path), "--format", "json", "--n", "20")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "bad.yaml" in done.stderr and "raloxifene" in done.stderr and "skipped" in done.stderr
    report = json.loads(done.stdout)
    assert {e["trial"] for e in report["endpoints"]} == {"anastrozole_label_postmenopausal"}
    assert len(report["errors"]) == 1 and "raloxifene" in report["errors"][0]


def test_means_barely_depend_on_the_seed() -> None:
    """People are a Latin hypercube: two seeds give arm means within 1.5 % of each other at 200 people
    per arm (independent draws differ by about 3 %: testosterone SD ~25 % of the mean / √200 × √2)."""
    runs = [json.loads(_run("validate", str(TRAIN / "leder_2004.yaml"), "--format", "json", "--n",
                            "200", "--seed", seed).stdout)["endpoints"] for seed in ("1", "2")]
    for first, second in zip(*runs, strict=True):
        assert abs(first["predicted"] - second["predicted"]) < 0.015 * abs(first["predicted"]), first


def test_endpoints_the_model_does_not_simulate_are_named_and_counted_as_failures(
        tmp_path: Path) -> None:
    document = yaml.safe_load((TRAIN / "leder_2004.yaml").read_text(encoding="utf-8"))
    first = dict(document["endpoints"][0])
    document["endpoints"] = [
        first,
        {**first, "quantity": "fsh", "value": 6.0, "unit": "IU/L"},
        {**first, "quantity": "ctx", "value": 0.4, "unit": "ng/mL"},  # no published baseline
    ]
    for e in document["endpoints"][1:]:
        e.pop("sd", None)
        e.pop("ci95", None)
        e.pop("se", None)
    path = tmp_path / "unsimulated.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    # 1,000 people per arm (the pass rule's minimum: below it nothing is scored)
    report = json.loads(_run("validate", str(path), "--format", "json", "--n", "1000").stdout)
    by_quantity = {e["quantity"]: e for e in report["endpoints"]}
    assert by_quantity["fsh"]["predicted"] is None and by_quantity["fsh"]["pass"] is False
    assert by_quantity["ctx"]["predicted"] is None and by_quantity["ctx"]["pass"] is False
    assert by_quantity[first["quantity"]]["predicted"] is not None
    assert report["summary"]["not_simulated"] == 2
    table = _run("validate", str(path), "--n", "1000").stdout
    assert "2 scored endpoint(s) the model does not simulate" in table
    assert "ctx, fsh" in table and "published baseline" in table


def test_endpoints_no_model_can_pass_together_are_named(tmp_path: Path) -> None:
    document = yaml.safe_load((TRAIN / "leder_2004.yaml").read_text(encoding="utf-8"))
    (tmp_path / "leder.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    document["id"] = "leder_2004_retold"
    estradiol = next(i for i, e in enumerate(document["endpoints"])
                     if e["quantity"] == "estradiol" and e["arm"] == "anastrozole_daily")
    document["endpoints"][estradiol]["value"] = 40  # same arm, same week, far from 17 pg/mL
    (tmp_path / "retold.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    done = _run("validate", str(tmp_path), "--format", "json", "--n", "20")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["summary"]["forced_failures"] == 1
    [pair] = result["incompatible"]
    assert pair["rule"] == "same window"
    assert {e["trial"] for e in pair["endpoints"]} == {"leder_2004", "leder_2004_retold"}
    assert {e["observed"] for e in pair["endpoints"]} == {17, 40}
    table = _run("validate", str(tmp_path), "--n", "20")
    assert "1 pair of endpoints no model can pass together, so at least 1 endpoint fails" in \
        " ".join(table.stdout.split())
