"""Independent pure-Python versions of the metric definitions in REFERENCE.md (test oracles).

Written from the text of the definitions with plain loops and dictionaries, sharing no code
with the package, so that an agreement is evidence and not a tautology.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict


def ams(s: float, b: float, b_reg: float = 10.0) -> float:
    """AMS = sqrt(2((s + b + b_reg) ln(1 + s/(b + b_reg)) - s))."""
    radicand = 2 * ((s + b + b_reg) * math.log(1 + s / (b + b_reg)) - s)
    return math.sqrt(max(radicand, 0.0))


def subset_ams(rows, subset, totals=None, b_reg=10.0):
    """AMS of one subset. ``rows``: (label, weight, usage, submitted_class) tuples.

    Weights of the subset are rescaled per class so that each class sums to its total over
    all rows (or ``totals``), then s and b are the rescaled weights labelled 's'.
    """
    if totals is None:
        totals = {
            "s": sum(w for label, w, _, _ in rows if label == "s"),
            "b": sum(w for label, w, _, _ in rows if label == "b"),
        }
    in_subset = {
        label: sum(w for lab, w, use, _ in rows if use == subset and lab == label) for label in "sb"
    }
    selected = {"s": 0.0, "b": 0.0}
    for label, weight, usage, submitted in rows:
        if usage == subset and submitted == "s":
            selected[label] += weight * totals[label] / in_subset[label]
    return ams(selected["s"], selected["b"], b_reg)


def trackml_event_score(truth, submission) -> float:
    """TrackML weighted accuracy of one event.

    ``truth``: (hit_id, particle_id, weight) tuples; ``submission``: (hit_id, track_id).
    """
    particle_of = {hit: particle for hit, particle, _ in truth}
    weight_of = {hit: weight for hit, _, weight in truth}
    particle_hits = Counter(particle for _, particle, _ in truth)
    tracks = defaultdict(list)
    for hit, track in submission:
        tracks[track].append(hit)
    score = 0.0
    for hits in tracks.values():
        owners = Counter(particle_of[h] for h in hits)
        top = max(owners.values())
        for particle, count in owners.items():
            if count != top:
                continue
            if 2 * count > len(hits) and 2 * count > particle_hits[particle]:
                score += sum(weight_of[h] for h in hits if particle_of[h] == particle)
    return score / sum(weight_of.values())


def throughput(accuracy: float, seconds: float) -> float:
    """sqrt(ln(1 + 600/t) (A - 0.5)^2) for A >= 0.5, else 0."""
    if accuracy < 0.5:
        return 0.0
    return math.sqrt(math.log(1 + 600 / seconds) * (accuracy - 0.5) ** 2)


def interval_score(mu, p16, p84):
    """The HiggsML uncertainty score of intervals [p16, p84] of true values mu:
    score = -ln((mean(p84 - p16) + 1e-3) f(c, N)), written out with plain loops."""
    n = len(mu)
    covered = 0
    width_sum = 0.0
    for true, low, high in zip(mu, p16, p84, strict=True):
        if low <= true <= high:
            covered += 1
        width_sum += high - low
    c = covered / n
    sigma68 = math.sqrt(0.6827 * (1 - 0.6827) / n)
    if c < 0.6827 - 2 * sigma68:
        f = 1 + abs((c - (0.6827 - 2 * sigma68)) / sigma68) ** 4
    elif c > 0.6827 + 2 * sigma68:
        f = 1 + abs((c - (0.6827 + 2 * sigma68)) / sigma68) ** 3
    else:
        f = 1
    return -math.log((width_sum / n + 1e-3) * f)


def interval_point_errors(mu, mu_hat, delta):
    """(MAE, RMSE) of the uncertainty challenge: for each set of pseudo-experiments sharing a
    true mu, MAE = mean |e| + mean ||e| - delta| and RMSE = sqrt(mean e^2 + mean (e^2 -
    delta^2)^2) with e = mu_hat - mu; then the plain mean over the sets."""
    sets = defaultdict(list)
    for true, guess, uncertainty in zip(mu, mu_hat, delta, strict=True):
        sets[true].append((guess - true, uncertainty))
    maes, rmses = [], []
    for rows in sets.values():
        k = len(rows)
        maes.append(sum(abs(e) for e, _ in rows) / k + sum(abs(abs(e) - d) for e, d in rows) / k)
        rmses.append(
            math.sqrt(
                sum(e * e for e, _ in rows) / k + sum((e * e - d * d) ** 2 for e, d in rows) / k
            )
        )
    return sum(maes) / len(maes), sum(rmses) / len(rmses)
