"""Background therapy a trial's people received that its file does not list.

Two sources, both reported as assumptions with every result (never silently):

- a rule: a trial of postmenopausal women with breast cancer whose arms list no endocrine therapy
  takes an aromatase inhibitor (shared/data/trials/README.md, "Background therapy not given":
  ABCSG-18, B-ABLE); anastrozole 1 mg daily is the labelled adjuvant dose;
- ``data/trials/omitted_therapy.yaml``: therapy the data README names for a given training trial
  although its file cannot list it (the source did not name the agent), e.g. the castrating agent of
  the castration/add-back study. These are inputs only; no parameter is ever set per trial.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from osteotwin.simulate.scenario import AROMATASE_INHIBITORS
from osteotwin.trials.model import Trial, TrialRegimen
from osteotwin.yamlio import safe_load

ENDOCRINE_THERAPY = (*AROMATASE_INHIBITORS, "tamoxifen")
BACKGROUND_AI = TrialRegimen(drug="anastrozole", dose_mg=1.0, dose_iu=None, route="oral",
                             every_d=1.0, start_d=0.0, stop_d=None)
BACKGROUND_AI_NOTE = ("background aromatase inhibitor assumed (anastrozole 1 mg daily): population of "
                      "postmenopausal women with breast cancer, no endocrine therapy listed")


def needs_background_ai(trial: Trial) -> bool:
    """True for a trial of postmenopausal women with breast cancer listing no endocrine therapy."""
    pops = [arm.population for arm in trial.arms]
    if not all(p.sex == "female" and p.breast_cancer and p.menopausal_status == "postmenopausal"
               for p in pops):
        return False
    return not any(r.drug in ENDOCRINE_THERAPY for arm in trial.arms for r in arm.regimens)


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
    regimens: list[TrialRegimen] = []
    notes: list[str] = []
    if needs_background_ai(trial):
        regimens.append(BACKGROUND_AI)
        notes.append(BACKGROUND_AI_NOTE)
    listed = omitted_therapy().get(trial.id)
    if listed is not None:
        added, reason = listed
        regimens += added
        notes.append(f"background therapy assumed ({_describe(added)}): {reason}")
    return tuple(regimens), tuple(notes)


def _describe(regimens: tuple[TrialRegimen, ...]) -> str:
    return "; ".join(f"{r.drug} {r.dose_mg:g} mg" + (f" every {r.every_d:g} d" if r.every_d else "")
                     if r.dose_mg is not None else r.drug for r in regimens)
