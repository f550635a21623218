"""Geometry of the TrackML-style silicon tracker: layers, module tiling and ``detectors.csv``.

Three sub-detectors, each a barrel and two endcaps, with the official volume and layer ids:
pixel (8; 7/9), short strip (13; 12/14), long strip (17; 16/18). Barrel layers are cylinders
of tilted planar staves in phi, each a row of modules abutting in z; endcap
layers are disks of trapezoidal modules in rings, alternately displaced in z. Lengths in mm.

The module frame follows ``detectors.csv``: a point with local coordinates (u, v, w) is at
``c + R @ (u, v, w)`` in the global frame, where R's rows are (rot_xu, rot_xv, rot_xw),
(rot_yu, ...), (rot_zu, ...). u is the precise (phi-like) coordinate, v is along z in the
barrel and radial in the endcaps, w is the module normal; the module occupies
|w| <= module_t / 2, |v| <= module_hv and |u| <= hu(v), where hu runs linearly from
module_minhu at v = -hv to module_maxhu at v = +hv.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

DETECTOR_COLUMNS = (
    "volume_id layer_id module_id cx cy cz rot_xu rot_xv rot_xw rot_yu rot_yv rot_yw "
    "rot_zu rot_zv rot_zw module_t module_minhu module_maxhu module_hv pitch_u pitch_v"
).split()

OVERLAP = 0.05  # fractional overlap of neighbouring modules in phi, z and r


@dataclass(frozen=True)
class Technology:
    """Sensor type: thickness and pitches (mm), module half-sizes (mm), material, placement."""

    thickness: float
    pitch_u: float
    pitch_v: float
    half_u: float  # barrel module half-width along u (the endcap rings derive theirs)
    half_v: float  # module half-length along v
    x_over_x0: float  # radiation lengths per layer at normal incidence
    tilt: float  # barrel stave tilt about the stave axis, rad
    stagger: float  # endcaps: z step between rings (2x) and between phi neighbours (0.5x), mm


PIXEL = Technology(0.15, 0.05, 0.05625, 8.4, 35.0, 0.015, 0.18, 0.0)
PIXEL_ENDCAP = Technology(0.15, 0.05, 0.05625, 8.4, 40.0, 0.015, 0.0, 1.0)
SHORT_STRIP = Technology(0.25, 0.08, 1.2, 24.0, 54.0, 0.020, 0.12, 0.0)
SHORT_STRIP_ENDCAP = Technology(0.25, 0.08, 1.2, 24.0, 54.0, 0.020, 0.0, 1.5)
LONG_STRIP = Technology(0.35, 0.12, 10.4, 48.0, 54.0, 0.025, 0.10, 0.0)
LONG_STRIP_ENDCAP = Technology(0.35, 0.12, 10.4, 48.0, 54.0, 0.025, 0.0, 1.5)


@dataclass(frozen=True)
class BarrelLayer:
    volume_id: int
    layer_id: int
    radius: float
    half_length: float
    tech: Technology


@dataclass(frozen=True)
class EndcapLayer:
    volume_id: int
    layer_id: int
    z: float
    r_min: float
    r_max: float
    tech: Technology


PIXEL_RADII = (32.0, 72.0, 116.0, 172.0)
SHORT_STRIP_RADII = (260.0, 360.0, 500.0, 660.0)
LONG_STRIP_RADII = (820.0, 1020.0)
PIXEL_DISKS_Z = (600.0, 700.0, 820.0, 960.0, 1100.0, 1300.0, 1500.0)
STRIP_DISKS_Z = (1220.0, 1500.0, 1800.0, 2150.0, 2550.0, 2950.0)


def _barrel(volume_id, radii, half_length, tech):
    return [BarrelLayer(volume_id, 2 * (i + 1), r, half_length, tech) for i, r in enumerate(radii)]


def _endcaps(volume_minus, volume_plus, abs_z, r_min, r_max, tech):
    """Both endcaps; layer ids increase with z in each (layer 2 of the -z endcap is the farthest)."""
    minus_z = sorted(-z for z in abs_z)
    plus_z = sorted(abs_z)
    return [
        EndcapLayer(volume_minus, 2 * (i + 1), z, r_min, r_max, tech) for i, z in enumerate(minus_z)
    ] + [EndcapLayer(volume_plus, 2 * (i + 1), z, r_min, r_max, tech) for i, z in enumerate(plus_z)]


LAYERS: tuple[BarrelLayer | EndcapLayer, ...] = tuple(
    _endcaps(7, 9, PIXEL_DISKS_Z, 30.0, 175.0, PIXEL_ENDCAP)
    + _barrel(8, PIXEL_RADII, 455.0, PIXEL)
    + _endcaps(12, 14, STRIP_DISKS_Z, 230.0, 700.0, SHORT_STRIP_ENDCAP)
    + _barrel(13, SHORT_STRIP_RADII, 1030.0, SHORT_STRIP)
    + _endcaps(16, 18, STRIP_DISKS_Z, 720.0, 1020.0, LONG_STRIP_ENDCAP)
    + _barrel(17, LONG_STRIP_RADII, 1030.0, LONG_STRIP)
)


@dataclass(frozen=True)
class Geometry:
    """Flat arrays describing every layer and module, shared by the numba kernels.

    layers[k] = (kind 0 barrel / 1 endcap, radius or z, half-length or r_min,
    module half-length hv or r_max, x_over_x0, first module row, n_phi (barrel), n_z (barrel), first ring row, n_rings)
    rings[j] = (ring centre radius, half-length hv, n_phi, first module row)
    modules[m] = (cx, cy, cz, R row-major (9), module_t, minhu, maxhu, hv, pitch_u, pitch_v)
    ids[m] = (volume_id, layer_id, module_id)
    """

    layers: np.ndarray
    rings: np.ndarray
    modules: np.ndarray
    ids: np.ndarray


def _barrel_modules(layer: BarrelLayer):
    """Module rows of a barrel layer: tilted staves, each n_z modules abutting in z.

    The module half-length is adjusted so n_z modules span exactly the layer's length, which
    keeps a stave one plane with no gaps in z for tracks from any vertex.
    """
    t = layer.tech
    n_phi = int(np.ceil(2 * np.pi * layer.radius * (1 + OVERLAP) / (2 * t.half_u * np.cos(t.tilt))))
    n_z = max(1, round(layer.half_length / t.half_v))
    half_v = layer.half_length / n_z
    rows = []
    for j in range(n_z):
        zc = -layer.half_length + (2 * j + 1) * half_v
        for i in range(n_phi):
            phi = 2 * np.pi * (i + 0.5) / n_phi
            psi = phi + t.tilt
            u = (-np.sin(psi), np.cos(psi), 0.0)
            v = (0.0, 0.0, 1.0)
            w = (np.cos(psi), np.sin(psi), 0.0)
            rot = np.array([u, v, w]).T  # columns are the local axes
            rows.append(
                [layer.radius * np.cos(phi), layer.radius * np.sin(phi), zc, *rot.ravel()]
                + [t.thickness, t.half_u, t.half_u, half_v, t.pitch_u, t.pitch_v]
            )
    return rows, n_phi, n_z, half_v


def _endcap_rings(layer: EndcapLayer):
    """(centre radius, n_phi, minhu, maxhu) of each ring tiling r_min..r_max."""
    t = layer.tech
    span = layer.r_max - layer.r_min
    n_rings = int(np.ceil(span / (2 * t.half_v * (1 - OVERLAP))))
    centres = np.linspace(layer.r_min + t.half_v, layer.r_max - t.half_v, n_rings)
    rings = []
    for rc in centres:
        n_phi = 2 * int(
            np.ceil(np.pi * rc * (1 + OVERLAP) / (2 * t.half_u))
        )  # even: shingling closes
        minhu = np.pi * (rc - t.half_v) * (1 + OVERLAP) / n_phi
        maxhu = np.pi * (rc + t.half_v) * (1 + OVERLAP) / n_phi
        rings.append((rc, n_phi, minhu, maxhu))
    return rings


def _endcap_modules(layer: EndcapLayer, rings):
    t = layer.tech
    rows = []
    for k, (rc, n_phi, minhu, maxhu) in enumerate(rings):
        for i in range(n_phi):
            phi = 2 * np.pi * (i + 0.5 * (k % 2)) / n_phi
            # v radial, u along -phi so that w = u x v points along +z
            u = (np.sin(phi), -np.cos(phi), 0.0)
            v = (np.cos(phi), np.sin(phi), 0.0)
            w = (0.0, 0.0, 1.0)
            rot = np.array([u, v, w]).T
            # rings on alternate faces of the disk, neighbours in phi shingled
            z = layer.z + t.stagger * (2 * (2 * (k % 2) - 1) + 0.5 * (2 * (i % 2) - 1))
            rows.append(
                [rc * np.cos(phi), rc * np.sin(phi), z, *rot.ravel()]
                + [t.thickness, minhu, maxhu, t.half_v, t.pitch_u, t.pitch_v]
            )
    return rows


@functools.cache
def geometry() -> Geometry:
    """Build (once) the flat geometry arrays of the whole tracker."""
    layers: list[list[float]] = []  # one row per layer, as Geometry.layers
    rings: list[list[float]] = []
    modules: list[list[float]] = []
    ids: list[tuple[int, int, int]] = []  # volume_id, layer_id, module_id
    for layer in LAYERS:
        first = len(modules)
        if isinstance(layer, BarrelLayer):
            rows, n_phi, n_z, half_v = _barrel_modules(layer)
            layers.append(
                [0, layer.radius, layer.half_length, half_v, layer.tech.x_over_x0]
                + [first, n_phi, n_z, 0, 0]
            )
        else:
            ring_specs = _endcap_rings(layer)
            rows = _endcap_modules(layer, ring_specs)
            first_ring = len(rings)
            offset = first
            for rc, n_phi, _, _ in ring_specs:
                rings.append([rc, layer.tech.half_v, n_phi, offset])
                offset += n_phi
            layers.append(
                [1, layer.z, layer.r_min, layer.r_max, layer.tech.x_over_x0, first, 0, 0]
                + [first_ring, len(ring_specs)]
            )
        modules.extend(rows)
        ids.extend((layer.volume_id, layer.layer_id, m + 1) for m in range(len(rows)))
    return Geometry(
        layers=np.array(layers, dtype=np.float64),
        rings=np.array(rings, dtype=np.float64),
        modules=np.array(modules, dtype=np.float64),
        ids=np.array(ids, dtype=np.int64),
    )


def detectors_frame() -> pd.DataFrame:
    """The module table with the official ``detectors.csv`` columns (mm)."""
    geo = geometry()
    frame = pd.DataFrame(geo.modules, columns=DETECTOR_COLUMNS[3:])
    for k, name in enumerate(DETECTOR_COLUMNS[:3]):
        frame.insert(k, name, geo.ids[:, k])
    return frame
