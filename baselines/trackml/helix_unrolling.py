"""Helix-unrolling features: coordinates in which the hits of one track coincide.

A particle from the beam line with transverse curvature ``c = q / (2 R)`` (1/mm, R the
helix radius) and longitudinal origin z0 (mm) reaches a hit at transverse distance r at
azimuth ``phi = phi0 - asin(c r)`` after the transverse arc ``s = asin(c r) / c``, with
``z - z0 = s cot(theta)``. Given the right (c, z0), every hit of the track therefore maps
to the same ``phi0`` and the same dip angle ``lambda = atan((z - z0) / s)``: scanning
over c (the "rotating phi" trick) and z0 and clustering in these coordinates finds the
tracks of each hypothesis. The angle, unlike cot(theta) itself, stays well measured for
very forward tracks.
"""

import numpy as np

FIELD_TESLA = 2.0


def curvature_of(pt_gev: float, charge: int = 1) -> float:
    """c = q / (2 R) (1/mm) of a track of ``pt_gev`` and ``charge`` q in the field along +z.

    With this sign convention :func:`unrolled_features` maps the track to one point.
    """
    radius = pt_gev / (0.3 * FIELD_TESLA) * 1000.0
    return charge / (2.0 * radius)


def unrolled_features(x, y, z, curvature: float, z0: float, z_scale: float = 1.0):
    """(n, 3) features cos(phi0), sin(phi0), z_scale * lambda per hit (lambda in rad).

    x, y, z in mm; ``curvature`` c in 1/mm as in :func:`curvature_of`. Hits a track of that
    curvature cannot reach (|c r| > 1) get phi0 from c r clipped to +-1, which puts them
    far from the hits of real tracks.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    r = np.hypot(x, y)
    bend = np.arcsin(np.clip(curvature * r, -1.0, 1.0))
    phi0 = np.arctan2(y, x) + bend
    s = bend / curvature if curvature != 0.0 else r
    dip = np.arctan2(z - z0, s)
    return np.column_stack([np.cos(phi0), np.sin(phi0), z_scale * dip])
