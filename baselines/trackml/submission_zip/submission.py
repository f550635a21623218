"""Code submission for the TrackML throughput phase: the seeded track follower.

The zip holds this file and the tracker package ``trackml_seeded`` (numpy and numba only).
``Model(model_dir)`` compiles the numba kernels on a small synthetic event (untimed set-up);
``predict_one_event`` then returns one track id per hit, in hit order.
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
if not os.access(HERE, os.W_OK):  # numba caches compiled kernels next to their source
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "numba-cache"))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from trackml_seeded import reconstruct_seeded  # noqa: E402


def _synthetic_event():
    """A few straight tracks through the pixel barrel, enough to run every kernel once."""
    radii = [32.0, 72.0, 116.0, 172.0]
    rows = []
    for k, phi in enumerate(np.linspace(-3.0, 3.0, 12)):
        for layer, r in enumerate(radii):
            rows.append((r * np.cos(phi), r * np.sin(phi), 0.3 * k * r, 8, 2 * (layer + 1), k))
    x, y, z, volume, layer, module = (np.array(c) for c in zip(*rows, strict=True))
    hit_id = np.arange(1, len(x) + 1)
    hits = {"hit_id": hit_id, "x": x, "y": y, "z": z, "volume_id": volume, "layer_id": layer,
            "module_id": module}  # fmt: skip
    cells = {"hit_id": hit_id, "ch0": np.zeros_like(hit_id), "ch1": np.zeros_like(hit_id)}
    return hits, cells


class Model:
    def __init__(self, model_dir):
        reconstruct_seeded(*_synthetic_event())

    def predict_one_event(self, event_id, hits, cells):
        return reconstruct_seeded(hits, cells)
