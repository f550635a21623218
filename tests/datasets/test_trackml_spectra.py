"""Generated pseudorapidity spectrum against the published one (datasets.trackml.spectra).

The reference and the generated histogram are recomputed here in plain Python / NumPy from
the measured table and the particles files, independently of the module's helpers.
"""

import numpy as np
import pandas as pd
import pytest

from fivesigma.datasets import trackml
from fivesigma.datasets.trackml import spectra

N_EVENTS = 10  # about 80,000 primaries above 100 MeV: at least 2,000 per bin


@pytest.fixture(scope="module")
def particles():
    events = [trackml.simulate_event(5000 + k, seed=7) for k in range(N_EVENTS)]
    return pd.concat([e["particles"] for e in events], ignore_index=True)


def folded_reference():
    """Shares per |eta| bin from the measured table: 25 bins of 0.1, then |eta| > 2.5."""
    dndeta = spectra.ATLAS_13TEV_DNDETA
    assert len(dndeta) == 50  # eta = -2.5 ... 2.5 in steps of 0.1
    folded = [(dndeta[24 - k] + dndeta[25 + k]) / 2 for k in range(25)]
    total = 2 * sum(folded[:15]) * 0.1  # half of all particles lie below |eta| = 1.5
    shares = [f * 0.1 / total for f in folded]
    return np.array(shares + [1 - sum(shares)])


def abs_eta_of_primaries(particles, pt_min):
    """|eta| = |ln((p + pz) / pT)| of the generation-0 particles above pt_min (GeV)."""
    ids = particles.particle_id.to_numpy().astype(np.uint64)
    primary = (ids >> np.uint64(24)) & np.uint64(0xFFF) == 0
    px, py, pz = (particles[c].to_numpy(np.float64) for c in ("px", "py", "pz"))
    pt = np.sqrt(px**2 + py**2)
    keep = primary & (pt > pt_min)
    return np.abs(np.log((np.sqrt(pt**2 + pz**2) + pz) / pt))[keep]


def test_reference_is_the_folded_measurement_with_the_trackml_median():
    shares = spectra.reference_shares()
    assert np.allclose(shares, folded_reference(), rtol=1e-12, atol=0)
    assert shares[:15].sum() == pytest.approx(0.5)
    assert 0.14 < shares[-1] < 0.18
    # the measured shape: a shallow dip at eta = 0 (6.42) below the maximum near 1.6 (6.92)
    assert shares[0] / shares[16] == pytest.approx(0.927, abs=0.002)
    assert shares[24] < shares[16]


def test_generated_shares_count_primaries_above_100_mev_per_bin():
    generation_1 = 1 << 24
    frame = pd.DataFrame(
        {
            "particle_id": [1 << 36, 2 << 36, 3 << 36, 4 << 36, (5 << 36) | generation_1],
            "px": [0.05, 0.5, 0.5, 0.5, 0.5],
            "py": [0.0, 0.0, 0.0, 0.0, 0.0],
            "pz": [0.0, 0.0, 0.5 * np.sinh(1.55), -0.5 * np.sinh(3.0), 0.0],
        }
    )
    # the first is below 100 MeV, the last a secondary: three particles count
    expected = np.zeros(26)
    expected[[0, 15, 25]] = 1 / 3
    assert np.allclose(spectra.generated_shares(frame), expected, rtol=1e-12, atol=0)


@pytest.mark.slow
def test_generated_eta_matches_the_reference_within_ten_percent_per_bin(particles):
    eta = abs_eta_of_primaries(particles, pt_min=0.1)
    edges = [k / 10 for k in range(26)]
    counts = np.array(
        [((eta >= lo) & (eta < hi)).sum() for lo, hi in zip(edges, edges[1:], strict=False)]
        + [(eta >= 2.5).sum()]
    )
    assert counts.min() > 2000  # statistical error per bin below 2.3%
    deviation = counts / counts.sum() / folded_reference() - 1
    assert np.abs(deviation).max() < 0.10, np.round(deviation, 3)


@pytest.mark.slow
def test_median_abs_eta_of_the_particles_file_is_that_of_the_released_files(particles):
    px, py, pz = (particles[c].to_numpy(np.float64) for c in ("px", "py", "pz"))
    eta = np.abs(np.arcsinh(pz / np.hypot(px, py)))
    assert np.median(eta) == pytest.approx(spectra.MEDIAN_ABS_ETA, abs=0.05)
    assert spectra.MEDIAN_ABS_ETA == 1.5
