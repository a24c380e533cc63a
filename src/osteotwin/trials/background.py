"""Background therapy a packaged trial's people received that its file does not list.

``data/trials/omitted_therapy.yaml`` names, by trial id, therapy the data README or the trial's own
note says every person took although the file cannot list it (the source did not name the agent):
the castrating agent of the castration/add-back study, the adjuvant aromatase inhibitor of ABCSG-18
and B-ABLE (and of one outside check). It is added to every arm of that trial and reported as an
assumption with every result (never silently). Any other trial gets nothing: a user's trial of
women after breast cancer lists the endocrine therapy they take, or they take none. These are
inputs only; no parameter is ever set per trial.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from osteotwin.trials.model import Trial, TrialRegimen
from osteotwin.yamlio import safe_load


@lru_cache(maxsize=1)
def omitted_therapy() -> dict[str, tuple[tuple[TrialRegimen, ...], str]]:
    """The packaged table: trial id → (regimens added to every arm, reason)."""
    from osteotwin.trials.reader import parse_regimen

    text = resources.files("osteotwin.data").joinpath("trials/omitted_therapy.yaml").read_text()
    table: dict[str, Any] = safe_load(text) or {}
    return {trial_id: (tuple(parse_regimen(r, f"omitted_therapy.yaml:{trial_id}.regimens[{i}]")
                             for i, r in enumerate(entry["regimens"])),
                       " ".join(str(entry["reason"]).split()))
            for trial_id, entry in table.items()}


def background_regimens(trial: Trial) -> tuple[tuple[TrialRegimen, ...], tuple[str, ...]]:
    """Regimens every arm of ``trial`` takes besides its own, and the notes that say why."""
    listed = omitted_therapy().get(trial.id)
    if listed is None:
        return (), ()
    added, reason = listed
    return added, (background_note(added, reason),)


def background_note(regimens: tuple[TrialRegimen, ...], reason: str) -> str:
    """The assumption printed with every result: what was added and why."""
    return f"background therapy assumed ({describe_regimens(regimens)}): {reason}"


def describe_regimens(regimens: tuple[TrialRegimen, ...]) -> str:
    """Regimens in words: ``anastrozole 1 mg every 1 d; goserelin 3.6 mg every 28 d``."""
    return "; ".join(f"{r.drug} {r.dose_mg:g} mg" + (f" every {r.every_d:g} d" if r.every_d else "")
                     if r.dose_mg is not None else r.drug for r in regimens)
