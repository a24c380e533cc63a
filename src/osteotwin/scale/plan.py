"""How a virtual trial is cut into chunks of people, and how each person is seeded.

A chunk is ``chunk_size`` consecutive people of one arm. Person ``i`` draws their characteristics
from ``numpy.random.SeedSequence(seed, spawn_key=(i,))`` and their model parameters from draws keyed
by (seed, i, parameter name) (``physiology/draws.py``): both depend on the run's seed and the
person's index only, never on the arm, the chunk size, the backend, the order chunks run in or
whether the run was resumed. Person ``i`` of every arm is therefore the same virtual person (common
random numbers) when the arms share a population, so arm-minus-arm contrasts are paired per person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from osteotwin.errors import UserInputError

DEFAULT_CHUNK_SIZE = 2_000
MAX_PEOPLE_PER_ARM = 100_000_000


@dataclass(frozen=True)
class ChunkTask:
    """People ``start`` (inclusive) to ``stop`` (exclusive) of arm ``arm_id``."""

    arm_index: int
    arm_id: str
    chunk_index: int
    start: int
    stop: int
    seed: int

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def name(self) -> str:
        """File stem of the chunk's Parquet file."""
        return f"chunk-{self.chunk_index:06d}"

    def standard_normals(self, width: int) -> NDArray[np.float64]:
        """(size, width) standard-normal draws, row ``j`` from person ``start + j``'s own stream."""
        rows = [np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(i,)))
                .standard_normal(width) for i in range(self.start, self.stop)]
        return np.array(rows, dtype=np.float64).reshape(self.size, width)


def plan_chunks(arm_ids: tuple[str, ...], n: int, chunk_size: int, seed: int) -> list[ChunkTask]:
    """Every chunk of every arm, chunk-major (chunk 0 of all arms first) so partial runs stay balanced."""
    check_run_size(n, chunk_size, seed)
    tasks: list[ChunkTask] = []
    n_chunks = -(-n // chunk_size)
    for chunk_index in range(n_chunks):
        start = chunk_index * chunk_size
        stop = min(start + chunk_size, n)
        for arm_index, arm_id in enumerate(arm_ids):
            tasks.append(ChunkTask(arm_index, arm_id, chunk_index, start, stop, seed))
    return tasks


def check_run_size(n: int, chunk_size: int, seed: int) -> None:
    """User-facing checks of ``--n``, ``--chunk-size`` and ``--seed``."""
    if not 1 <= n <= MAX_PEOPLE_PER_ARM:
        raise UserInputError("--n", n, f"1 to {MAX_PEOPLE_PER_ARM:,} people per arm")
    if not 1 <= chunk_size <= 1_000_000:
        raise UserInputError("--chunk-size", chunk_size, "1 to 1,000,000 people per chunk")
    if not 0 <= seed < 2**63:
        raise UserInputError("--seed", seed, "an integer from 0 to 2**63 - 1")
