"""The model digest that guards a resumed run covers everything a trial run reads that decides
endpoint values: not only the model packages but the records, units and vocabulary modules and the
packaged data files (codes, omitted-therapy rules, fitted parameters)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from osteotwin.scale.provenance import files_sha256, model_code_sha256, model_files, package_root

ROOT = package_root()

#: Inputs outside physiology/simulate/trials/scale that change a trial's endpoint values.
OUTSIDE_THE_MODEL_PACKAGES = (
    "records/drugs.py", "records/patient.py", "records/patient_file.py", "records/fields.py",
    "units.py", "vocabulary.py", "yamlio.py", "calibrate/fitted.py",
    "data/codes.yaml", "data/trials/omitted_therapy.yaml", "data/model/fitted_parameters.yaml",
)


def _copy_model(tmp_path: Path) -> Path:
    """The covered files copied into a new package folder, relative paths kept."""
    copy = tmp_path / "osteotwin"
    for path in model_files(ROOT):
        target = copy / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return copy


def test_the_covered_files_include_records_units_vocabulary_and_data() -> None:
    covered = {path.relative_to(ROOT).as_posix() for path in model_files(ROOT)}
    assert set(OUTSIDE_THE_MODEL_PACKAGES) <= covered
    assert {"physiology/model.py", "simulate/scenario.py", "trials/reader.py",
            "scale/chunk.py"} <= covered
    assert not any(name.startswith(("records/fhir/", "web/", "cli/")) for name in covered)
    assert model_code_sha256() == files_sha256(ROOT)


@pytest.mark.parametrize("name", OUTSIDE_THE_MODEL_PACKAGES)
def test_changing_an_input_changes_the_digest(tmp_path: Path, name: str) -> None:
    copy = _copy_model(tmp_path)
    before = files_sha256(copy)
    assert before == files_sha256(ROOT)  # the copy is the same model
    path = copy / name
    path.write_bytes(path.read_bytes() + b"\n# changed\n")
    assert files_sha256(copy) != before


def test_a_missing_model_file_is_an_error_not_a_smaller_digest(tmp_path: Path) -> None:
    copy = _copy_model(tmp_path)
    (copy / "data" / "codes.yaml").unlink()
    with pytest.raises(FileNotFoundError, match=r"codes\.yaml"):
        files_sha256(copy)


TRACE = r"""
import json, os, sys
from pathlib import Path

opened = set()

def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        opened.add(os.path.realpath(os.fsdecode(args[0])))

sys.addaudithook(hook)
from osteotwin.scale.runner import run_trial

run_trial(Path(sys.argv[1]), n=2, seed=0, out=Path(sys.argv[2]), chunk_size=2, workers=1,
          progress=False)
modules = [m.__file__ for name, m in list(sys.modules.items())
           if name.split(".")[0] == "osteotwin" and getattr(m, "__file__", None)]
print(json.dumps({"modules": modules, "opened": sorted(opened)}))
"""

TRIAL = """\
version: 1
id: digest_trace
citation: test fixture
population: {sex: female, age: {mean: 66, sd: 5}, weight: {mean: 70, sd: 8, unit: kg}}
arms:
  - id: ai
    n: 40
    regimens: [{drug: anastrozole, dose: null, route: oral, every: 1 d, start: 0 d, stop: 6 mo}]
  - {id: placebo, n: 40, regimens: []}
endpoints:
  - {arm: ai, quantity: lumbar_spine_bmd_change_pct, at: 6 mo, value: -1.0, sd: 2.0}
  - {arm: ai, quantity: estradiol, at: 3 mo, value: 3.0, unit: pmol/L, sd: 2.0}
"""


@pytest.mark.slow
def test_a_trial_run_reads_no_osteotwin_file_the_digest_leaves_out(tmp_path: Path) -> None:
    trial = tmp_path / "trial.yaml"
    trial.write_text(TRIAL, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", TRACE, str(trial), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout.strip().splitlines()[-1])
    covered = {path.resolve() for path in model_files(ROOT)}
    read = {Path(name).resolve() for name in trace["modules"] + trace["opened"]}
    read = {path for path in read if path.is_relative_to(ROOT) and "__pycache__" not in path.parts}
    assert read, "the trace saw no osteotwin file"
    assert read <= covered, sorted(str(p.relative_to(ROOT)) for p in read - covered)
