"""Working arrays that the event-scoring kernels reuse from call to call, one set per thread.

An array of a few hundred kB is, for the C allocator, a fresh memory mapping whose pages
fault in one by one when first written (about 250 faults for one 120k-hit event, more
after a call that released a lot of memory). Kernels that score one
event therefore take their working arrays from :data:`scratch`, which keeps the largest
array asked for under each name and hands out views of it. A view is valid until the next
request for the same name on the same thread, so results that outlive a call are copied.
"""

from __future__ import annotations

import threading

import numpy as np

KEPT_BYTES = 64 * 2**20  # larger arrays are allocated for the call and not kept
MIN_ROWS_BITS = 10  # kept arrays have a power-of-two number of rows, at least 2**10


class Scratch(threading.local):
    """Per-thread arrays by name, grown on demand to a power-of-two number of rows."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: int | tuple[int, ...], dtype) -> np.ndarray:
        """A writable, C-contiguous array of ``shape`` and ``dtype`` with arbitrary contents."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        dtype = np.dtype(dtype)
        kept = self.arrays.get(name)
        if (
            kept is not None
            and kept.shape[0] >= shape[0]
            and kept.shape[1:] == shape[1:]
            and kept.dtype == dtype
        ):
            return kept[: shape[0]]
        capacity = (1 << max(MIN_ROWS_BITS, (shape[0] - 1).bit_length()), *shape[1:])
        if np.prod(capacity) * dtype.itemsize > KEPT_BYTES:
            return np.empty(shape, dtype=dtype)
        self.arrays[name] = kept = np.empty(capacity, dtype=dtype)
        return kept[: shape[0]]


scratch = Scratch()
