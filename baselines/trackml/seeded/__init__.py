"""A seeded track follower for TrackML events, in numba: only numpy and numba are needed.

Triplet seeds in the pixel layers (:mod:`.seeding`), helix fits (:mod:`.helix_fit`), road
following layer by layer (:mod:`.following`), shared-hit resolution (:mod:`.tracker`). The
package is self-contained so that it can be copied into a code submission as it is.
"""

from .tracker import Pass, TrackerConfig, reconstruct_seeded

__all__ = ["Pass", "TrackerConfig", "reconstruct_seeded"]
