"""The per-kind memory of the first step after a dose."""

from __future__ import annotations

import numpy as np

from osteotwin.simulate.dose_steps import (
    DOSE_MEMORY,
    FIRST_STEP_GROWTH_MAX,
    dose_kind,
    dose_slot,
    remembered_step,
    state_bit,
)


def test_a_dose_kind_is_the_set_of_states_it_jumps() -> None:
    jumped = np.zeros(43, dtype=np.bool_)
    assert dose_kind(jumped) == 0
    jumped[0] = jumped[5] = True
    assert dose_kind(jumped) == (1 << 0) | (1 << 5)
    jumped[5] = False
    assert dose_kind(jumped) == 1


def test_each_kind_keeps_its_slot_and_a_full_memory_reuses_the_last() -> None:
    kinds = np.full(DOSE_MEMORY, -1, dtype=np.int64)
    assert dose_slot(kinds, 1) == (0, False)
    assert dose_slot(kinds, 33) == (1, False)
    assert dose_slot(kinds, 1) == (0, True)
    assert dose_slot(kinds, 33) == (1, True)
    for kind in range(2, DOSE_MEMORY + 1):
        dose_slot(kinds, 1 << kind)
    slot, known = dose_slot(kinds, 1 << 20)
    assert (slot, known) == (DOSE_MEMORY - 1, False)
    assert dose_slot(kinds, 1) == (0, True)


def test_the_remembered_step_follows_the_error_but_grows_at_most_by_its_limit() -> None:
    assert remembered_step(0.5, 0.8) == 0.4
    assert remembered_step(0.5, 3.0) == 0.5 * FIRST_STEP_GROWTH_MAX
    assert state_bit(3) == 8
    assert state_bit(70) == state_bit(62)
