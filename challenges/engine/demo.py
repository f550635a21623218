"""The demo challenges: one per built-in kind, generated once, loaded like any bundle.

For each kind of ``challenges.kinds``, the bundle in ``bundles/<kind>/`` holds the manifest and
pages; the kind's generator writes its data into ``DATA_DIR/demo/<kind>-<size>/data`` (once:
later runs reuse it) next to a copy of the manifest, with the starter kit, and that directory
is loaded like any organiser's bundle. The kind's reference baselines are then submitted as
unranked benchmark rows of the leaderboards.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from fivesigma.challenges.engine import bundles, intake
from fivesigma.challenges.kinds import DEMO_SIZES, KINDS, Kind
from fivesigma.challenges.models import Challenge, Team

log = logging.getLogger(__name__)
REPO_BUNDLES = Path(settings.BASE_DIR) / "bundles"
# Demo sizes whose code baselines are skipped: their sandbox run spends about 35 s of CPU
# compiling before the first event, whatever the data size.
NO_CODE_BASELINES = {"tiny"}


def bundle_dir(kind: Kind, size: str = "full") -> Path:
    """Assemble the demo bundle of ``kind`` (generating its data if missing); its directory."""
    if size not in DEMO_SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(DEMO_SIZES)}")
    root = Path(settings.DATA_DIR) / "demo" / f"{kind.key}-{size}"
    shutil.copytree(REPO_BUNDLES / kind.key, root, dirs_exist_ok=True)
    data = root / "data"
    done = data / ".generated"
    if not done.exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        kind.generate(data, size)
        from fivesigma.baselines import starter_kit

        starter_kit.build(kind.key, data / "starter-kit.zip")
        done.write_text("complete\n")
    return root


def load_demo(key: str, organiser, size: str = "full") -> Challenge:
    """Load the demo of kind ``key`` (generating its data first if needed) with its baselines."""
    kind = KINDS[key]
    root = bundle_dir(kind, size)
    challenge = bundles.load(root, organiser=organiser)
    add_benchmarks(challenge, kind, root / "data", code_baselines=size not in NO_CODE_BASELINES)
    return challenge


def benchmark_team(challenge: Challenge, name: str) -> Team:
    """The benchmark team ``name``: it has no members and takes no rank."""
    team, _ = Team.objects.get_or_create(
        challenge=challenge, name=name, defaults={"is_benchmark": True}
    )
    return team


def add_benchmarks(challenge: Challenge, kind: Kind, data: Path, code_baselines: bool) -> None:
    """Run the kind's reference baselines once and submit them as unranked benchmark rows
    (the code ones, which run in the sandbox, only with ``code_baselines``)."""
    organiser = challenge.organisers.first()
    with tempfile.TemporaryDirectory(prefix="fivesigma-benchmarks-") as tmp:
        for baseline in kind.baselines:
            if baseline.code and not code_baselines:
                continue
            phase = challenge.phases.filter(key=baseline.phase).first()
            team = benchmark_team(challenge, f"Baseline: {baseline.label}")
            if phase is None or team.submissions.filter(phase=phase).exists():
                continue
            path = baseline.make(data, Path(tmp))
            log.info("benchmark %s for %s/%s", baseline.label, challenge.slug, phase.key)
            upload = SimpleUploadedFile(path.name, path.read_bytes())
            with transaction.atomic():
                intake.submit(
                    phase,
                    organiser,
                    upload,
                    description=f"reference baseline: {team.name}",
                    team=team,
                    enforce_rules=False,
                )
