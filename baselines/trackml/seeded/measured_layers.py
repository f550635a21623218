"""The detector layers as the tracker sees them, measured from the hits of one event.

TrackML numbers its sub-detectors by ``volume_id`` (pixel 7/8/9, short strips 12/13/14,
long strips 16/17/18; the middle number of each triple is the barrel, the others the -z and
+z end caps) and the layers inside a volume by an even ``layer_id``. Each (volume, layer)
becomes one layer index here. A barrel layer is a cylinder (radius, z extent), an end-cap
layer a disk (z, radial extent); both are estimated from the hits, so the same code serves
the real detector and a simulated one. Lengths in mm.
"""

from dataclasses import dataclass

import numpy as np

PIXEL_VOLUMES = (7, 8, 9)
BARREL_VOLUMES = (8, 13, 17)
LONG_STRIP_VOLUMES = (16, 17, 18)

# Measurement resolution (mm) across and along the sensor: pitch / sqrt(12) for the
# official pitches (pixel 0.05 x 0.05625, short strip 0.08 x 1.2, long strip 0.12 x 10.4).
SIGMA_PIXEL = (0.015, 0.016)
SIGMA_SHORT_STRIP = (0.023, 0.35)
SIGMA_LONG_STRIP = (0.035, 3.0)

EXTENT_MARGIN = 20.0  # mm added to each end of a layer's measured extent


@dataclass(frozen=True)
class Layers:
    """Per-layer arrays, indexed by layer index (0 .. n-1, sorted by volume then layer)."""

    key: np.ndarray  # volume_id * 1000 + layer_id
    is_barrel: np.ndarray  # bool
    is_pixel: np.ndarray  # bool
    position: np.ndarray  # barrel: radius; disk: z (mm)
    half_thickness: np.ndarray  # largest distance of a hit from ``position`` (mm)
    u_min: np.ndarray  # barrel: z extent; disk: radial extent (mm)
    u_max: np.ndarray
    sigma_rphi: np.ndarray  # resolution across the sensor (mm)
    sigma_u: np.ndarray  # resolution along z (barrel) or r (disk), mm

    @property
    def count(self) -> int:
        return len(self.key)


def layer_index(volume_id: np.ndarray, layer_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compact layer index per hit and the sorted (volume, layer) keys it refers to."""
    key = np.asarray(volume_id, dtype=np.int64) * 1000 + np.asarray(layer_id, dtype=np.int64)
    keys, index = np.unique(key, return_inverse=True)
    return index.astype(np.int32), keys


def measure_layers(x, y, z, volume_id, layer_id) -> tuple[np.ndarray, Layers]:
    """Layer index per hit and the geometry of every layer, from hit positions in mm."""
    index, keys = layer_index(volume_id, layer_id)
    r = np.hypot(x, y)
    n = len(keys)
    volume = keys // 1000
    is_barrel = np.isin(volume, BARREL_VOLUMES)
    is_pixel = np.isin(volume, PIXEL_VOLUMES)
    position = np.empty(n)
    half_thickness = np.empty(n)
    u_min = np.empty(n)
    u_max = np.empty(n)
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(n + 1))
    for layer in range(n):
        members = order[bounds[layer] : bounds[layer + 1]]
        normal, along = (r, z) if is_barrel[layer] else (z, r)
        position[layer] = np.median(normal[members])
        half_thickness[layer] = np.abs(normal[members] - position[layer]).max()
        u_min[layer] = along[members].min() - EXTENT_MARGIN
        u_max[layer] = along[members].max() + EXTENT_MARGIN
    sigma = np.where(
        is_pixel[:, None],
        SIGMA_PIXEL,
        np.where(np.isin(volume, LONG_STRIP_VOLUMES)[:, None], SIGMA_LONG_STRIP, SIGMA_SHORT_STRIP),
    )
    layers = Layers(
        key=keys,
        is_barrel=is_barrel,
        is_pixel=is_pixel,
        position=position,
        half_thickness=half_thickness,
        u_min=u_min,
        u_max=u_max,
        sigma_rphi=sigma[:, 0].copy(),
        sigma_u=sigma[:, 1].copy(),
    )
    return index, layers
