"""The innermost hit of a track candidate, chosen again once the road is known.

The innermost pixel layer holds the densest hits and the hit that weighs most in the
TrackML score. A seed may start on a neighbour's hit there: within multiple scattering of
a low-momentum road, several hits fit. Once the candidate is followed, the helix through
the beam line and the candidate's hits on the next two layers predicts the innermost
crossing far better than the road did (the beam line is only 32 mm away), so the nearest
free hit to that prediction replaces the innermost hit. Windows grow as 1 / pT for
multiple scattering. Lengths in mm, momenta in GeV.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .following import FIELD_TESLA, best_hit, layer_crossing
from .grid import HR, HX, HY, HZ
from .helix_fit import HELIX_SIZE, RADIUS, helix_from_origin


class InnermostConfig(NamedTuple):
    """Window half widths (mm) around the predicted innermost crossing: a + b / pT(GeV)."""

    rphi_mm: float = 0.09  # across the layer
    rphi_gev_mm: float = 0.15
    u_mm: float = 0.9  # along z (barrel) or r (disk)
    u_gev_mm: float = 1.8


@njit(cache=True)
def _innermost_on_other_layers(track, n, hits, hit_layer, layer_a, layer_b):
    """Index in ``track`` of the hit of smallest radius not on the two given layers, or -1."""
    found = -1
    for i in range(n):
        layer = hit_layer[track[i]]
        if layer == layer_a or layer == layer_b:
            continue
        if found < 0 or hits[track[i], HR] < hits[track[found], HR]:
            found = i
    return found


@njit(cache=True)
def choose_innermost_again(
    track, n, hits, hit_layer, hit_module, hit_used, bin_start, geometry, config,
):  # fmt: skip
    """Replace ``track``'s innermost hit (in place) by the free hit nearest to its crossing
    predicted from the beam line and the hits on the next two layers. Returns True when
    the hit changed."""
    first = _innermost_on_other_layers(track, n, hits, hit_layer, -1, -1)
    layer = hit_layer[track[first]]
    second = _innermost_on_other_layers(track, n, hits, hit_layer, layer, -1)
    if second < 0:
        return False
    third = _innermost_on_other_layers(track, n, hits, hit_layer, layer, hit_layer[track[second]])
    if third < 0:
        return False
    b, c = track[second], track[third]
    helix = np.empty(HELIX_SIZE)
    if not helix_from_origin(
        hits[b, HX], hits[b, HY], hits[b, HZ], hits[c, HX], hits[c, HY], hits[c, HZ], helix
    ):
        return False
    s = layer_crossing(helix, geometry, layer, 0.0)
    if not math.isfinite(s):
        return False
    pt = 0.3 * FIELD_TESLA * helix[RADIUS] / 1000.0
    w_rphi = config.rphi_mm + config.rphi_gev_mm / pt
    w_u = config.u_mm + config.u_gev_mm / pt
    hit, _, _, _ = best_hit(
        hits, hit_layer, hit_module, hit_used, bin_start, geometry, layer, helix, s,
        w_rphi, w_u, -1,
    )  # fmt: skip
    if hit < 0 or hit == track[first]:
        return False
    for i in range(n):
        if track[i] == hit:
            return False  # already on the track (the other hit of an overlap)
    track[first] = hit
    return True
