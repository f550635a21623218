"""Helix transport against an independent analytic helix, and the material effects."""

import math

import numpy as np
import pytest

from fivesigma.datasets.trackml import simulate
from fivesigma.datasets.trackml.detector_geometry import geometry
from fivesigma.datasets.trackml.propagation import (
    cylinder_crossings,
    helix,
    helix_step,
    highland_angle,
    scatter_direction,
)

C = 0.299792458e-3  # GeV / (T mm)
BZ = 2.0


def twin_helix_at_z(vertex, momentum, q, bz, z):
    """Pure-Python helix: rotate the radius vector about the circle centre (mm, GeV)."""
    vx, vy, vz = vertex
    px, py, pz = momentum
    pt = math.hypot(px, py)
    radius = pt / (C * bz * abs(q))
    sense = 1.0 if q * bz < 0 else -1.0  # +1: counter-clockwise seen from +z
    cx, cy = vx - sense * radius * py / pt, vy + sense * radius * px / pt
    angle = sense * (z - vz) * pt / pz / radius
    dx, dy = vx - cx, vy - cy
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    x = cx + dx * cos_a - dy * sin_a
    y = cy + dx * sin_a + dy * cos_a
    return x, y, px * cos_a - py * sin_a, px * sin_a + py * cos_a


def test_helix_step_matches_the_twin_over_several_turns():
    rng = np.random.default_rng(0)
    for _ in range(200):
        vertex = rng.normal(0, [0.02, 0.02, 50])
        pt = rng.uniform(0.05, 50)
        phi, eta = rng.uniform(-np.pi, np.pi), rng.uniform(-3, 3)
        momentum = (pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta))
        q = rng.choice([-1.0, 1.0])
        t = rng.uniform(0, 3 * 2 * np.pi * pt / (C * BZ))  # up to three turns
        x, y, z, px, py, pz = helix_step(*vertex, *momentum, q, BZ, t)
        tx, ty, tpx, tpy = twin_helix_at_z(vertex, momentum, q, BZ, z)
        assert math.hypot(x - tx, y - ty) < 1e-6
        assert abs(z - (vertex[2] + t * momentum[2] / pt)) < 1e-6
        assert math.hypot(px - tpx, py - tpy) < 1e-9 * pt and pz == momentum[2]


def test_positive_charge_turns_clockwise_in_a_field_along_plus_z():
    _, y, _, _, py, _ = helix_step(0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, BZ, 10.0)
    assert y < 0 and py < 0


def test_cylinder_crossings_are_on_the_cylinder_and_first():
    rng = np.random.default_rng(1)
    for _ in range(100):
        pt = rng.uniform(0.1, 10)
        phi = rng.uniform(-np.pi, np.pi)
        state = (*rng.normal(0, 0.02, 2), 0.0, pt * np.cos(phi), pt * np.sin(phi), 0.3, 1.0, BZ)
        radius = rng.uniform(30, 1000)
        t_first, t_second = cylinder_crossings(helix(*state), radius)
        if not np.isfinite(t_first):
            assert 2 * pt / (C * BZ) < radius  # the circle never reaches that radius
            continue
        for t in (t_first, t_second):
            x, y, *_ = helix_step(*state, t)
            assert abs(math.hypot(x, y) - radius) < 1e-6
        samples = np.linspace(1e-3, t_first * (1 - 1e-9), 500)
        r = [math.hypot(*helix_step(*state, s)[:2]) for s in samples]
        assert max(r) < radius


@pytest.fixture(scope="module")
def no_material_hits():
    rng = np.random.default_rng(5)
    primaries, _, _ = simulate.primary_particles(rng, 3)
    part, hits = simulate.run_transport(primaries, len(primaries), 7, False, 0.5)
    return part, hits


def test_no_material_hits_lie_on_the_analytic_helix(no_material_hits):
    part, hits = no_material_hits
    assert len(np.unique(hits[:, 0])) > 0.8 * len(part)  # most particles reach the tracker
    assert (part[:, 9] == 0).all()  # no material, no secondaries
    worst = 0.0
    for row in hits:
        p = part[int(row[0])]
        x, y, tpx, tpy = twin_helix_at_z(p[0:3], p[3:6], p[6], BZ, row[4])
        worst = max(worst, math.hypot(row[2] - x, row[3] - y))
        assert math.hypot(row[5] - tpx, row[6] - tpy) < 1e-9 * math.hypot(tpx, tpy)
    assert worst < 1e-6


def test_truth_hits_lie_on_their_module_inside_its_outline(no_material_hits):
    _, hits = no_material_hits
    modules = geometry().modules[hits[:, 1].astype(int)]
    d = hits[:, 2:5] - modules[:, 0:3]
    u = np.einsum("ij,ij->i", d, modules[:, [3, 6, 9]])
    v = np.einsum("ij,ij->i", d, modules[:, [4, 7, 10]])
    w = np.einsum("ij,ij->i", d, modules[:, [5, 8, 11]])
    assert np.abs(w).max() < 1e-6
    hv = modules[:, 15]
    hu = modules[:, 13] + (modules[:, 14] - modules[:, 13]) * (v + hv) / (2 * hv)
    assert (np.abs(v) <= hv + 1e-9).all() and (np.abs(u) <= hu + 1e-9).all()


def test_stiff_central_tracks_hit_every_barrel_layer(no_material_hits):
    part, hits = no_material_hits
    ids = geometry().ids[hits[:, 1].astype(int)]
    pt = np.hypot(part[:, 3], part[:, 4])
    eta = np.arcsinh(part[:, 5] / pt)
    stiff = np.flatnonzero((pt > 2) & (np.abs(eta) < 0.6))
    assert len(stiff) >= 5
    for p in stiff:
        mine = ids[hits[:, 0] == p]
        barrel = {(v, layer) for v, layer, _ in mine if v in (8, 13, 17)}
        assert len(barrel) == 10


def test_scattering_angle_follows_highland():
    np.random.seed(0)
    p, beta, x_over_x0 = 1.0, 0.99, 0.02
    theta0 = highland_angle(p, beta, x_over_x0)
    expected = 13.6e-3 / (beta * p) * math.sqrt(0.02) * (1 + 0.038 * math.log(0.02 / beta**2))
    assert theta0 == pytest.approx(expected, rel=1e-12)
    direction = np.array([0.6, 0.0, 0.8])
    side = np.array([0.0, 1.0, 0.0])  # perpendicular to direction
    angles = [np.arcsin(np.dot(scatter_direction(*direction, theta0), side)) for _ in range(20000)]
    assert np.std(angles) == pytest.approx(theta0, rel=0.03)
    assert abs(np.mean(angles)) < 3 * theta0 / math.sqrt(20000)


@pytest.fixture(scope="module")
def material_event():
    rng = np.random.default_rng(8)
    primaries, _, _ = simulate.primary_particles(rng, 30)
    return simulate.run_transport(primaries, len(primaries), 9, True, 0.5), len(primaries)


def test_energy_loss_lowers_the_momentum_along_each_track(material_event):
    (part, hits), _ = material_event
    p = np.linalg.norm(hits[:, 5:8], axis=1)
    order = np.argsort(hits[:, 0], kind="stable")  # rows are written in path order
    same = hits[order[1:], 0] == hits[order[:-1], 0]
    steps = p[order[1:]][same] - p[order[:-1]][same]
    assert (steps <= 1e-12).all()
    assert (steps < 0).mean() > 0.8  # most consecutive hits are separated by material


def test_nuclear_interactions_make_secondaries_on_layers(material_event):
    (part, _), n_primary = material_event
    secondaries = part[n_primary:]
    assert len(secondaries) > 0
    assert (secondaries[:, 9] >= 1).all()
    parents = secondaries[:, 8].astype(int)
    assert (parents < np.arange(n_primary, len(part))).all()
    layers = geometry().layers
    r = np.hypot(secondaries[:, 0], secondaries[:, 1])
    on_barrel = np.min(np.abs(r[:, None] - layers[layers[:, 0] == 0, 1][None]), axis=1) < 1e-6
    on_disk = (
        np.min(np.abs(secondaries[:, 2:3] - layers[layers[:, 0] == 1, 1][None]), axis=1) < 1e-6
    )
    assert (on_barrel | on_disk).all()
