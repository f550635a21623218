"""TrackML-style events: a simulated silicon tracker and the official file formats.

``simulate_event`` makes one event's hits, cells, particles and truth tables;
``generate`` writes a full challenge dataset; ``read_event`` / ``read_detectors`` read
simulated or real released files. Units: mm, GeV.
"""

from fivesigma.datasets.trackml.generate import generate
from fivesigma.datasets.trackml.io import (
    FormatError,
    list_events,
    read_detectors,
    read_event,
    write_detectors,
)
from fivesigma.datasets.trackml.simulate import DEFAULT_PILEUP, simulate_event

__all__ = [
    "DEFAULT_PILEUP",
    "FormatError",
    "generate",
    "list_events",
    "read_detectors",
    "read_event",
    "simulate_event",
    "write_detectors",
]
