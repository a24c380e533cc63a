"""The per-kind memory of the first step after a dose."""

from __future__ import annotations

import numpy as np

from osteotwin.simulate.dose_steps import DOSE_MEMORY, dose_kind, dose_slot


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
