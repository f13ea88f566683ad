"""Counting an answer's rows by columns (``tally_pairs``) and picking linked ids
(``nonzero_at``): each backend against a plain loop over the documented rule."""

from __future__ import annotations

import numpy as np
import pytest

from assetgraph.graph import nonzero_at, tally_pairs


def _loop_tally(
    index: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    major: np.ndarray,
    minor: np.ndarray,
    slots: int,
) -> np.ndarray:
    out = np.zeros((3, slots, 4), dtype=np.int64)
    for i, row in enumerate(index.tolist()):
        a, b = int(first[row]), int(second[row])
        k = 2 * int(major[i]) + int(minor[i])
        if a:
            out[0, a, k] += 1
            if a == b:
                out[2, a, k] += 1
        if b:
            out[1, b, k] += 1
    return out


def test_tally_pairs_counts_each_row_by_both_columns_once_per_team() -> None:
    rng = np.random.default_rng(5)
    n, slots = 500, 7
    first = rng.integers(0, slots, n)
    second = np.where(rng.random(n) < 0.4, first, rng.integers(0, slots, n))
    index = rng.integers(0, n, 300)
    major, minor = rng.random(300) < 0.3, rng.random(300) < 0.2
    got = tally_pairs(index, first, second, major, minor, slots)
    assert got.shape == (3, slots, 4)
    np.testing.assert_array_equal(got, _loop_tally(index, first, second, major, minor, slots=slots))
    once = got[0] + got[1] - got[2]
    assert int(once[:, 2].sum()) > 0 and int(got[:, 0].sum()) == 0  # 0 is "none"
    # read-only columns (a mapped snapshot's) and "every row in order" give the same
    first.setflags(write=False)
    second.setflags(write=False)
    np.testing.assert_array_equal(tally_pairs(index, first, second, major, minor, slots), got)
    gathered = first[index]
    np.testing.assert_array_equal(
        tally_pairs(None, gathered, gathered, major, minor, slots)[0], got[0]
    )


@pytest.mark.parametrize(
    ("index", "values", "slots"),
    [([0, 5], [0, 1, 2], 3), ([-1], [0, 1, 2], 3), ([0, 1], [0, 3, 1], 3), ([1], [0, -1], 3)],
)
def test_tally_pairs_refuses_what_is_out_of_range(
    index: list[int], values: list[int], slots: int
) -> None:
    column = np.array(values, dtype=np.int64)
    flags = np.zeros(len(index), dtype=np.bool_)
    with pytest.raises(ValueError, match="out of range"):
        tally_pairs(np.array(index), column, column, flags, flags, slots)


def test_tally_pairs_refuses_misaligned_flags() -> None:
    column = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match="same length"):
        tally_pairs(np.arange(3), column, column, np.zeros(2, bool), np.zeros(3, bool), 1)


def test_nonzero_at_keeps_order_and_duplicates_and_skips() -> None:
    column = np.array([0, 7, 0, 9, 7], dtype=np.int64)
    index = np.array([4, 0, 1, 3, 1, 2])
    assert nonzero_at(column, index).tolist() == [7, 7, 9, 7]
    skip = np.array([False, False, True, False, False, False])
    assert nonzero_at(column, index, skip).tolist() == [7, 9, 7]
    assert nonzero_at(column, np.zeros(0, dtype=np.int64)).tolist() == []
    with pytest.raises(ValueError, match="out of range"):
        nonzero_at(column, np.array([5]))
    with pytest.raises(ValueError, match="out of range"):
        nonzero_at(column, np.array([-1]))
