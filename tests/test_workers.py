"""The default worker count: OSTEOTWIN_WORKERS when valid, else the usable CPUs."""

from __future__ import annotations

import os

import pytest

from osteotwin.workers import default_workers


def test_environment_variable_sets_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSTEOTWIN_WORKERS", "3")
    assert default_workers() == 3


@pytest.mark.parametrize("value", ["0", "-2", "many", ""])
def test_invalid_values_fall_back_to_the_usable_cpus(monkeypatch: pytest.MonkeyPatch,
                                                     value: str) -> None:
    monkeypatch.setenv("OSTEOTWIN_WORKERS", value)
    usable = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
              else os.cpu_count() or 1)
    assert default_workers() == max(1, usable)
