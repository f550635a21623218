"""The registry of built-in challenge kinds: every ``*_kind`` module of this package.

``setup_demo`` reads it to generate each demo's data, build its starter kit and submit its
baselines; the bundle loader reads it for the harnesses a code phase may name. A new kind is
one module here named ``<something>_kind.py`` defining ``KIND``, and its demo bundle in
``bundles/<key>/`` (docs/architecture.md has the checklist); removing the module and the
bundle removes the demo. A challenge that is not a built-in kind brings its own programs in
its bundle.
"""

from __future__ import annotations

import importlib
import pkgutil

from fivesigma.challenges.kinds.kind import DEMO_SIZES, Baseline, Kind

__all__ = ["DEMO_SIZES", "KINDS", "Baseline", "Kind", "harnesses"]


def discover() -> dict[str, Kind]:
    """Each ``*_kind`` module's ``KIND``, by key, in key order."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name.endswith("_kind"):
            found.append(importlib.import_module(f"{__name__}.{module.name}").KIND)
    return {kind.key: kind for kind in sorted(found, key=lambda kind: kind.key)}


KINDS: dict[str, Kind] = discover()


def harnesses() -> tuple[str, ...]:
    """The built-in harnesses a bundle's code phase may name."""
    return tuple(sorted({kind.harness for kind in KINDS.values() if kind.harness}))
