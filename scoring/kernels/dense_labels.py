"""Dense labels 0..k-1 for int64 ids (particle ids, track ids) and their counts, without sorting.

Ids spanning a range not much wider than their count are labelled through a direct table
indexed by ``id - min``. Other ids (64-bit particle ids, scattered track ids) go through an
open-addressing hash table with linear probing whose slots hold only labels (int32); the
id of label k is kept once, in a list of the distinct ids, where a probe checks it. The
table has at least one slot per id (for n ids, 2**17 slots and 512 kB at n = 120k, so
probes stay short) and doubles whenever it is half full. Labels are given in order of
first appearance.
"""

from __future__ import annotations

import numba
import numpy as np

from fivesigma.scoring.kernels.scratch import scratch

HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
ONE = np.uint64(1)
DIRECT_SLACK = 1024  # a direct table may be this much longer than the number of ids
MIN_BITS = 10  # the smallest hash table has 2**10 slots


@numba.njit(cache=True, nogil=True, inline="always")
def _slot(value, bits):
    """Home slot of ``value`` in a table of 2**bits slots.

    Slots and the other indexes of the hot loops here are unsigned: numba then skips its
    handling of negative indexes, which costs about a sixth of the labelling time.
    """
    return (np.uint64(value) * HASH_MULTIPLIER) >> np.uint64(64 - bits)


@numba.njit(cache=True, nogil=True)
def _label_table(ids, bits):
    """Hash table of 2**bits slots holding the labels 0..len(ids)-1 of the distinct ``ids``."""
    mask = np.uint64((1 << bits) - 1)
    table = np.full(1 << bits, -1, dtype=np.int32)
    for label in range(ids.size):
        slot = _slot(ids[label], bits)
        while table[slot] >= 0:
            slot = (slot + ONE) & mask
        table[slot] = label
    return table


@numba.njit(cache=True, nogil=True)
def value_range(values):
    """Smallest and largest of ``values`` ((0, -1) when empty), in a loop that vectorises
    (numba's own min and max do not)."""
    if values.size == 0:
        return 0, -1
    low = high = values[0]
    for i in range(values.size):
        low = values[i] if values[i] < low else low
        high = values[i] if values[i] > high else high
    return low, high


@numba.njit(cache=True, nogil=True)
def _label_into(values, table, dense, counts, ids):
    """Dense labels 0..k-1 of int64 ``values`` in order of first appearance into ``dense``,
    the number of values with each label into ``counts[:k]`` and the value of each label
    into ``ids[:k]``; returns k.

    ``table`` is a working array of at least :func:`table_size` entries. Values spanning a
    range not much wider than their count use it as a direct table indexed by value - min;
    others (64-bit particle ids, scattered track ids) as the hash table described above.
    """
    n = values.size
    if n == 0:
        return 0
    low, high = value_range(values)
    span = high - low  # wraps negative on overflow
    distinct = 0
    if 0 <= span < n + DIRECT_SLACK:
        direct = table[: span + 1]
        direct[:] = -1
        for i in range(n):
            slot = np.uint64(values[i] - low)
            label = direct[slot]
            if label < 0:
                label = distinct
                direct[slot] = label
                ids[label] = values[i]
                counts[label] = 0
                distinct += 1
            dense[i] = label
            counts[np.uint64(label)] += 1
        return distinct
    bits = _hash_bits(n)
    mask = np.uint64((1 << bits) - 1)
    table = table[: 1 << bits]
    table[:] = -1
    for i in range(n):
        value = values[i]
        slot = _slot(value, bits)
        while True:
            label = table[slot]
            if label < 0:
                label = distinct
                table[slot] = label
                ids[label] = value
                counts[label] = 0
                distinct += 1
                if 2 * distinct > (1 << bits):
                    bits += 1
                    mask = np.uint64((1 << bits) - 1)
                    table = _label_table(ids[:distinct], bits)
                break
            if ids[np.uint64(label)] == value:
                break
            slot = (slot + ONE) & mask
        dense[i] = label
        counts[np.uint64(label)] += 1
    return distinct


@numba.njit(cache=True, nogil=True)
def _hash_bits(n):
    """Hash table size (log2) for n values: at least one slot per value, at least 2**MIN_BITS."""
    bits = MIN_BITS
    while (1 << bits) < n:
        bits += 1
    return bits


def table_size(n: int) -> int:
    """Entries of the working table :func:`_label_into` needs for ``n`` values."""
    return max(1 << _hash_bits(n), n + DIRECT_SLACK)


def dense_labels(
    values: np.ndarray, scratch_as: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Dense labels 0..k-1 (int32) of int64 ``values`` in order of first appearance, and the
    number of values with each label (int32, k entries).

    With ``scratch_as``, both arrays are views of this thread's scratch arrays of that name
    (valid until the next call with the same name); otherwise they are new arrays.
    """
    n = values.size
    if scratch_as is None:
        dense, counts = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    else:
        dense = scratch.array(f"{scratch_as}.labels", n, np.int32)
        counts = scratch.array(f"{scratch_as}.counts", n, np.int32)
    table = scratch.array("dense_labels.table", table_size(n), np.int32)
    ids = scratch.array("dense_labels.ids", n, np.int64)
    distinct = _label_into(values, table, dense, counts, ids)
    counts = counts[:distinct]
    return dense, counts if scratch_as is not None else counts.copy()
