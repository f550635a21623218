"""64-bit particle identifiers laid out like the official TrackML particle_id.

From the most significant bit: primary vertex (12 bits), secondary vertex (12 bits),
particle number within the vertex (16 bits), generation (8 bits, 0 for particles from the
primary interaction), sub-particle (16 bits). particle_id 0 is reserved for noise.
"""

from __future__ import annotations

import numpy as np

FIELDS = {  # name: (shift, bits)
    "vertex_primary": (52, 12),
    "vertex_secondary": (40, 12),
    "particle": (24, 16),
    "generation": (16, 8),
    "sub_particle": (0, 16),
}


def encode(vertex_primary, vertex_secondary, particle, generation, sub_particle=0) -> np.ndarray:
    """Pack the fields (arrays of non-negative ints) into uint64 particle ids."""
    values = {
        "vertex_primary": vertex_primary,
        "vertex_secondary": vertex_secondary,
        "particle": particle,
        "generation": generation,
        "sub_particle": sub_particle,
    }
    out = np.zeros(np.broadcast(*values.values()).shape, dtype=np.uint64)
    for name, (shift, bits) in FIELDS.items():
        field = np.asarray(values[name], dtype=np.int64)
        if (field < 0).any() or (field >= 1 << bits).any():
            raise ValueError(f"{name} does not fit in {bits} bits")
        out |= field.astype(np.uint64) << np.uint64(shift)
    return out


def decode(particle_id, name: str) -> np.ndarray:
    """One field of particle ids (int64 or uint64 arrays)."""
    shift, bits = FIELDS[name]
    ids = np.asarray(particle_id).astype(np.uint64)
    return ((ids >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.int64)
