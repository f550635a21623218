"""The per-submission diagnostics of the HiggsML uncertainty challenge, as Plotly figures
(plain JSON, no plotting library needed): the interval of each pseudo-experiment against its
true mu, the coverage as a function of the true mu, and mu_hat - mu against each nuisance."""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = 0.6827  # the coverage of a 68.27% interval
NUISANCES = {  # column: axis title (units)
    "tes": "tau energy scale tes",
    "jes": "jet energy scale jes",
    "soft_met": "soft missing ET soft_met (GeV)",
    "bkg_scale": "background scale bkg_scale",
    "ttbar_scale": "ttbar scale ttbar_scale",
    "diboson_scale": "diboson scale diboson_scale",
}
MU_BINS = 6  # bins of the true mu in the coverage-against-mu figure


def figures(truth: pd.DataFrame, aligned: pd.DataFrame) -> list[dict]:
    """The figures of one scored subset; ``aligned`` holds the predictions row by row with
    ``truth``."""
    mu = truth["mu"].to_numpy(float)
    mu_hat, p16, p84 = (aligned[c].to_numpy(float) for c in ("mu_hat", "p16", "p84"))
    return [
        interval_figure(truth["pseudo_experiment"].to_numpy(), mu, mu_hat, p16, p84),
        coverage_figure(mu, p16, p84),
        *(
            residual_figure(truth[name].to_numpy(float), mu_hat - mu, title)
            for name, title in NUISANCES.items()
            if name in truth.columns
        ),
    ]


def interval_figure(number, mu, mu_hat, p16, p84) -> dict:
    """The coverage plot: each pseudo-experiment's [p16, p84] and mu_hat against its true mu;
    the intervals that miss it in red."""
    inside = (p16 <= mu) & (mu <= p84)
    traces = []
    for kept, name, colour in ((inside, "covers the true μ", "#1f77b4"),
                               (~inside, "misses the true μ", "#d62728")):  # fmt: skip
        traces.append({
            "type": "scatter", "mode": "markers", "name": name,
            "x": mu[kept].tolist(), "y": mu_hat[kept].tolist(),
            "error_y": {"type": "data", "symmetric": False,
                        "array": (p84 - mu_hat)[kept].tolist(),
                        "arrayminus": (mu_hat - p16)[kept].tolist(),
                        "color": colour},
            "marker": {"color": colour, "size": 5},
            "text": [f"pseudo-experiment {n}" for n in number[kept]],
        })  # fmt: skip
    low, high = float(min(mu.min(), p16.min())), float(max(mu.max(), p84.max()))
    traces.append({
        "type": "scatter", "mode": "lines", "name": "μ̂ = μ",
        "x": [low, high], "y": [low, high], "line": {"color": "grey", "dash": "dot"},
    })  # fmt: skip
    return {
        "data": traces,
        "layout": {
            "title": {"text": f"Intervals: {inside.mean():.0%} cover the true μ (target 68.27%)"},
            "xaxis": {"title": {"text": "true μ"}},
            "yaxis": {"title": {"text": "measured μ̂ with [p16, p84]"}},
        },
    }


def coverage_figure(mu, p16, p84) -> dict:
    """The fraction of intervals holding the true mu in bins of the true mu, with the
    binomial standard error of each bin."""
    edges = np.linspace(mu.min(), mu.max(), MU_BINS + 1)
    which = np.clip(np.searchsorted(edges, mu, side="right") - 1, 0, MU_BINS - 1)
    inside = (p16 <= mu) & (mu <= p84)
    centres, fractions, errors, counts = [], [], [], []
    for k in range(MU_BINS):
        members = inside[which == k]
        if len(members):
            fraction = float(members.mean())
            centres.append(float((edges[k] + edges[k + 1]) / 2))
            fractions.append(fraction)
            errors.append(float(np.sqrt(max(fraction * (1 - fraction), 1e-12) / len(members))))
            counts.append(int(len(members)))
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "coverage",
                "x": centres,
                "y": fractions,
                "error_y": {"type": "data", "array": errors},
                "text": [f"{n} pseudo-experiments" for n in counts],
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "68.27%",
                "x": [float(edges[0]), float(edges[-1])],
                "y": [TARGET, TARGET],
                "line": {"color": "grey", "dash": "dot"},
            },
        ],  # fmt: skip
        "layout": {
            "title": {"text": "Coverage against the true μ"},
            "xaxis": {"title": {"text": "true μ"}},
            "yaxis": {"title": {"text": "fraction of intervals holding μ"}, "range": [0, 1.05]},
        },
    }


def residual_figure(values, residual, title: str) -> dict:
    """mu_hat - mu against the true value of one nuisance parameter."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "name": "μ̂ − μ",
                "x": values.tolist(),
                "y": residual.tolist(),
                "marker": {"size": 5},
            }
        ],  # fmt: skip
        "layout": {
            "title": {"text": f"μ̂ − μ against the {title.split(' (')[0]}"},
            "xaxis": {"title": {"text": title}},
            "yaxis": {"title": {"text": "μ̂ − μ"}},
        },
    }
