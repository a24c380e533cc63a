"""What a virtual trial's outputs say about themselves: hormone levels read as dosing-cycle means,
caveats per arm, Parquet units, covariates and the fracture column's meaning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from osteotwin.cli import app

TRT: dict[str, Any] = {
    "version": 1, "id": "trt_outputs", "citation": "test",
    "population": {"sex": "male", "age": {"mean": 50, "sd": 8},
                   "weight": {"mean": 90, "sd": 12, "unit": "kg"},
                   "baseline": {"total_testosterone": {"mean": 250, "sd": 60, "unit": "ng/dL"},
                                "lumbar_spine": {"mean": 1.0, "sd": 0.1, "unit": "g/cm2"}}},
    "arms": [
        {"id": "trt", "n": 100, "regimens": [
            {"drug": "testosterone_cypionate", "dose": "100 mg", "route": "intramuscular",
             "every": "7 d", "start": "0 d"}]},
        {"id": "ai", "n": 100, "regimens": [
            {"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d",
             "start": "0 d"}]},
    ],
    "endpoints": [
        *({"arm": "trt", "quantity": "total_testosterone", "at": at, "value": 700,
           "unit": "ng/dL"} for at in ("91 d", "13 wk", "3 mo")),
        {"arm": "ai", "quantity": "total_testosterone", "at": "4 mo", "value": 17.6,
         "unit": "nmol/L"},
        {"arm": "ai", "quantity": "fracture_incidence_pct", "at": "4 mo", "value": 1.0},
    ],
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("trt")
    path = folder / "trt.yaml"
    path.write_text(yaml.safe_dump(TRT), encoding="utf-8")
    out = folder / "out"
    result = CliRunner().invoke(app, ["trial", str(path), "--n", "3", "--out", str(out),
                                      "--quiet", "--chunk-size", "3"])
    assert result.exit_code == 0, result.output
    return out, " ".join(result.output.split())


def test_3_mo_and_13_wk_of_weekly_testosterone_read_the_same(run: tuple[Path, str]) -> None:
    """The reviewer's 658 against 1134 ng/dL for one visit written two ways."""
    out, _ = run
    rows = {r["endpoint"]: r for r in json.loads((out / "summary.json").read_text())["endpoints"]
            if r["arm"] == "trt"}
    means = [rows[f"total_testosterone@{at}"]["mean"] for at in ("91 d", "13 wk", "3 mo")]
    assert max(means) - min(means) < 0.01 * min(means)


def test_parquet_and_manifest_give_units_covariates_and_the_fracture_columns_meaning(
        run: tuple[Path, str]) -> None:
    out, _ = run
    table = pq.read_table(next((out / "people" / "arm=ai").glob("*.parquet")))
    schema = table.schema

    def meta(name: str) -> dict[str, str]:
        raw = schema.field(name).metadata
        return {k.decode(): v.decode() for k, v in raw.items()}

    level = meta("total_testosterone@4 mo")
    assert level["unit"] == "ng/dL" and "nmol/L" in level["description"]
    fracture = meta("fracture_incidence_pct@4 mo")
    assert fracture["unit"] == "%" and "not an event" in fracture["description"]
    assert meta("age_y")["unit"] == "y"
    for name in ("years_since_menopause", "baseline_total_testosterone_ng_dl",
                 "baseline_estradiol_pg_ml", "baseline_lumbar_spine_bmd_g_cm2"):
        assert name in table.column_names
    assert np.isnan(table["years_since_menopause"].to_numpy()).all()  # men
    assert (table["baseline_total_testosterone_ng_dl"].to_numpy() > 0).all()
    assert meta("baseline_lumbar_spine_bmd_g_cm2")["unit"] == "g/cm2"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["units"]["total_testosterone@4 mo"] == "ng/dL"
    assert "not an event" in manifest["column_descriptions"]["fracture_incidence_pct@4 mo"]


def test_summary_and_table_carry_the_caveats_of_each_arm(run: tuple[Path, str]) -> None:
    """An aromatase inhibitor in men is a known departure `simulate` flags; `trial` said nothing."""
    out, printed = run
    summary = json.loads((out / "summary.json").read_text())
    codes = {arm: [c["code"] for c in caveats] for arm, caveats in summary["caveats"].items()}
    assert "AROMATASE_INHIBITOR_IN_MAN" in codes["ai"]
    assert "AROMATASE_INHIBITOR_IN_MAN" not in codes.get("trt", [])
    assert "caveat: AROMATASE_INHIBITOR_IN_MAN (arm ai)" in printed
    assert summary["background_therapy"] == []
    row = next(r for r in summary["endpoints"] if r["arm"] == "ai")
    assert "se" in row and "borderline" in row
