"""The registry of built-in challenge kinds (HiggsML, TrackML).

``setup_demo`` reads it to generate each demo's data, build its starter kit and submit its
baselines; the bundle loader reads it for the harnesses a code phase may name. A new built-in
kind is one module in this package and one entry in ``KINDS`` (docs/architecture.md has the
checklist). A challenge that is not a built-in kind brings its own programs in its bundle.
"""

from __future__ import annotations

from fivesigma.challenges.kinds import higgsml_kind, trackml_kind
from fivesigma.challenges.kinds.kind import DEMO_SIZES, Baseline, Kind

KINDS: dict[str, Kind] = {kind.key: kind for kind in (higgsml_kind.KIND, trackml_kind.KIND)}

__all__ = ["DEMO_SIZES", "KINDS", "Baseline", "Kind", "harnesses"]


def harnesses() -> tuple[str, ...]:
    """The built-in harnesses a bundle's code phase may name."""
    return tuple(sorted({kind.harness for kind in KINDS.values() if kind.harness}))
