"""Reading an answer's CIs off per-CI columns in one pass: what a report summarises.

An impact answer can hold 500k CIs, and a report counts them per class, per owning team,
per support group, split by state, and looks up their assets. In numpy every such count is
a gather into the column, a key computation and a ``bincount``: three passes and three
temporary arrays of the answer's size, each ~2 ms at 500k CIs. The compiled kernels read
every column of a row in the same iteration with no temporary; the numpy versions are the
reference they are tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import _accel
from ._backend import get_backend
from ._kernels import I64

__all__ = ["RowFacts", "nonzero_at", "row_facts"]

Mask = npt.NDArray[np.bool_]


def _tally_pairs_np(
    index: npt.NDArray[np.integer],
    first: npt.NDArray[np.integer],
    second: npt.NDArray[np.integer],
    major: Mask,
    minor: Mask,
    slots: int,
) -> I64:
    """Counts of the rows ``index`` by two columns, kind ``2 * major + minor`` (the numpy
    reference of :func:`row_facts`'s ``tally``): ``out[0, a, k]`` by the first value,
    ``out[1, b, k]`` by the second, ``out[2, a, k]`` when both are the same; 0 is "none"."""
    a = np.asarray(first)[index].astype(np.int64)
    b = np.asarray(second)[index].astype(np.int64)
    for values in (a, b):
        if values.size and (int(values.min()) < 0 or int(values.max()) >= slots):
            raise ValueError("an index or a column value is out of range")
    kind = np.asarray(major, dtype=np.int64) * 2 + np.asarray(minor, dtype=np.int64)
    size = slots * 4
    out = np.empty((3, slots, 4), dtype=np.int64)
    out[0] = np.bincount(a * 4 + kind, minlength=size).reshape(slots, 4)
    out[1] = np.bincount(b * 4 + kind, minlength=size).reshape(slots, 4)
    same = a == b
    out[2] = np.bincount(a[same] * 4 + kind[same], minlength=size).reshape(slots, 4)
    out[:, 0] = 0  # "none"
    return out


def nonzero_at(
    column: npt.NDArray[np.integer],
    index: npt.NDArray[np.integer],
    skip: Mask | None = None,
) -> I64:
    """The non-zero values of ``column`` at the rows ``index`` (in that order, duplicates
    kept), leaving out the positions where ``skip`` is True.

    Why: "the assets linked to 500k affected CIs" when most CIs have none; in numpy a
    gather, a comparison and a compress, each the size of the answer.
    """
    index = np.asarray(index)
    if skip is not None and skip.size != index.size:
        raise ValueError("index and skip must have the same length")
    if get_backend() == "numba":
        return _accel.nonzero_at(
            np.asarray(column),
            index.astype(np.int64, copy=False),
            None if skip is None else np.asarray(skip, dtype=np.bool_),
        )
    if index.size and (int(index.min()) < 0 or int(index.max()) >= np.asarray(column).size):
        raise ValueError("an index is out of range of the column")
    if skip is not None:
        index = index[~skip]
    values = np.asarray(column)[index].astype(np.int64)
    out: I64 = values[values != 0]
    return out


@dataclass(frozen=True)
class RowFacts:
    """What :func:`row_facts` reads off the rows of an answer (aligned with its ``index``
    where per row)."""

    values: I64  # the key column at each row (e.g. the class of each affected CI)
    labels: npt.NDArray[np.uint8]  # the key's label flags at each row
    by_key: I64  # (len(labels), 4): rows per key value and kind
    tally: I64  # (3, slots, 4): rows per first value, per second value, per both; same kinds
    linked: I64  # non-zero values of the linked column at rows without label bit 1


def row_facts(
    index: npt.NDArray[np.integer],
    key: npt.NDArray[np.integer],
    labels: npt.NDArray[np.uint8],
    first: npt.NDArray[np.integer],
    second: npt.NDArray[np.integer],
    slots: int,
    major: Mask,
    linked: npt.NDArray[np.integer],
) -> RowFacts:
    """Everything a report reads off the lookup columns of an answer's rows, in one pass.

    For each position ``i`` with row ``r = index[i]``, the result holds ``values[i] =
    key[r]`` and ``labels[i] = labels[key[r]]`` (bit flags; bit 1 is the "minor" flag);
    with kind ``k = 2 * major[i] + (labels[key[r]] & 1)``, ``by_key[key[r], k]`` counts
    the row;
    ``tally[0, first[r], k]`` and ``tally[1, second[r], k]`` count it by each count
    column, and ``tally[2, first[r], k]`` when both values are the same (so
    ``tally[0] + tally[1] - tally[2]`` counts it once per distinct value; value 0 means
    "none" and is not counted); ``linked[r]`` is collected, when non-zero, for rows
    without bit 1. Key values must be in ``0..len(labels)-1`` and count values in
    ``0..slots-1`` (else ``ValueError``).

    Why one pass: an impact report needs, of 500k affected CIs, their class (and whether it
    is an end-user device, a service, an application), counts per class and per team, and
    the assets of the infrastructure. Read in separate passes, each column costs a random
    read per CI plus temporaries (~2-5 ms each); read in one, the columns' cache misses
    overlap.
    """
    index = np.asarray(index)
    if major.size != index.size:
        raise ValueError("index and major must have the same length")
    if slots < 1 or labels.size < 1:
        raise ValueError("slots and labels must not be empty")
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    if get_backend() == "numba":
        if index.dtype not in (np.int32, np.int64):
            index = index.astype(np.int64)
        values, lab, by_key, tally, found = _accel.row_facts(
            index,
            np.asarray(key),
            labels,
            np.asarray(first),
            np.asarray(second),
            int(slots),
            np.asarray(major, dtype=np.bool_),
            np.asarray(linked),
        )
        return RowFacts(values, lab, by_key, tally, found)
    size = min(np.asarray(c).size for c in (key, first, second, linked))
    if index.size and (int(index.min()) < 0 or int(index.max()) >= size):
        raise ValueError("an index or a column value is out of range")
    values = np.asarray(key)[index].astype(np.int64)
    if values.size and (int(values.min()) < 0 or int(values.max()) >= labels.size):
        raise ValueError("an index or a column value is out of range")
    lab = labels[values]
    minor = (lab & 1).astype(np.bool_)
    kind = np.asarray(major, dtype=np.int64) * 2 + minor
    by_key = np.bincount(values * 4 + kind, minlength=labels.size * 4).reshape(-1, 4)
    tally = _tally_pairs_np(index, first, second, np.asarray(major, dtype=np.bool_), minor, slots)
    found = np.asarray(linked)[index[~minor]].astype(np.int64)
    return RowFacts(values, lab, by_key, tally, found[found != 0])
