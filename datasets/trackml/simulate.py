"""One TrackML-style event: collisions, transport, read-out, noise and truth weights.

A bunch crossing holds one hard-scatter collision and ``pileup`` (Poisson mean) minimum-bias
collisions, each with its vertex spread along the beam line. Charged particles follow a
Tsallis pT spectrum (most below 1 GeV; the hard scatter adds a tail to tens of GeV) and a
broad rapidity distribution cut off beyond |y| of about 2.3; each particle's pseudorapidity
follows from its rapidity, pT and mass, which gives the shallow dip of dN/deta at eta = 0
of minimum-bias data. The resulting |eta| spectrum is checked against
``datasets.trackml.spectra`` (measured shape, median |eta| 1.5 of the released files).
Units: mm, GeV.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from fivesigma.datasets.trackml import barcode
from fivesigma.datasets.trackml.detector_geometry import geometry
from fivesigma.datasets.trackml.digitization import digitize, noise_hits
from fivesigma.datasets.trackml.propagation import PION_MASS, transport
from fivesigma.datasets.trackml.truth_weights import event_weights

DEFAULT_PILEUP = 200.0
FIELD_TESLA = 2.0
BEAM_SIGMA_Z = (
    5.5  # mm, luminous region of the TrackML samples (public DBSCAN z-shifts span +-10 mm)
)
BEAM_SIGMA_T = 0.015  # mm, transverse
MINBIAS_MULTIPLICITY = 43.5  # mean charged particles per pile-up collision
HARD_MULTIPLICITY = 120.0
# dN/dy ~ exp(-y^2 / 2 RAPIDITY_WIDTH^2) (the slow fall of minimum-bias dN/deta within
# |eta| < 2.5) times the fall-off of the TrackML files: 1 below RAPIDITY_PLATEAU, Gaussian
# of sigma RAPIDITY_TAIL_SIGMA beyond (median |eta| 1.5)
RAPIDITY_WIDTH = 4.0
RAPIDITY_PLATEAU = 2.3
RAPIDITY_TAIL_SIGMA = 0.4
PT_MIN, PT_MAX = 0.03, 100.0  # GeV
SPECIES_MASS = np.array([PION_MASS, 0.493677, 0.938272])  # GeV: pi, K, p
SPECIES_FRACTION = np.array([0.82, 0.12, 0.06])


@functools.cache
def _tsallis_table(temperature: float, power: float):
    """(cumulative probability, pT) grid of dN/dpT ~ pT (1 + pT / (n T))^-n."""
    pt = np.geomspace(PT_MIN, PT_MAX, 4000)
    pdf = pt * (1 + pt / (power * temperature)) ** -power
    cdf = np.r_[0.0, np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(pt))]
    return cdf / cdf[-1], pt


def sample_pt(rng, n, temperature, power):
    """Transverse momenta (GeV) from a Tsallis spectrum."""
    cdf, pt = _tsallis_table(temperature, power)
    return np.interp(rng.random(n), cdf, pt)


@functools.cache
def _rapidity_table(width: float, plateau: float, tail_sigma: float):
    """(cumulative probability, |y|) grid of dN/d|y| ~ exp(-y^2 / 2 width^2) * fall-off.

    The fall-off is 1 for |y| < plateau and a Gaussian of sigma tail_sigma beyond it.
    """
    abs_y = np.linspace(0.0, plateau + 8 * tail_sigma, 4000)
    beyond = np.maximum(abs_y - plateau, 0.0)
    pdf = np.exp(-0.5 * (abs_y / width) ** 2 - 0.5 * (beyond / tail_sigma) ** 2)
    cdf = np.r_[0.0, np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(abs_y))]
    return cdf / cdf[-1], abs_y


def sample_rapidity(rng, n):
    """Rapidities of ``n`` particles, symmetric about 0, from :func:`_rapidity_table`."""
    cdf, abs_y = _rapidity_table(RAPIDITY_WIDTH, RAPIDITY_PLATEAU, RAPIDITY_TAIL_SIGMA)
    return np.interp(rng.random(n), cdf, abs_y) * np.where(rng.random(n) < 0.5, -1.0, 1.0)


def pseudorapidity(rapidity, pt, mass):
    """eta of a particle of rapidity y, pT and mass (GeV): sinh(eta) = (mT / pT) sinh(y)."""
    return np.arcsinh(np.sqrt(1.0 + (mass / pt) ** 2) * np.sinh(rapidity))


def primary_particles(rng, pileup, beam_sigma_z=BEAM_SIGMA_Z):
    """Primary particle table (transport layout) and each particle's (vertex, number)."""
    n_pileup = rng.poisson(pileup)
    if n_pileup + 1 >= 1 << 12:
        raise ValueError(f"pileup {pileup} gives more collisions than particle ids can number")
    k = 2.0  # negative-binomial shape of the minimum-bias multiplicity
    counts = np.r_[
        rng.poisson(HARD_MULTIPLICITY),
        rng.negative_binomial(k, k / (k + MINBIAS_MULTIPLICITY), n_pileup),
    ]
    n = int(counts.sum())
    vertex = np.repeat(np.arange(len(counts)), counts)
    number = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    v_xyz = np.c_[
        rng.normal(0, BEAM_SIGMA_T, len(counts)),
        rng.normal(0, BEAM_SIGMA_T, len(counts)),
        rng.normal(0, beam_sigma_z, len(counts)),
    ]
    hard = vertex == 0
    mass = SPECIES_MASS[rng.choice(len(SPECIES_MASS), n, p=SPECIES_FRACTION)]
    pt = np.where(hard, sample_pt(rng, n, 0.6, 4.0), sample_pt(rng, n, 0.14, 7.0))
    eta = pseudorapidity(sample_rapidity(rng, n), pt, mass)
    phi = rng.uniform(-np.pi, np.pi, n)
    part = np.zeros((n, 10))
    part[:, 0:3] = v_xyz[vertex]
    part[:, 3] = pt * np.cos(phi)
    part[:, 4] = pt * np.sin(phi)
    part[:, 5] = pt * np.sinh(eta)
    part[:, 6] = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    part[:, 7] = mass
    part[:, 8] = -1
    return part, vertex + 1, number


def run_transport(part, n_primary, seed, material, max_turns):
    """Transport with capacities grown until everything fits; returns (particles, hits)."""
    geo = geometry()
    capacity, particle_capacity = 16 * n_primary + 1024, 2 * n_primary + 1024
    while True:
        table = np.zeros((particle_capacity, 10))
        table[:n_primary] = part
        n_part, n_hits, hits = transport(
            table, n_primary, geo.layers, geo.rings, geo.modules, FIELD_TESLA,
            max_turns, material, seed, capacity,
        )  # fmt: skip
        if n_hits >= 0:
            return table[:n_part], hits[:n_hits]
        capacity, particle_capacity = 2 * capacity, 2 * particle_capacity


def run_digitization(hits):
    modules = geometry().modules
    capacity = 4 * len(hits) + 1024
    while True:
        positions, cells, n_cells = digitize(hits, modules, capacity)
        if n_cells >= 0:
            return positions, cells[:n_cells]
        capacity *= 2


def particle_ids(part, vertex, number):
    """Barcodes of every particle: primaries from (vertex, number), secondaries by ancestry.

    A secondary inherits its primary ancestor's vertex and number and is counted among
    that ancestor's descendants (secondary_id 1, 2, ...).
    """
    n_primary, n = len(vertex), len(part)
    root = np.r_[np.arange(n_primary), np.zeros(n - n_primary, dtype=np.int64)]
    for i in range(n_primary, n):  # parents precede their secondaries
        root[i] = root[int(part[i, 8])]
    secondary_id = np.zeros(n, dtype=np.int64)
    if n > n_primary:
        roots = root[n_primary:]
        order = np.argsort(roots, kind="stable")
        sorted_roots = roots[order]
        starts = np.searchsorted(sorted_roots, sorted_roots)
        secondary_id[n_primary + order] = np.arange(len(order)) - starts + 1
    generation = part[:, 9].astype(np.int64)
    return barcode.encode(
        vertex_id=vertex[root],
        primary_id=number[root],
        generation=generation,
        secondary_id=secondary_id,
        process=np.where(generation > 0, barcode.HADRONIC_INELASTIC, 0),
    ).astype(np.int64)


def simulate_event(
    event_id: int,
    seed: int,
    pileup: float = DEFAULT_PILEUP,
    *,
    noise_fraction: float = 0.15,
    material: bool = True,
    max_turns: float = 0.5,
    beam_sigma_z: float = BEAM_SIGMA_Z,
) -> dict[str, pd.DataFrame]:
    """Simulate one event; returns the official tables ``hits, cells, particles, truth``.

    event_id and seed fix the event (the same pair always gives the same tables).
    pileup: mean number of minimum-bias collisions; noise_fraction: share of noise in all
    hits; material: multiple scattering, energy loss and nuclear interactions on or off;
    max_turns: transverse turns a particle may make before it is no longer followed;
    beam_sigma_z: spread (mm) of the collision vertices along the beam.
    """
    if not 0 <= noise_fraction < 1:
        raise ValueError(f"noise_fraction must be in [0, 1), got {noise_fraction}")
    if pileup < 0:
        raise ValueError(f"pileup must be >= 0, got {pileup}")
    rng = np.random.default_rng([int(seed), int(event_id)])
    geo = geometry()
    primaries, vertex, number = primary_particles(rng, pileup, beam_sigma_z)
    part, truth_hits = run_transport(
        primaries, len(primaries), int(rng.integers(2**31)), material, max_turns
    )
    positions, cells = run_digitization(truth_hits)
    owner = truth_hits[:, 0].astype(np.int64)

    n_noise = rng.poisson(noise_fraction / (1 - noise_fraction) * len(truth_hits))
    noise_rows, noise_pos, noise_ch0, noise_ch1 = noise_hits(geo.modules, n_noise, rng)

    pids = particle_ids(part, vertex, number)

    n_signal = len(truth_hits)
    n_hits = n_signal + n_noise
    hit_id = rng.permutation(n_hits) + 1  # hit_id of signal rows then noise rows
    module_rows = np.r_[truth_hits[:, 1].astype(np.int64), noise_rows]
    xyz = np.r_[positions, noise_pos]
    true_xyz = np.r_[truth_hits[:, 2:5], noise_pos]
    true_p = np.r_[truth_hits[:, 5:8], np.zeros((n_noise, 3))]
    hit_pid = np.r_[pids[owner], np.zeros(n_noise, dtype=np.int64)]
    order = np.argsort(hit_id)

    hits = pd.DataFrame(
        {
            "hit_id": hit_id[order].astype(np.int64),
            "x": xyz[order, 0].astype(np.float32),
            "y": xyz[order, 1].astype(np.float32),
            "z": xyz[order, 2].astype(np.float32),
            "volume_id": geo.ids[module_rows[order], 0],
            "layer_id": geo.ids[module_rows[order], 1],
            "module_id": geo.ids[module_rows[order], 2],
        }
    )
    cell_hit = np.r_[hit_id[cells[:, 0].astype(np.int64)], hit_id[n_signal:]]
    cell_frame = pd.DataFrame(
        {
            "hit_id": cell_hit.astype(np.int64),
            "ch0": np.r_[cells[:, 1].astype(np.int64), noise_ch0],
            "ch1": np.r_[cells[:, 2].astype(np.int64), noise_ch1],
            "value": np.r_[cells[:, 3], rng.uniform(0.3, 1.5, n_noise)].astype(np.float32),
        }
    )
    cell_frame = cell_frame.sort_values("hit_id", kind="stable", ignore_index=True)
    particles = pd.DataFrame(
        {
            "particle_id": pids,
            "vx": part[:, 0].astype(np.float32),
            "vy": part[:, 1].astype(np.float32),
            "vz": part[:, 2].astype(np.float32),
            "px": part[:, 3].astype(np.float32),
            "py": part[:, 4].astype(np.float32),
            "pz": part[:, 5].astype(np.float32),
            "q": part[:, 6].astype(np.int64),
            "nhits": np.bincount(owner, minlength=len(part)).astype(np.int64),
        }
    )
    truth = pd.DataFrame(
        {
            "hit_id": hit_id[order].astype(np.int64),
            "particle_id": hit_pid[order],
            "tx": true_xyz[order, 0].astype(np.float32),
            "ty": true_xyz[order, 1].astype(np.float32),
            "tz": true_xyz[order, 2].astype(np.float32),
            "tpx": true_p[order, 0].astype(np.float32),
            "tpy": true_p[order, 1].astype(np.float32),
            "tpz": true_p[order, 2].astype(np.float32),
        }
    )
    truth["weight"] = event_weights(truth, particles)
    return {"hits": hits, "cells": cell_frame, "particles": particles, "truth": truth}
