"""The registry of built-in kinds agrees with the pieces it names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fivesigma.baselines.starter_kit import KITS
from fivesigma.challenges.kinds import KINDS, harnesses
from fivesigma.runner.run import BUILT_IN_HARNESSES
from fivesigma.scoring import registry

REPO = Path(__file__).resolve().parents[2]


def test_the_harnesses_a_bundle_may_name_are_the_runners_built_in_ones():
    assert set(harnesses()) == set(BUILT_IN_HARNESSES)


@pytest.mark.parametrize("key", sorted(KINDS))
def test_each_kind_names_real_metrics_a_demo_bundle_and_a_starter_kit(key):
    kind = KINDS[key]
    assert kind.key == key
    assert set(kind.metrics) <= set(registry.keys())
    manifest = yaml.safe_load((REPO / "bundles" / key / "challenge.yaml").read_text())
    phases = {p["key"]: p for p in manifest["phases"]}
    assert {p["metric"] for p in phases.values() if "metric" in p} <= set(kind.metrics)
    for baseline in kind.baselines:
        assert baseline.phase in phases, f"{key}: baseline {baseline.label} names no phase"
        assert (phases[baseline.phase].get("kind", "result") == "code") == baseline.code
    for phase in phases.values():
        if phase.get("kind") == "code":  # a built-in harness, or the bundle's own program
            runs = phase["code"].get("harness") or phase["ingestion"]["program"]
            assert runs in (kind.harness, phase.get("ingestion", {}).get("program"))
        else:
            assert "metric" in phase or "program" in phase["scoring"]
    assert key in KITS
