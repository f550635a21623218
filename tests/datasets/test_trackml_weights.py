"""Truth weights against a pure-Python twin of the rule in REFERENCE.md section 2."""

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets import trackml
from fivesigma.datasets.trackml.truth_weights import event_weights, order_weights, pt_weight

PROFILE = [10, 8, 6, 5, 3, 3, 3, 5, 6]


def twin_pt_weight(pt):
    if pt < 0.05:
        return 0.0
    if pt < 0.5:
        return 0.2
    if pt < 3.0:
        return 0.2 + (pt - 0.5) * (1.0 - 0.2) / (3.0 - 0.5)
    return 1.0


def twin_order_weight(index, n):
    """Profile stretched over min(n, 20) hits, linear interpolation, normalised."""
    m = min(n, 20)
    if index >= m:
        return 0.0

    def raw(i):
        position = i * 8 / (m - 1)  # in units of the profile's supports
        k = min(int(position), 7)
        frac = position - k
        return PROFILE[k] * (1 - frac) + PROFILE[k + 1] * frac

    return raw(index) / sum(raw(i) for i in range(m))


def twin_weights(truth, particles):
    """Per-hit weights, written from the rule with plain Python loops."""
    info = {}
    for row in particles.itertuples():
        generation = (int(row.particle_id) >> 24) & 0xFFF  # official layout: bits 24-35
        info[int(row.particle_id)] = (float(row.vz), float(np.hypot(row.px, row.py)), generation)
    by_particle = {}
    for i, row in enumerate(truth.itertuples()):
        if row.particle_id != 0:
            by_particle.setdefault(int(row.particle_id), []).append(i)
    raw = [0.0] * len(truth)
    tz = truth.tz.to_numpy(np.float64)
    for pid, rows in by_particle.items():
        vz, pt, generation = info[pid]
        if len(rows) < 4 or generation != 0:
            continue
        rows = sorted(rows, key=lambda i: abs(tz[i] - vz))
        for rank, i in enumerate(rows):
            raw[i] = twin_pt_weight(pt) * twin_order_weight(rank, len(rows))
    total = sum(raw)
    return np.array([w / total for w in raw])


@pytest.fixture(scope="module")
def event():
    return trackml.simulate_event(42, seed=3, pileup=10)


def test_weights_match_the_twin(event):
    twin = twin_weights(event["truth"], event["particles"])
    assert np.allclose(event["truth"].weight.to_numpy(), twin, rtol=1e-12, atol=1e-15)


def test_weights_sum_to_one_and_vanish_where_they_must(event):
    truth, particles = event["truth"], event["particles"]
    assert truth.weight.sum() == pytest.approx(1.0, abs=1e-12)
    assert (truth.weight >= 0).all()
    assert (truth.weight[truth.particle_id == 0] == 0).all()
    nhits = particles.set_index("particle_id").nhits
    short = truth.particle_id.map(nhits).fillna(0) < 4
    assert (truth.weight[short & (truth.particle_id != 0)] == 0).all()
    secondary = (
        (truth.particle_id.to_numpy().astype(np.uint64) >> np.uint64(24)) & np.uint64(0xFFF)
    ) != 0
    assert secondary.any()
    assert (truth.weight[secondary] == 0).all()
    good = (~secondary) & ~short & (truth.particle_id != 0)
    assert (truth.weight[good] > 0).mean() > 0.9  # only pT < 50 MeV particles are zero


def test_pt_weight_values():
    pts = [0.0, 0.049, 0.05, 0.3, 0.5, 1.75, 2.999, 3.0, 40.0]
    assert np.allclose(
        pt_weight(np.array(pts)), [twin_pt_weight(p) for p in pts], rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("n", [4, 5, 9, 13, 20, 21, 35])
def test_order_weights_follow_the_stretched_profile(n):
    w = order_weights(n)
    assert np.allclose(w, [twin_order_weight(i, n) for i in range(n)], rtol=1e-12, atol=0)
    assert w.sum() == pytest.approx(1.0)
    assert (w[20:] == 0).all()


def test_nine_hits_reproduce_the_profile_exactly():
    assert np.allclose(order_weights(9), np.array(PROFILE) / sum(PROFILE))


def test_hand_made_event():
    # particle 1 (pT 4 GeV, 5 hits), particle 2 (pT 0.2, 3 hits: too short), noise
    pid1, pid2 = 1 << 52 | 1 << 36, 1 << 52 | 2 << 36  # vertex 1, primaries 1 and 2
    particles = pd.DataFrame(
        {"particle_id": [pid1, pid2], "vx": 0.0, "vy": 0.0, "vz": [10.0, -5.0],
         "px": [4.0, 0.2], "py": 0.0, "pz": 1.0, "q": 1, "nhits": [5, 3]}
    )  # fmt: skip
    truth = pd.DataFrame(
        {"hit_id": range(1, 10), "particle_id": [pid1, 0, pid1, pid2, pid1, pid2, pid1, pid2, pid1],
         "tz": [60.0, 0.0, 20.0, 1.0, 40.0, 2.0, 11.0, 3.0, 90.0]}
    )  # fmt: skip
    truth[["tx", "ty", "tpx", "tpy", "tpz"]] = 0.0
    weights = event_weights(truth, particles)
    expected = np.zeros(9)
    # particle 1 hits ordered by |tz - 10|: 11 (row 6), 20 (2), 40 (4), 60 (0), 90 (8)
    for rank, row in enumerate([6, 2, 4, 0, 8]):
        expected[row] = twin_order_weight(rank, 5)
    assert np.allclose(weights, expected / expected.sum())


def test_unknown_particle_in_truth_is_an_error():
    particles = pd.DataFrame({"particle_id": [5], "vz": [0.0], "px": [1.0], "py": [0.0]})
    truth = pd.DataFrame({"particle_id": [5, 6], "tz": [1.0, 2.0]})
    with pytest.raises(ValueError, match="missing from the particles"):
        event_weights(truth, particles)
