"""Chunk planning and seeding: independent of arm, order and backend."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.errors import UserInputError
from osteotwin.scale.plan import plan_chunks


def test_chunks_cover_every_person_of_every_arm_once() -> None:
    tasks = plan_chunks(("a", "b"), n=2_345, chunk_size=1_000, seed=7)
    for arm in ("a", "b"):
        covered = [i for t in tasks if t.arm_id == arm for i in range(t.start, t.stop)]
        assert covered == list(range(2_345))
    assert [t.chunk_index for t in tasks] == [0, 0, 1, 1, 2, 2]
    assert tasks[-1].size == 345


def test_person_random_numbers_depend_on_seed_and_person_only() -> None:
    a0, b0, a1 = plan_chunks(("a", "b"), 20, 10, seed=3)[:3]
    first = a0.standard_normals(5)
    assert first.shape == (10, 5)
    assert np.array_equal(first, b0.standard_normals(5))  # same people in both arms
    assert not np.array_equal(first, a1.standard_normals(5))
    small_chunks = plan_chunks(("a",), 20, 4, seed=3)
    assert np.array_equal(first[4:8], small_chunks[1].standard_normals(5))  # chunking irrelevant
    other_seed = plan_chunks(("a",), 20, 10, seed=4)[0]
    assert not np.array_equal(first, other_seed.standard_normals(5))


@pytest.mark.parametrize(("n", "chunk", "seed", "field"),
                         [(0, 10, 0, "--n"), (10, 0, 0, "--chunk-size"), (10, 10, -1, "--seed")])
def test_bad_sizes_name_the_option(n: int, chunk: int, seed: int, field: str) -> None:
    with pytest.raises(UserInputError) as err:
        plan_chunks(("a",), n, chunk, seed)
    assert err.value.field == field
