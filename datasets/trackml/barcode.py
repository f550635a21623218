"""64-bit particle identifiers with the bit layout of the official TrackML particle_id.

From the most significant bit: vertex (12 bits, the collision), primary particle number
(16 bits), generation (12 bits, 0 for particles from the collision itself), secondary number
(12 bits), process (12 bits). particle_id 0 is reserved for noise.
"""

from __future__ import annotations

import numpy as np

FIELDS = {  # name: (shift, bits)
    "vertex_id": (52, 12),
    "primary_id": (36, 16),
    "generation": (24, 12),
    "secondary_id": (12, 12),
    "process": (0, 12),
}
HADRONIC_INELASTIC = 121  # process code of secondaries from nuclear interactions


def encode(**fields) -> np.ndarray:
    """Pack named fields (arrays of non-negative ints; missing fields are 0) into uint64 ids."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown particle_id fields {sorted(unknown)}")
    shape = np.broadcast(*fields.values()).shape
    out = np.zeros(shape, dtype=np.uint64)
    for name, values in fields.items():
        shift, bits = FIELDS[name]
        field = np.asarray(values, dtype=np.int64)
        if (field < 0).any() or (field >= 1 << bits).any():
            raise ValueError(f"{name} does not fit in {bits} bits")
        out |= field.astype(np.uint64) << np.uint64(shift)
    return out


def decode(particle_id, name: str) -> np.ndarray:
    """One field of particle ids (int64 or uint64 arrays)."""
    shift, bits = FIELDS[name]
    ids = np.asarray(particle_id).astype(np.uint64)
    return ((ids >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.int64)
