"""Helix kernels of the seeded tracker against plain NumPy twins and exact helices."""

import math

import numpy as np
import pytest

from fivesigma.baselines.trackml.seeded.helix_fit import (
    ALPHA0,
    HELIX_SIZE,
    RADIUS,
    SENSE,
    TAN_LAMBDA,
    XC,
    YC,
    Z0,
    circle_through_three,
    crossing_cylinder,
    crossing_disk,
    fit_circle,
    fit_helix,
    helix_from_origin,
    position_at,
)
from tests.baselines.test_trackml_helices import helix_points


def circle_twin(points):
    """Centre and radius of the circle through three points, from the perpendicular bisectors."""
    (x1, y1), (x2, y2), (x3, y3) = points
    a = np.array([[x2 - x1, y2 - y1], [x3 - x1, y3 - y1]])
    b = 0.5 * np.array([x2**2 - x1**2 + y2**2 - y1**2, x3**2 - x1**2 + y3**2 - y1**2])
    centre = np.linalg.solve(a, b)
    return centre[0], centre[1], float(np.hypot(*(centre - [x1, y1])))


def kasa_twin(x, y, w):
    """Weighted least squares of x^2 + y^2 + D x + E y + F = 0 with numpy.linalg.lstsq."""
    sw = np.sqrt(w)
    design = np.column_stack([x, y, np.ones_like(x)]) * sw[:, None]
    rhs = -(x**2 + y**2) * sw
    d, e, f = np.linalg.lstsq(design, rhs, rcond=None)[0]
    return -d / 2, -e / 2, math.sqrt(d * d / 4 + e * e / 4 - f)


def test_circle_through_three_matches_bisector_twin():
    rng = np.random.default_rng(1)
    for _ in range(50):
        points = rng.uniform(-500, 500, size=(3, 2))
        got = circle_through_three(*points.ravel())
        assert np.allclose(got, circle_twin(points), rtol=1e-9, atol=1e-6)


def test_circle_through_collinear_points_is_infinite():
    assert circle_through_three(0.0, 0.0, 1.0, 1.0, 2.0, 2.0)[2] == math.inf


def test_fit_circle_matches_weighted_least_squares_twin_with_beam_point():
    rng = np.random.default_rng(2)
    angle = np.linspace(0.2, 1.4, 9)
    x = 40.0 + 700.0 * np.cos(angle) + rng.normal(0, 0.5, 9)
    y = -30.0 + 700.0 * np.sin(angle) + rng.normal(0, 0.5, 9)
    w = rng.uniform(0.5, 2.0, 9)
    beam = 0.7
    got = fit_circle(x, y, w, len(x), beam)
    twin = kasa_twin(np.r_[x, 0.0], np.r_[y, 0.0], np.r_[w, beam])
    assert np.allclose(got, twin, rtol=1e-7)
    assert np.allclose(fit_circle(x, y, w, len(x), 0.0), kasa_twin(x, y, w), rtol=1e-7)


@pytest.mark.parametrize("charge", [1, -1])
@pytest.mark.parametrize("pt", [0.3, 1.5, 20.0])
def test_fit_helix_recovers_an_exact_helix(charge, pt):
    x, y, z = helix_points(pt=pt, phi=0.7, cot_theta=-0.8, charge=charge, vz=12.0, step=1.0)
    pick = np.array([32, 72, 116, 172, 260, 360]) * (1.0 + 0.0)
    index = np.searchsorted(np.hypot(x, y), pick)  # one point near each barrel radius
    helix = np.empty(HELIX_SIZE)
    n = len(index)
    ok = fit_helix(x[index], y[index], z[index], np.ones(n), np.ones(n), np.empty(n), n, 1.0, helix)
    assert ok
    radius = pt / 0.6 * 1000.0
    assert helix[RADIUS] == pytest.approx(radius, rel=1e-6)
    assert helix[SENSE] == -charge  # positive particles turn clockwise
    assert helix[TAN_LAMBDA] == pytest.approx(-0.8, abs=1e-6)
    assert helix[Z0] == pytest.approx(12.0, abs=1e-4)
    # every point of the track lies on the fitted helix at its own arc length
    s = np.arange(len(x)) * 1.0
    for k in (10, 200, len(x) // 2):
        assert np.allclose(position_at(helix, s[k]), (x[k], y[k], z[k]), atol=1e-4)


def test_helix_from_origin_passes_through_both_points():
    x, y, z = helix_points(pt=0.8, phi=-2.0, cot_theta=1.3, charge=1, vz=-40.0, step=0.5)
    i, j = 80, 300
    helix = np.empty(HELIX_SIZE)
    assert helix_from_origin(x[i], y[i], z[i], x[j], y[j], z[j], helix)
    for k in (i, j):
        assert np.allclose(position_at(helix, k * 0.5), (x[k], y[k], z[k]), atol=1e-6)
    assert helix[ALPHA0] == pytest.approx(math.atan2(-helix[YC], -helix[XC]))
    # the second point must lie beyond the first along the track
    assert not helix_from_origin(x[j], y[j], z[j], x[i], y[i], z[i], np.empty(HELIX_SIZE))


def crossing_twin(helix, f, s_from, s_max=20000.0, step=0.05):
    """First arc length after s_from where f(position) changes sign, by sampling the helix."""
    s = np.arange(s_from + 1e-3, s_max, step)
    values = np.array([f(*position_at(helix, v)) for v in s])
    change = np.flatnonzero(np.sign(values[1:]) != np.sign(values[:-1]))
    return s[change[0]] if len(change) else math.inf


def test_crossings_match_sampled_twin():
    helix = np.empty(HELIX_SIZE)
    x, y, z = helix_points(pt=0.5, phi=0.3, cot_theta=0.9, charge=-1, vz=5.0, step=1.0)
    n = 400
    fit_helix(x[:n:40], y[:n:40], z[:n:40], np.ones(10), np.ones(10), np.empty(10), 10, 0.0, helix)
    for radius in (32.0, 172.0, 660.0, 1500.0):
        want = crossing_twin(
            helix, lambda px, py, pz, r=radius: math.hypot(px, py) - r, 0.0, 3000.0
        )
        got = crossing_cylinder(helix, radius, 0.0)
        assert got == pytest.approx(want, abs=0.1) if math.isfinite(want) else got == math.inf
    assert crossing_disk(helix, 600.0, 0.0) == pytest.approx((600.0 - 5.0) / 0.9, rel=1e-6)
    assert crossing_disk(helix, -600.0, 0.0) == math.inf  # behind the track
