"""Published endpoints that no model can pass together, found from the trial files alone.

The simulator is causal and fed only what a trial file encodes (its population with the defaults of
``osteotwin.trials.population``, the arm's regimens with any background therapy of
``osteotwin.trials.background``, its lifestyle). Two arms whose inputs agree up to a time T therefore
have the same expected predictions up to T, whatever the model's parameters (the arms' virtual people
are drawn from the same distributions, so their means differ only by sampling error). Two rules
follow, each needing nothing but the files:

* **same window**: two endpoints of one quantity over the same window, on arms whose inputs agree
  up to its end (for contrasts: first arm with first arm, second with second), get the same
  prediction, so both cannot pass when their scoring intervals (the spec's pass rule,
  ``osteotwin.trials.pass_rule``) do not overlap;
* **incidence cannot fall** (single arms): cumulative fracture incidence never decreases, so an
  arm's incidence at t₁ cannot pass above another's at t₂ ≥ t₁ when their inputs agree up to t₂
  and the first interval lies wholly above the second.

Each incompatible pair forces at least one failure under the pass rule, so the fewest endpoints that
touch every pair (``forced_failures``) is a floor on the failures of any model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from osteotwin.trials.background import background_regimens
from osteotwin.trials.model import FRACTURE_QUANTITY, Arm, Endpoint, Trial, TrialRegimen
from osteotwin.trials.pass_rule import ScoringInterval, scoring_interval

_TIME_TOLERANCE_D = 1e-6
_EXACT_GROUP = 12  # largest group of linked endpoints whose cover is found exactly


@dataclass(frozen=True)
class EndpointRef:
    """One scored endpoint (one arm's, or a contrast: the first arm minus the second) and the
    interval it is scored against."""

    trial: str
    arms: tuple[str, ...]
    contrast: bool
    quantity: str
    at: str
    at_d: float
    from_d: float
    observed: float
    interval: ScoringInterval

    def label(self) -> str:
        return f"{self.trial} {' − '.join(self.arms)} {self.quantity} at {self.at}"

    def to_json(self) -> dict[str, Any]:
        return {"trial": self.trial, "arm": None if self.contrast else self.arms[0],
                "contrast": list(self.arms) if self.contrast else None,
                "quantity": self.quantity, "at": self.at, "observed": self.observed,
                "interval": [round(self.interval.low, 4), round(self.interval.high, 4)]}


@dataclass(frozen=True)
class Incompatibility:
    """Two endpoints that cannot both pass, and why (``rule``: "same window" or "incidence
    cannot fall"); ``gap`` is how far apart their intervals are (the endpoint's unit)."""

    first: EndpointRef
    second: EndpointRef
    rule: str
    gap: float

    def describe(self) -> str:
        a, b = self.first, self.second
        if self.rule == "same window":
            why = "same inputs, same window"
        else:
            why = f"same inputs up to {b.at}; cumulative incidence cannot fall"
        return (f"{a.label()} [{a.interval.low:.2f}, {a.interval.high:.2f}] and {b.label()} "
                f"[{b.interval.low:.2f}, {b.interval.high:.2f}]: {why} (intervals {self.gap:.2f} "
                "apart)")

    def to_json(self) -> dict[str, Any]:
        return {"endpoints": [self.first.to_json(), self.second.to_json()], "rule": self.rule,
                "gap": round(self.gap, 4)}


def _regimens_until(regimens: Sequence[TrialRegimen], t_d: float) -> tuple[TrialRegimen, ...]:
    """The regimens as the model sees them up to ``t_d``: those started before it, a stop at or
    after it read as open."""
    kept = []
    for reg in regimens:
        if reg.start_d >= t_d - _TIME_TOLERANCE_D:
            continue
        stop = reg.stop_d if reg.stop_d is not None and reg.stop_d < t_d - _TIME_TOLERANCE_D \
            else None
        kept.append(replace(reg, stop_d=stop))
    return tuple(sorted(kept, key=repr))


@dataclass(frozen=True)
class _ArmInputs:
    arm: Arm
    regimens: tuple[TrialRegimen, ...]  # the arm's own with the trial's background therapy

    def agree_until(self, other: _ArmInputs, t_d: float) -> bool:
        """Whether the model is fed the same inputs by both arms up to ``t_d``."""
        return (self.arm.population == other.arm.population
                and self.arm.lifestyle == other.arm.lifestyle
                and _regimens_until(self.regimens, t_d) == _regimens_until(other.regimens, t_d))


#: The inputs of an endpoint's arms, in order (one arm, or a contrast's two).
_Inputs = tuple[_ArmInputs, ...]


def _agree_until(a: _Inputs, b: _Inputs, t_d: float) -> bool:
    return len(a) == len(b) and all(x.agree_until(y, t_d) for x, y in zip(a, b, strict=True))


def _scored_endpoints(trials: Sequence[Trial]) -> list[tuple[EndpointRef, _Inputs]]:
    found = []
    for trial in trials:
        background, _ = background_regimens(trial)
        sizes = {a.id: a.n for a in trial.arms}
        for endpoint in trial.endpoints:
            interval = scoring_interval(endpoint, sizes)
            if not interval.scored:
                continue
            inputs = tuple(_ArmInputs(arm, (*arm.regimens, *background))
                           for arm in map(trial.arm, endpoint.arms))
            found.append((_ref(trial, endpoint, interval), inputs))
    return found


def _ref(trial: Trial, endpoint: Endpoint, interval: ScoringInterval) -> EndpointRef:
    return EndpointRef(trial.id, endpoint.arms, endpoint.contrast is not None, endpoint.quantity,
                       endpoint.at_text, endpoint.at_d, endpoint.from_d, endpoint.value, interval)


def _pair(a: EndpointRef, a_in: _Inputs, b: EndpointRef, b_in: _Inputs) -> Incompatibility | None:
    if a.quantity != b.quantity or abs(a.from_d - b.from_d) > _TIME_TOLERANCE_D:
        return None
    if abs(a.at_d - b.at_d) <= _TIME_TOLERANCE_D:
        if (a.trial, a.arms) == (b.trial, b.arms) or not _agree_until(a_in, b_in, a.at_d):
            return None
        gap = max(a.interval.low - b.interval.high, b.interval.low - a.interval.high)
        return Incompatibility(a, b, "same window", gap) if gap > 0 else None
    if a.quantity != FRACTURE_QUANTITY or a.from_d > _TIME_TOLERANCE_D or a.contrast \
            or b.contrast:
        return None
    early, late, early_in, late_in = (a, b, a_in, b_in) if a.at_d < b.at_d else (b, a, b_in, a_in)
    gap = early.interval.low - late.interval.high
    if gap <= 0 or not _agree_until(early_in, late_in, late.at_d):
        return None
    return Incompatibility(early, late, "incidence cannot fall", gap)


def incompatible_pairs(trials: Sequence[Trial]) -> list[Incompatibility]:
    """Every pair of scored endpoints of ``trials`` that no model can pass together."""
    endpoints = _scored_endpoints(trials)
    pairs = []
    for i, (a, a_in) in enumerate(endpoints):
        for b, b_in in endpoints[i + 1:]:
            found = _pair(a, a_in, b, b_in)
            if found is not None:
                pairs.append(found)
    return pairs


def forced_failures(pairs: Sequence[Incompatibility]) -> int:
    """A floor on the failures of any model: the fewest endpoints whose failure leaves no
    incompatible pair (a minimum vertex cover of the pairs, exact for groups of up to
    ``_EXACT_GROUP`` endpoints; larger groups count one per pair of a maximal matching)."""
    neighbours: dict[EndpointRef, set[EndpointRef]] = {}
    for pair in pairs:
        neighbours.setdefault(pair.first, set()).add(pair.second)
        neighbours.setdefault(pair.second, set()).add(pair.first)
    seen: set[EndpointRef] = set()
    total = 0
    for start in neighbours:
        if start in seen:
            continue
        group, todo = [], [start]
        seen.add(start)
        while todo:
            node = todo.pop()
            group.append(node)
            for other in neighbours[node] - seen:
                seen.add(other)
                todo.append(other)
        edges = [(a, b) for a in group for b in neighbours[a]]
        total += _cover_size(group, edges)
    return total


def _cover_size(nodes: list[EndpointRef], edges: list[tuple[EndpointRef, EndpointRef]]) -> int:
    if len(nodes) <= _EXACT_GROUP:
        for size in range(1, len(nodes) + 1):
            for cover in combinations(nodes, size):
                chosen = set(cover)
                if all(a in chosen or b in chosen for a, b in edges):
                    return size
    used: set[EndpointRef] = set()
    for a, b in edges:
        if a not in used and b not in used:
            used.update((a, b))
    return len(used) // 2


def forced_failures_line(pairs: Sequence[Incompatibility]) -> str:
    """One line: how many pairs there are and the floor on failures they force."""
    forced = forced_failures(pairs)
    return (f"{len(pairs)} pair{'s' * (len(pairs) != 1)} of endpoints no model can pass together, "
            f"so at least {forced} endpoint{'s' * (forced != 1)} fail{'s' * (forced == 1)} "
            "whatever the model")


__all__ = ["EndpointRef", "Incompatibility", "forced_failures", "forced_failures_line",
           "incompatible_pairs"]
