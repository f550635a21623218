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

HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
DIRECT_SLACK = 1024  # a direct table may be this much longer than the number of ids
MIN_BITS = 10  # the smallest hash table has 2**10 slots


@numba.njit(cache=True, inline="always")
def _slot(value, bits):
    return np.int64((np.uint64(value) * HASH_MULTIPLIER) >> np.uint64(64 - bits))


@numba.njit(cache=True)
def _label_table(ids, bits):
    """Hash table of 2**bits slots holding the labels 0..len(ids)-1 of the distinct ``ids``."""
    mask = (1 << bits) - 1
    table = np.full(1 << bits, -1, dtype=np.int32)
    for label in range(ids.size):
        slot = _slot(ids[label], bits)
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = label
    return table


@numba.njit(cache=True)
def dense_labels(values):
    """Dense labels 0..k-1 (int32) of int64 ``values`` in order of first appearance, and the
    number of values with each label (int32, k entries).

    Values spanning a range not much wider than their count use a direct table; others
    (64-bit particle ids, scattered track ids) the hash table described above.
    """
    n = values.size
    dense = np.empty(n, dtype=np.int32)
    counts = np.empty(n, dtype=np.int32)  # counts[label], set when the label is given
    if n == 0:
        return dense, counts
    low = values.min()
    span = values.max() - low  # wraps negative on overflow
    distinct = 0
    if 0 <= span < n + DIRECT_SLACK:
        direct = np.full(span + 1, -1, dtype=np.int32)
        for i in range(n):
            slot = values[i] - low
            label = direct[slot]
            if label < 0:
                label = distinct
                direct[slot] = label
                counts[label] = 0
                distinct += 1
            dense[i] = label
            counts[label] += 1
        return dense, counts[:distinct].copy()
    bits = MIN_BITS
    while (1 << bits) < n:
        bits += 1
    ids = np.empty(n, dtype=np.int64)  # ids[label]: the id labelled ``label``
    table = np.full(1 << bits, -1, dtype=np.int32)
    for i in range(n):
        value = values[i]
        mask = (1 << bits) - 1
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
                    table = _label_table(ids[:distinct], bits)
                break
            if ids[label] == value:
                break
            slot = (slot + 1) & mask
        dense[i] = label
        counts[label] += 1
    return dense, counts[:distinct].copy()
