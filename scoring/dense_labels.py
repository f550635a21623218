"""Dense labels 0..k-1 for int64 ids (particle ids, track ids), without sorting.

Ids spanning a range not much wider than their count are labelled through a direct table
indexed by ``id - min``; other ids (64-bit particle ids, scattered track ids) through an
open-addressing hash table with linear probing, each key stored next to its label; for n
ids it starts with about n/2 slots and doubles whenever it is half full, so probes stay
short. Labels are given in order of first appearance.
"""

from __future__ import annotations

import numba
import numpy as np

HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
DIRECT_SLACK = 1024  # a direct table may be this much longer than the number of ids


@numba.njit(cache=True, inline="always")
def _slot(value, bits):
    return np.int64((np.uint64(value) * HASH_MULTIPLIER) >> np.uint64(64 - bits))


@numba.njit(cache=True)
def _grown(table, bits):
    """The hash table (key, label pairs; label -1 = empty) rehashed into twice the slots."""
    bits += 1
    mask = (1 << bits) - 1
    grown = np.full(2 << bits, -1, dtype=np.int64)
    for old in range(table.size // 2):
        if table[2 * old + 1] >= 0:
            slot = _slot(table[2 * old], bits)
            while grown[2 * slot + 1] >= 0:
                slot = (slot + 1) & mask
            grown[2 * slot] = table[2 * old]
            grown[2 * slot + 1] = table[2 * old + 1]
    return grown, bits


@numba.njit(cache=True)
def dense_labels(values):
    """Dense labels 0..k-1 of int64 ``values`` in order of first appearance, and k.

    Values spanning a range not much wider than their count use a direct table; others
    (64-bit particle ids, scattered track ids) the hash table described above.
    """
    n = values.size
    dense = np.empty(n, dtype=np.int32)
    if n == 0:
        return dense, 0
    low = values.min()
    span = values.max() - low  # wraps negative on overflow
    distinct = 0
    if 0 <= span < n + DIRECT_SLACK:
        direct = np.full(span + 1, -1, dtype=np.int64)
        for i in range(n):
            slot = values[i] - low
            if direct[slot] < 0:
                direct[slot] = distinct
                distinct += 1
            dense[i] = direct[slot]
        return dense, distinct
    bits = 10
    while (1 << bits) < n // 2:  # room for n/4 distinct values before any growth
        bits += 1
    table = np.full(2 << bits, -1, dtype=np.int64)
    for i in range(n):
        value = values[i]
        mask = (1 << bits) - 1
        slot = _slot(value, bits)
        while True:
            label = table[2 * slot + 1]
            if label < 0:
                table[2 * slot] = value
                table[2 * slot + 1] = distinct
                dense[i] = distinct
                distinct += 1
                if 2 * distinct > (1 << bits):
                    table, bits = _grown(table, bits)
                break
            if table[2 * slot] == value:
                dense[i] = label
                break
            slot = (slot + 1) & mask
    return dense, distinct
