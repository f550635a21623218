"""Helices in a solenoid field along z: fits and crossings with detector layers.

A helix is a float64 array of ``HELIX_SIZE`` numbers (lengths in mm, angles in radians):

    [xc, yc, radius, sense, alpha0, z0, tan_lambda]

The transverse projection is the circle of centre (xc, yc) and ``radius``; a point at arc
length ``s`` (mm, transverse path from the reference point) sits at angle
``alpha0 + sense * s / radius`` seen from the centre, and at ``z = z0 + tan_lambda * s``.
``sense`` is +1 for anticlockwise motion seen from +z. The reference point (s = 0) is the
point of closest approach to the beam line, so ``z0`` is the longitudinal impact parameter.
In a field of B tesla the transverse momentum is ``pT = 0.3 * B * radius / 1000`` GeV.
"""

import math

from numba import njit

HELIX_SIZE = 7
XC, YC, RADIUS, SENSE, ALPHA0, Z0, TAN_LAMBDA = range(HELIX_SIZE)
TWO_PI = 2.0 * math.pi


@njit(cache=True)
def positive_angle(a):
    """The angle ``a`` (rad) brought into [0, 2 pi): ``a % TWO_PI`` without numba's call."""
    return a - TWO_PI * math.floor(a / TWO_PI)


@njit(cache=True)
def wrap_angle(a):
    """The angle ``a`` (rad) brought into [-pi, pi)."""
    return positive_angle(a + math.pi) - math.pi


@njit(cache=True)
def circle_through_three(x1, y1, x2, y2, x3, y3):
    """Centre (mm) and radius (mm) of the circle through three points; radius inf if collinear."""
    bx, by = x2 - x1, y2 - y1
    cx, cy = x3 - x1, y3 - y1
    d = 2.0 * (bx * cy - by * cx)
    if d == 0.0:
        return math.inf, math.inf, math.inf
    b2 = bx * bx + by * by
    c2 = cx * cx + cy * cy
    ux = (cy * b2 - by * c2) / d
    uy = (bx * c2 - cx * b2) / d
    return x1 + ux, y1 + uy, math.sqrt(ux * ux + uy * uy)


@njit(cache=True)
def fit_circle(x, y, w, n, w_origin):
    """Weighted algebraic (Kasa) circle fit to the first ``n`` points and the beam line.

    Minimises ``sum w * (x^2 + y^2 + D x + E y + F)^2`` over the points plus the origin
    (0, 0) with weight ``w_origin`` (0 leaves it out), in coordinates centred on the
    weighted mean. Returns centre (mm) and radius (mm); radius inf for a straight line.
    """
    sw = w_origin
    mx = my = 0.0
    for i in range(n):
        sw += w[i]
        mx += w[i] * x[i]
        my += w[i] * y[i]
    mx /= sw
    my /= sw
    # the origin enters every sum as the point (-mx, -my) with weight w_origin
    suu = w_origin * mx * mx
    suv = w_origin * mx * my
    svv = w_origin * my * my
    zz0 = mx * mx + my * my
    suz = -w_origin * mx * zz0
    svz = -w_origin * my * zz0
    szz = w_origin * zz0
    for i in range(n):
        u = x[i] - mx
        v = y[i] - my
        zz = u * u + v * v
        suu += w[i] * u * u
        suv += w[i] * u * v
        svv += w[i] * v * v
        suz += w[i] * u * zz
        svz += w[i] * v * zz
        szz += w[i] * zz
    # In centred coordinates the normal equations decouple F: solve the 2x2 for D, E.
    det = suu * svv - suv * suv
    if det <= 1e-12 * (suu + svv) ** 2:
        return math.inf, math.inf, math.inf
    d = -(suz * svv - svz * suv) / det
    e = -(svz * suu - suz * suv) / det
    f = -szz / sw
    ucx = -0.5 * d
    ucy = -0.5 * e
    r2 = ucx * ucx + ucy * ucy - f
    if r2 <= 0.0:
        return math.inf, math.inf, math.inf
    return mx + ucx, my + ucy, math.sqrt(r2)


@njit(cache=True)
def arc_lengths(helix, x, y, n, s_out):
    """Transverse arc length (mm) of the first ``n`` points, ordered along the track.

    Each point is placed on the helix circle by its angle seen from the centre; angles are
    unwrapped point to point, so tracks turning more than half a circle keep increasing s.
    """
    xc, yc, radius, sense = helix[XC], helix[YC], helix[RADIUS], helix[SENSE]
    previous = helix[ALPHA0]
    s = 0.0
    for i in range(n):
        alpha = math.atan2(y[i] - yc, x[i] - xc)
        s += radius * wrap_angle(sense * (alpha - previous))
        s_out[i] = s
        previous = alpha


@njit(cache=True)
def fit_helix(x, y, z, w_xy, w_z, s, n, w_origin, helix):
    """Fit a helix to the first ``n`` hits (ordered along the track), written into ``helix``.

    The circle fit in xy uses weights ``w_xy`` (1/mm^2) plus the beam line (0, 0) with weight
    ``w_origin`` (0 for no beam constraint); then z is fitted linearly against the arc
    length with weights ``w_z``. ``s`` is scratch space for the arc lengths. Straight
    tracks get a very large radius. Returns False when z cannot be fitted.
    """
    xc, yc, radius = fit_circle(x, y, w_xy, n, w_origin)
    if not math.isfinite(radius):
        # Straight in xy: a huge circle tangent to the direction of the hits.
        phi = math.atan2(y[n - 1] - y[0], x[n - 1] - x[0])
        radius = 1e9
        xc = x[0] - radius * math.sin(phi)
        yc = y[0] + radius * math.cos(phi)
    helix[XC] = xc
    helix[YC] = yc
    helix[RADIUS] = radius
    # sense of turning from the first to the last hit (or from the beam line to the first
    # hit), seen from the centre: the sign of the cross product of the two radii
    turn = (x[0] - xc) * (y[n - 1] - yc) - (y[0] - yc) * (x[n - 1] - xc)
    if turn == 0.0:
        turn = -xc * (y[0] - yc) + yc * (x[0] - xc)
    helix[SENSE] = 1.0 if turn > 0.0 else -1.0
    helix[ALPHA0] = math.atan2(-yc, -xc)  # closest approach to the beam line
    arc_lengths(helix, x, y, n, s)
    sw = ss = sz = sss = ssz = 0.0
    for i in range(n):
        sw += w_z[i]
        ss += w_z[i] * s[i]
        sz += w_z[i] * z[i]
        sss += w_z[i] * s[i] * s[i]
        ssz += w_z[i] * s[i] * z[i]
    det = sw * sss - ss * ss
    if det <= 1e-12 * sw * sss:
        return False
    helix[TAN_LAMBDA] = (sw * ssz - ss * sz) / det
    helix[Z0] = (sz - helix[TAN_LAMBDA] * ss) / sw
    return True


@njit(cache=True)
def helix_from_origin(x1, y1, z1, x2, y2, z2, helix):
    """The helix through the beam line (0, 0) and two points (mm), written into ``helix``.

    Returns False when the three points are collinear or the second point does not lie
    further along the circle than the first.
    """
    xc, yc, radius = circle_through_three(0.0, 0.0, x1, y1, x2, y2)
    if not math.isfinite(radius):
        return False
    cross = (x1 - xc) * (y2 - yc) - (y1 - yc) * (x2 - xc)
    # arc length from the origin to a point at distance d on a circle through the origin
    s1 = 2.0 * radius * math.asin(min(1.0, math.sqrt(x1 * x1 + y1 * y1) / (2.0 * radius)))
    s2 = 2.0 * radius * math.asin(min(1.0, math.sqrt(x2 * x2 + y2 * y2) / (2.0 * radius)))
    if s2 <= s1:
        return False
    helix[XC] = xc
    helix[YC] = yc
    helix[RADIUS] = radius
    helix[SENSE] = 1.0 if cross > 0.0 else -1.0
    helix[ALPHA0] = math.atan2(-yc, -xc)
    helix[TAN_LAMBDA] = (z2 - z1) / (s2 - s1)
    helix[Z0] = z1 - helix[TAN_LAMBDA] * s1
    return True


@njit(cache=True)
def position_at(helix, s):
    """Point (x, y, z) in mm at arc length ``s`` (mm) along the helix."""
    alpha = helix[ALPHA0] + helix[SENSE] * s / helix[RADIUS]
    return (
        helix[XC] + helix[RADIUS] * math.cos(alpha),
        helix[YC] + helix[RADIUS] * math.sin(alpha),
        helix[Z0] + helix[TAN_LAMBDA] * s,
    )


@njit(cache=True)
def _arc_to_angle(helix, alpha, s_from):
    """Smallest arc length > s_from (mm, any sign) where the helix is at centre angle alpha."""
    alpha_from = helix[ALPHA0] + helix[SENSE] * s_from / helix[RADIUS]
    return s_from + helix[RADIUS] * positive_angle(helix[SENSE] * (alpha - alpha_from))


@njit(cache=True)
def crossing_cylinder(helix, r, s_from):
    """Arc length (mm) of the first crossing with the cylinder of radius ``r`` after ``s_from``.

    Returns inf when the circle never reaches that radius.
    """
    xc, yc, radius = helix[XC], helix[YC], helix[RADIUS]
    d = math.sqrt(xc * xc + yc * yc)
    if d == 0.0 or r > radius + d or r < abs(radius - d):
        return math.inf
    # Intersection of the circle |p| = r with the helix circle, as angles seen from its centre.
    cos_beta = (radius * radius + d * d - r * r) / (2.0 * radius * d)
    beta = math.acos(min(1.0, max(-1.0, cos_beta)))
    toward_origin = helix[ALPHA0]  # the angle of the beam line seen from the centre
    s1 = _arc_to_angle(helix, toward_origin + beta, s_from)
    s2 = _arc_to_angle(helix, toward_origin - beta, s_from)
    return min(s1, s2)


@njit(cache=True)
def crossing_disk(helix, z, s_from):
    """Arc length (mm) where the helix reaches the plane ``z`` (mm), or inf if not after s_from."""
    t = helix[TAN_LAMBDA]
    if t == 0.0:
        return math.inf
    s = (z - helix[Z0]) / t
    return s if s > s_from else math.inf
