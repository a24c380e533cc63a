"""The model's known departures that apply to a trial arm, as ``osteotwin simulate`` shows them.

Each arm is judged on its median person (``population.representative_scenario``: every
characteristic at the middle of its distribution, the arm's regimens and the trial's background
therapy, to the trial's horizon) by ``osteotwin.simulate.caveats.model_caveats``, so a virtual trial
of a denosumab course that stops, or of an aromatase inhibitor stopped after two years, carries the
same caveat a single simulation of that course does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from osteotwin.trials.model import Trial

if TYPE_CHECKING:
    from osteotwin.simulate.caveats import Caveat


def arm_caveats(trial: Trial, arm_ids: Iterable[str]) -> dict[str, tuple[Caveat, ...]]:
    """Per arm of ``arm_ids`` with any, the known departures that apply to it (fixed order)."""
    from osteotwin.simulate.caveats import model_caveats
    from osteotwin.trials.population import representative_scenario

    found = {arm: tuple(model_caveats(representative_scenario(trial, trial.arm(arm))))
             for arm in arm_ids}
    return {arm: caveats for arm, caveats in found.items() if caveats}


def caveats_json(caveats: Mapping[str, Sequence[Caveat]]) -> dict[str, list[dict[str, Any]]]:
    """``arm_caveats`` as JSON: per arm, each caveat's ``Caveat.to_json``."""
    return {arm: [c.to_json() for c in items] for arm, items in caveats.items()}


def caveat_lines(caveats: Mapping[str, Sequence[Caveat]]) -> list[str]:
    """One line per caveat for a printed table, each once with the arms it applies to
    (``simulate.caveats.caveats_by_course``): ``CODE (arms a, b): message``."""
    from osteotwin.simulate.caveats import caveats_by_course

    return [f"{caveat.code} (arm{'s' if len(arms) > 1 else ''} {', '.join(arms)}): "
            f"{caveat.message}" for caveat, arms in caveats_by_course(caveats.items())]
