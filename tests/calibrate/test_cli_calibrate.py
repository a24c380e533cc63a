"""``osteotwin calibrate`` end to end on the packaged training trials (tiny populations, no search)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from osteotwin.calibrate.fit import calibratable_bounds
from osteotwin.cli import app
from osteotwin.errors import UserInputError

RUNNER = CliRunner()


def test_writes_a_complete_fitted_set_with_its_verification(tmp_path: Path) -> None:
    target = tmp_path / "fitted.yaml"
    result = RUNNER.invoke(
        app,
        ["calibrate", "--n-anchor", "2", "--max-anchors", "0", "--workers", "1", "-o", str(target)],
    )
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert set(document["parameters"]) == set(calibratable_bounds())
    verification = document["provenance"]["verification"]
    assert verification["n_per_arm"] == 2 and verification["total"] > 50
    assert f"{verification['passed']}/{verification['total']} endpoints pass" in result.stdout
    # a first-time user's review: verdicts at 2 people per arm are said to be indicative only
    assert "endpoints pass (indicative: fewer than 1,000 people per arm" in " ".join(
        result.stdout.split())
    assert len(document["provenance"]["anchors"]) == 1  # the start only: no search allowed
    # stage 2 scored the fracture trials' populations at four seeds (the default) together
    assert "populations at seeds 0-3 scored together" in document["provenance"]["objective"]
    # the other commands take it through OSTEOTWIN_PARAMETERS
    from osteotwin.physiology.parameters import current_parameters

    with pytest.MonkeyPatch.context() as env:
        env.setenv("OSTEOTWIN_PARAMETERS", str(target))
        chosen = current_parameters()
        assert chosen.provenance == document["provenance"]["label"]
        assert chosen.values[chosen.names.index("bp_emax")] == pytest.approx(
            document["parameters"]["bp_emax"])
        env.setenv("OSTEOTWIN_PARAMETERS", str(tmp_path / "missing.yaml"))
        with pytest.raises(UserInputError, match="OSTEOTWIN_PARAMETERS: no such file"):
            current_parameters()


@pytest.mark.parametrize(("argv", "words"), [
    ([], "name one output (got 'neither'"),
    (["-o", "fitted.yaml", "--install"], "name one output (got 'both'"),
    (["-o", "fitted.json"], "the fitted set is written as YAML"),
])
def test_an_output_must_be_named_so_the_shipped_set_is_never_replaced_by_accident(
        argv: list[str], words: str) -> None:
    from osteotwin.calibrate.fitted import fitted_path

    before = fitted_path().read_bytes()
    result = RUNNER.invoke(app, ["calibrate", "--n-anchor", "2", "--max-anchors", "0", *argv])
    assert result.exit_code != 0
    assert isinstance(result.exception, UserInputError) and words in str(result.exception)
    assert fitted_path().read_bytes() == before


@pytest.mark.parametrize(
    ("option", "value", "got", "accepted"),
    [("--margin", "1.5", "1.5", "0.0 to 0.9"), ("--budget-minutes", "-1", "-1.0", "0.0 to 1440.0"),
     ("--n-anchor", "0", "0", "1 to 100000"), ("--radius", "0", "0.0", "0.001 to 5.0"),
     ("--step-rule", "fastest", "'fastest'", "cost, count"),
     ("--fracture-seeds", "0", "0", "1 to 20")],
)
def test_out_of_range_options_are_refused(option: str, value: str, got: str, accepted: str) -> None:
    result = RUNNER.invoke(app, ["calibrate", option, value])
    assert result.exit_code != 0
    assert isinstance(result.exception, UserInputError)
    message = str(result.exception)
    assert option in message and f"(got {got}; accepted: {accepted})" in message
