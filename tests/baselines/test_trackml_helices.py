"""Analytic helices through a toy TrackML detector, for testing the trackers without the simulator.

The toy detector has the official layer positions (REFERENCE.md section 2) with ideal
cylinders and disks, a 2 T field along z, Gaussian measurement smearing and no material.
Crossings are found by stepping along the exact helix, independently of the tracker's
own helix code. The tests at the bottom check the generator itself.
"""

import numpy as np
import pandas as pd

FIELD_T = 2.0
BARRELS = [  # volume, radii (mm), half length (mm)
    (8, (32.0, 72.0, 116.0, 172.0), 455.0),
    (13, (260.0, 360.0, 500.0, 660.0), 1030.0),
    (17, (820.0, 1020.0), 1030.0),
]
ENDCAPS = [  # volumes (-z, +z), |z| (mm), radial extent (mm)
    ((7, 9), (600.0, 700.0, 820.0, 960.0, 1100.0, 1300.0, 1500.0), (30.0, 175.0)),
    ((12, 14), (1220.0, 1500.0, 1800.0, 2150.0, 2550.0, 2950.0), (230.0, 700.0)),
    ((16, 18), (1220.0, 1500.0, 1800.0, 2150.0, 2550.0, 2950.0), (720.0, 1020.0)),
]
SMEAR_MM = 0.02


def toy_layers():
    """Rows (volume_id, layer_id, kind, position, u_min, u_max) with kind 'barrel' or 'disk'."""
    rows = []
    for volume, radii, half in BARRELS:
        rows += [(volume, 2 * (i + 1), "barrel", r, -half, half) for i, r in enumerate(radii)]
    for (vol_minus, vol_plus), zs, (rmin, rmax) in ENDCAPS:
        rows += [(vol_plus, 2 * (i + 1), "disk", z, rmin, rmax) for i, z in enumerate(zs)]
        rows += [(vol_minus, 2 * (len(zs) - i), "disk", -z, rmin, rmax) for i, z in enumerate(zs)]
    return rows


def helix_points(pt, phi, cot_theta, charge, vz, step=0.5, max_s=4000.0):
    """Exact helix from (0, 0, vz): arrays x, y, z (mm) every ``step`` mm of transverse path."""
    radius = pt / (0.3 * FIELD_T) * 1000.0
    s = np.arange(0.0, min(max_s, np.pi * radius), step)
    sense = -charge  # positive particles turn clockwise in a field along +z
    angle = phi + sense * s / radius
    x = sense * radius * (np.sin(angle) - np.sin(phi))
    y = -sense * radius * (np.cos(angle) - np.cos(phi))
    return x, y, vz + cot_theta * s


def layer_crossings(x, y, z):
    """(volume_id, layer_id, x, y, z) of each layer crossing along a sampled trajectory."""
    r = np.hypot(x, y)
    found = []
    for volume, layer, kind, position, u_min, u_max in toy_layers():
        normal, along = (r, z) if kind == "barrel" else (z, r)
        side = np.sign(normal - position)
        for i in np.flatnonzero(side[1:] != side[:-1]):
            f = (position - normal[i]) / (normal[i + 1] - normal[i])
            point = [c[i] + f * (c[i + 1] - c[i]) for c in (x, y, z)]
            u = point[2] if kind == "barrel" else np.hypot(point[0], point[1])
            if u_min <= u <= u_max:
                found.append((i + f, volume, layer, *point))
    found.sort()
    return [row[1:] for row in found]


def toy_event(n_particles, seed, noise_fraction=0.0, pt_range=(0.4, 10.0), z_sigma=50.0):
    """Hits and truth of one toy event (official column names, hit_id in 1..n, shuffled order).

    Particles come from the beam line with pT log-uniform in ``pt_range`` (GeV), uniform phi,
    |eta| < 2.5 and vertex z ~ N(0, z_sigma) mm. Truth weights are uniform over the hits of
    particles with at least 4 hits and zero for noise (particle_id 0).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for particle in range(1, n_particles + 1):
        pt = float(np.exp(rng.uniform(*np.log(pt_range))))
        eta = rng.uniform(-2.5, 2.5)
        x, y, z = helix_points(
            pt,
            rng.uniform(-np.pi, np.pi),
            np.sinh(eta),
            rng.choice([-1, 1]),
            rng.normal(0.0, z_sigma),
        )
        for volume, layer, hx, hy, hz in layer_crossings(x, y, z):
            rows.append((hx, hy, hz, volume, layer, particle))
    hits = pd.DataFrame(rows, columns=["x", "y", "z", "volume_id", "layer_id", "particle_id"])
    hits[["x", "y", "z"]] += rng.normal(0.0, SMEAR_MM, size=(len(hits), 3))
    n_noise = int(noise_fraction * len(hits))
    if n_noise:
        layers = toy_layers()
        picks = rng.integers(0, len(layers), n_noise)
        noise = []
        for k in picks:
            volume, layer, kind, position, u_min, u_max = layers[k]
            phi = rng.uniform(-np.pi, np.pi)
            u = rng.uniform(u_min, u_max)
            r, hz = (position, u) if kind == "barrel" else (u, position)
            noise.append((r * np.cos(phi), r * np.sin(phi), hz, volume, layer, 0))
        hits = pd.concat([hits, pd.DataFrame(noise, columns=hits.columns)], ignore_index=True)
    hits = hits.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    hits.insert(0, "hit_id", np.arange(1, len(hits) + 1))
    hits["module_id"] = 1
    counts = hits.groupby("particle_id")["hit_id"].transform("size")
    weight = np.where((hits["particle_id"] > 0) & (counts >= 4), 1.0, 0.0)
    truth = pd.DataFrame(
        {
            "hit_id": hits["hit_id"],
            "particle_id": hits["particle_id"],
            "weight": weight / weight.sum(),
        }
    )
    columns = ["hit_id", "x", "y", "z", "volume_id", "layer_id", "module_id"]
    return hits[columns].astype({"volume_id": np.int64, "layer_id": np.int64}), truth


def toy_accuracy(truth, track_id):
    """TrackML event score written from REFERENCE.md section 2 (the double-majority rule)."""
    frame = pd.DataFrame(
        {"particle_id": truth["particle_id"], "weight": truth["weight"], "track": track_id}
    )
    particle_hits = frame.groupby("particle_id").size()
    track_hits = frame.groupby("track").size()
    pairs = frame.groupby(["track", "particle_id"]).agg(n=("weight", "size"), w=("weight", "sum"))
    pairs = pairs.reset_index().sort_values("n", ascending=False)
    majority = pairs.drop_duplicates("track")
    good = (2 * majority["n"] > track_hits.loc[majority["track"]].to_numpy()) & (
        2 * majority["n"] > particle_hits.loc[majority["particle_id"]].to_numpy()
    )
    return float(majority.loc[good, "w"].sum() / frame["weight"].sum())


def test_helix_points_start_at_vertex_and_keep_radius_of_curvature():
    x, y, z = helix_points(pt=1.0, phi=0.3, cot_theta=0.5, charge=1, vz=7.0)
    assert (x[0], y[0], z[0]) == (0.0, 0.0, 7.0)
    radius = 1.0 / (0.3 * FIELD_T) * 1000.0
    # Three points determine the circle; its radius must be the one of a 1 GeV track.
    (x1, x2, x3), (y1, y2, y3) = x[[0, 400, 800]], y[[0, 400, 800]]
    a, b, c = np.hypot(x2 - x1, y2 - y1), np.hypot(x3 - x2, y3 - y2), np.hypot(x3 - x1, y3 - y1)
    area = abs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1)) / 2
    assert abs(a * b * c / (4 * area) - radius) < 1e-6 * radius


def test_positive_particle_turns_clockwise():
    x, y, _ = helix_points(pt=0.5, phi=0.0, cot_theta=0.0, charge=1, vz=0.0)
    assert y[200] < 0.0  # starts along +x, bends towards -y


def test_toy_event_hits_lie_on_their_layers():
    hits, truth = toy_event(20, seed=3)
    assert list(hits["hit_id"]) == list(range(1, len(hits) + 1))
    r = np.hypot(hits["x"], hits["y"])
    barrel = hits["volume_id"] == 8
    pixel_radii = np.array([32.0, 72.0, 116.0, 172.0])
    expected = pixel_radii[hits.loc[barrel, "layer_id"].to_numpy() // 2 - 1]
    assert np.allclose(r[barrel], expected, atol=0.2)
    assert abs(truth["weight"].sum() - 1.0) < 1e-12
    assert toy_accuracy(truth, truth["particle_id"].to_numpy()) == 1.0
    assert toy_accuracy(truth, np.zeros(len(hits), dtype=np.int64)) == 0.0
