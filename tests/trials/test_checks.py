"""Published results outside the training set: well-formed, cited, and kept out of calibration."""

from __future__ import annotations

from pathlib import Path

import yaml

from osteotwin.cli.validate import packaged_training_dir
from osteotwin.trials.reader import load_trials


def test_outside_checks_parse_cite_their_source_and_are_not_training_trials() -> None:
    folder = packaged_training_dir().parent / "checks"
    checks = load_trials([folder])
    training = {t.id for t in load_trials([packaged_training_dir()])}
    assert len(checks) >= 2
    for trial in checks:
        assert trial.id not in training
        assert any(key in trial.citation.lower() for key in ("doi", "pmid", "pmc", "https://"))
        assert trial.endpoints
        note = yaml.safe_load(Path(str(trial.path)).read_text(encoding="utf-8"))["note"]
        assert "never used to fit" in " ".join(note.split())
