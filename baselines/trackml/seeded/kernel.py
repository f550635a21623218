"""The numba decorator of every kernel of the tracker.

Compiled once and cached on disk. Division follows NumPy (no Python zero-division checks
in the inner loops) and floating point may be reassociated and contracted, but infinities
and NaNs keep their meaning: the kernels use inf for "no crossing" and "no hit".
"""

from functools import partial

from numba import njit

FAST_MATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

kernel = partial(njit, cache=True, error_model="numpy", fastmath=FAST_MATH)
