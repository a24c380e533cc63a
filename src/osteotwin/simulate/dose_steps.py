"""First step after a dose, remembered per kind of dose (one-person and batch solvers alike).

A dose jumps some states (a bolus of anastrozole, a testosterone depot, a zoledronate infusion) and
the step size must restart at the time scale of that jump. Repeating schedules repeat the same
jumps, so the step the solver predicted after the last dose of the same kind (the same set of
jumped states) is a good first step for the next one: a weekly testosterone injection with
twice-weekly anastrozole alternates two kinds, and one memory for both makes every other dose start
with a step that is too large (a rejection and a fresh Jacobian per dose).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

#: Kinds of dose whose first step is remembered (a new kind beyond them takes the last slot).
DOSE_MEMORY = 8
#: The remembered step may exceed the first step taken by at most this factor (the solvers'
#: usual growth limit after a step that lands on a dose).
FIRST_STEP_GROWTH_MAX = 1.2


@njit(cache=True)
def state_bit(state: int) -> int:
    """A state's bit in a dose kind (states beyond 62 share the last bit)."""
    return 1 << min(state, 62)


@njit(cache=True)
def dose_kind(jumped: NDArray[np.bool_]) -> int:
    """The kind of a dose: the bit mask of the states it jumps (0: no dose)."""
    kind = 0
    for i in range(jumped.size):
        if jumped[i]:
            kind |= state_bit(i)
    return kind


@njit(cache=True)
def dose_slot(kinds: NDArray[np.int64], kind: int) -> tuple[int, bool]:
    """The memory slot of ``kind`` in ``kinds`` (bit masks; -1 = free), claimed for it when new,
    and whether it was known before."""
    slot = kinds.size - 1
    for j in range(kinds.size):
        if kinds[j] == kind or kinds[j] < 0:
            slot = j
            break
    known = kinds[slot] == kind
    kinds[slot] = kind
    return slot, known


@njit(cache=True)
def remembered_step(h: float, factor: float) -> float:
    """What to remember after the first accepted step ``h`` after a dose: the step its error
    predicts (``factor`` × h), grown by at most ``FIRST_STEP_GROWTH_MAX``."""
    return h * min(factor, FIRST_STEP_GROWTH_MAX)
