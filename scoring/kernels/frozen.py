"""Read-only contiguous views: one numba specialisation per kernel, whatever the caller passes.

numba compiles a kernel once per argument type, and a read-only array (pandas columns are
read-only views under copy-on-write) is a different type from a writable one. Passing
every kernel argument through :func:`frozen` keeps a single compiled version, so the cache
holds one entry per kernel and a cold start compiles each kernel once.
"""

from __future__ import annotations

import numpy as np


def frozen(values, dtype) -> np.ndarray:
    """``values`` as a C-contiguous, read-only array of ``dtype`` (no copy when possible)."""
    array = np.ascontiguousarray(values, dtype=dtype).view()
    array.flags.writeable = False
    return array
