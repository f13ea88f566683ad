"""The per-row facts of an answer read in one pass (``row_facts``) and the linked ids of
some rows (``nonzero_at``): each backend against a plain loop over the documented rule."""

from __future__ import annotations

import numpy as np
import pytest

from assetgraph.graph import nonzero_at, row_facts


def _loop(index, key, labels, first, second, slots, major, linked):  # type: ignore[no-untyped-def]
    """The rule of ``row_facts``, one row at a time."""
    values, lab, found = [], [], []
    by_key = np.zeros((labels.size, 4), dtype=np.int64)
    tally = np.zeros((3, slots, 4), dtype=np.int64)
    for i, row in enumerate(index.tolist()):
        c, a, b = int(key[row]), int(first[row]), int(second[row])
        values.append(c)
        lab.append(int(labels[c]))
        k = 2 * int(major[i]) + (int(labels[c]) & 1)
        by_key[c, k] += 1
        if a:
            tally[0, a, k] += 1
            if a == b:
                tally[2, a, k] += 1
        if b:
            tally[1, b, k] += 1
        if not int(labels[c]) & 1 and int(linked[row]):
            found.append(int(linked[row]))
    return values, lab, by_key, tally, found


def test_row_facts_reads_every_column_of_each_row_once() -> None:
    rng = np.random.default_rng(5)
    n, slots, classes = 500, 7, 6
    key = rng.integers(1, classes, n)
    labels = np.array([0, 1, 2, 4, 0, 3], dtype=np.uint8)
    first = rng.integers(0, slots, n)
    second = np.where(rng.random(n) < 0.4, first, rng.integers(0, slots, n))
    linked = np.where(rng.random(n) < 0.3, rng.integers(1, 50, n), 0)
    index = rng.integers(0, n, 300)
    major = rng.random(300) < 0.3
    values, lab, by_key, tally, found = _loop(
        index, key, labels, first, second, slots, major, linked
    )
    for rows in (index, index.astype(np.int32)):  # engine nodes (int32) or lookup rows
        facts = row_facts(rows, key, labels, first, second, slots, major, linked)
        assert facts.values.tolist() == values and facts.labels.tolist() == lab
        np.testing.assert_array_equal(facts.by_key, by_key)
        np.testing.assert_array_equal(facts.tally, tally)
        assert facts.linked.tolist() == found
    assert int(tally[:, 0].sum()) == 0 and int((tally[0] + tally[1] - tally[2])[:, 2].sum()) > 0
    for column in (key, first, second, linked):  # a mapped snapshot's columns are read-only
        column.setflags(write=False)
    again = row_facts(index, key, labels, first, second, slots, major, linked)
    np.testing.assert_array_equal(again.tally, tally)


@pytest.mark.parametrize(
    ("index", "key", "team"),
    [([0, 5], [1, 1, 1], [0, 0, 0]), ([0], [3, 1, 1], [0, 0, 0]), ([1], [1, 1, 1], [0, 2, 0])],
)
def test_row_facts_refuses_what_is_out_of_range(
    index: list[int], key: list[int], team: list[int]
) -> None:
    keys, teams = np.array(key, dtype=np.int64), np.array(team, dtype=np.int64)
    labels = np.zeros(3, dtype=np.uint8)  # key values 0..2
    with pytest.raises(ValueError, match="out of range"):
        row_facts(np.array(index), keys, labels, teams, teams, 2, np.zeros(len(index), bool), teams)


def test_row_facts_refuses_misaligned_flags() -> None:
    column = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match="same length"):
        row_facts(
            np.arange(3),
            column,
            np.zeros(1, np.uint8),
            column,
            column,
            1,
            np.zeros(2, bool),
            column,
        )


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
