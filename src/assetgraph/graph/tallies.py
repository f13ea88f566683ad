"""Counting an answer's CIs by per-CI columns in one pass: what a report summarises.

An impact answer can hold 500k CIs, and a report counts them per class, per owning team,
per support group, split by state. In numpy every such count is a gather into the column,
a key computation and a ``bincount``: three passes and three temporary arrays of the
answer's size, each ~2 ms at 500k CIs. The compiled kernel does all of it in one pass with
no temporary; the numpy version is the reference it is tested against.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import _accel
from ._backend import get_backend
from ._kernels import I64

__all__ = ["nonzero_at", "tally_pairs"]

Mask = npt.NDArray[np.bool_]


def tally_pairs(
    index: npt.NDArray[np.integer] | None,
    first: npt.NDArray[np.integer],
    second: npt.NDArray[np.integer],
    major: Mask,
    minor: Mask,
    slots: int,
) -> I64:
    """Counts of the rows ``index`` by the values of two columns and two flags (``index``
    None: every row, in order — columns already gathered are then read sequentially).

    For each position ``i`` with ``a = first[index[i]]``, ``b = second[index[i]]`` and kind
    ``k = 2 * major[i] + minor[i]``: ``out[0, a, k]`` counts it by its first value,
    ``out[1, b, k]`` by its second, and ``out[2, a, k]`` when both values are the same (so
    ``out[0] + out[1] - out[2]`` counts it once per distinct value). Value 0 means "none"
    and is not counted (``out[:, 0]`` is zero). Column values must be in ``0..slots-1``
    (else ``ValueError``); ``major`` and ``minor`` are aligned with ``index``. Returns an
    int64 array of shape ``(3, slots, 4)``.

    Why one function for two columns: a CI's owning team and support group are two columns
    and a team that does both counts the CI once; with one column, pass it twice.
    """
    if index is not None:
        index = np.asarray(index)
    if major.size != minor.size or (index is not None and index.size != major.size):
        raise ValueError("index, major and minor must have the same length")
    if slots < 1:
        raise ValueError("slots must be at least 1")
    if get_backend() == "numba":  # the kernel checks every index and value in its pass
        return _accel.tally_pairs(
            None if index is None else index.astype(np.int64, copy=False),
            np.asarray(first),
            np.asarray(second),
            np.asarray(major, dtype=np.bool_),
            np.asarray(minor, dtype=np.bool_),
            int(slots),
        )
    rows = np.arange(major.size) if index is None else index
    size = min(np.asarray(first).size, np.asarray(second).size)
    if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= size):
        raise ValueError("an index or a column value is out of range (values: 0..slots-1)")
    return _tally_pairs_np(rows, first, second, major, minor, slots)


def _tally_pairs_np(
    index: npt.NDArray[np.integer],
    first: npt.NDArray[np.integer],
    second: npt.NDArray[np.integer],
    major: Mask,
    minor: Mask,
    slots: int,
) -> I64:
    """The numpy reference of :func:`tally_pairs`."""
    a = np.asarray(first)[index].astype(np.int64)
    b = np.asarray(second)[index].astype(np.int64)
    for values in (a, b):
        if values.size and (int(values.min()) < 0 or int(values.max()) >= slots):
            raise ValueError("an index or a column value is out of range (values: 0..slots-1)")
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
