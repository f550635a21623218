"""Metrics by the key a challenge bundle names them with.

>>> from fivesigma.scoring import registry
>>> metric = registry.get("ams")
>>> metric.higher_is_better
True
"""

from __future__ import annotations

from fivesigma.scoring.metric import Metric
from fivesigma.scoring.metrics.significance import AmsMetric
from fivesigma.scoring.metrics.tabular import AccuracyMetric, LogLossMetric, RocAucMetric
from fivesigma.scoring.metrics.tracking import ThroughputMetric, TrackmlMetric

METRICS: dict[str, type[Metric]] = {
    cls.key: cls
    for cls in (
        AmsMetric,
        TrackmlMetric,
        ThroughputMetric,
        RocAucMetric,
        LogLossMetric,
        AccuracyMetric,
    )
}


class UnknownMetric(KeyError):
    """A metric key that is not registered; the message lists the known keys."""

    def __str__(self) -> str:
        return str(self.args[0])


def keys() -> list[str]:
    """Registered metric keys."""
    return list(METRICS)


def get(key: str, **options) -> Metric:
    """The metric registered under ``key``, configured with a bundle's ``metric_options``."""
    try:
        cls = METRICS[key]
    except KeyError:
        raise UnknownMetric(
            f"unknown metric {key!r}; known metrics: {', '.join(METRICS)}"
        ) from None
    return cls(**options)
