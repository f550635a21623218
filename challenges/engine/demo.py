"""The demo challenges: one per built-in kind, listed at once, then prepared step by step.

For each kind of ``challenges.kinds``, the bundle in ``bundles/<kind>/`` holds the manifest and
pages. :func:`register` lists the demo challenge right away, from that manifest and its pages,
with a :class:`Preparation` row saying it waits for a worker. :func:`prepare` then runs the
kind's plan, one step after the other: the kind's generator writes the data into
``DATA_DIR/demo/<kind>-<size>/data`` (once: later runs reuse it) next to a copy of the
manifest, the starter kit is built there, the directory is loaded like any organiser's bundle,
and each reference baseline is submitted as an unranked benchmark row. Every step skips what
is already done. The running step is recorded on the preparation row (the challenge's page
shows it) and reported to ``report`` when it starts, when it says where it is, and at least
every ``REPORT_SECONDS`` while it runs.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from fivesigma.challenges.engine import bundles, intake
from fivesigma.challenges.kinds import DEMO_SIZES, KINDS, Baseline, Kind
from fivesigma.challenges.models import Challenge, Preparation, Team

log = logging.getLogger(__name__)
REPO_BUNDLES = Path(settings.BASE_DIR) / "bundles"
# Demo sizes whose code baselines are skipped: their sandbox run spends about 35 s of CPU
# compiling before the first event, whatever the data size.
NO_CODE_BASELINES = {"tiny"}
GENERATED = ".generated"  # written in the data directory once the generator has finished
REPORT_SECONDS = 5.0  # a running step is reported at least this often (seconds)
BAR_WIDTH = 20

Say = Callable[[str], None]  # a step tells where it is: "simulating ztautau"
Report = Callable[[Preparation], None]


@dataclass(frozen=True)
class Step:
    activity: str  # "simulating the HiggsML data"
    run: Callable[[Say], object]


def demo_root(kind: Kind, size: str) -> Path:
    """The directory the demo bundle of ``kind`` at ``size`` is assembled in."""
    if size not in DEMO_SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(DEMO_SIZES)}")
    return Path(settings.DATA_DIR) / "demo" / f"{kind.key}-{size}"


def listing(kind: Kind) -> dict:
    """Slug, title, summary and pages of the demo bundle of ``kind``, read from its manifest:
    what the challenge shows before its data exists."""
    root = REPO_BUNDLES / kind.key
    manifest = yaml.safe_load((root / "challenge.yaml").read_text(encoding="utf-8"))
    pages = {
        key: (root / path).read_text(encoding="utf-8")
        for key, path in (manifest.get("pages") or {}).items()
    }
    return {
        "slug": manifest["slug"],
        "title": manifest["title"],
        "summary": manifest.get("summary", ""),
        "pages": pages,
    }


def register(key: str, organiser, size: str = "full") -> Preparation:
    """List the demo challenge of kind ``key`` now (organised by ``organiser``) and return its
    preparation, reset to wait for a worker unless it is already prepared at ``size``."""
    kind = KINDS[key]
    root = demo_root(kind, size)
    listed = listing(kind)
    with transaction.atomic():
        challenge = Challenge.objects.filter(slug=listed["slug"]).first()
        if challenge is None:
            challenge = Challenge.objects.create(**listed)
        challenge.organisers.add(organiser)
        preparation, _ = Preparation.objects.get_or_create(
            challenge=challenge, defaults={"kind": key, "size": size}
        )
        if (
            preparation.is_ready
            and preparation.size == size
            and (root / "data" / GENERATED).exists()
        ):
            return preparation
        preparation.kind, preparation.size = key, size
        preparation.steps = len(plan(preparation))
        preparation.step = 0
        preparation.activity, preparation.detail, preparation.error = "waiting for a worker", "", ""
        preparation.started = preparation.step_started = preparation.finished = None
        preparation.worker = ""  # no worker runs yet when a site starts
        preparation.save()
    return preparation


def plan(preparation: Preparation) -> list[Step]:
    """The steps that prepare the demo: data, starter kit, bundle, one per benchmark row."""
    kind, size = KINDS[preparation.kind], preparation.size
    root = demo_root(kind, size)
    steps = [
        Step(f"simulating the {kind.title} data", lambda say: generate_data(kind, size, say)),
        Step("building the starter kit", lambda say: build_starter_kit(kind, root / "data")),
        Step("loading the challenge", lambda say: load_bundle(preparation.challenge, root)),
    ]
    for baseline in kind.baselines:
        if not (baseline.code and size in NO_CODE_BASELINES):
            steps.append(benchmark_step(preparation, baseline, root / "data"))
    return steps


def benchmark_step(preparation: Preparation, baseline: Baseline, data: Path) -> Step:
    def run(say: Say) -> None:
        submit_benchmark(preparation.challenge, baseline, data, say)

    return Step(f"benchmark row {baseline.label!r} ({baseline.phase} phase)", run)


def generate_data(kind: Kind, size: str, say: Say) -> Path:
    """Copy the bundle's manifest and pages and generate its data (once); the bundle's root."""
    root = demo_root(kind, size)
    shutil.copytree(REPO_BUNDLES / kind.key, root, dirs_exist_ok=True)
    data = root / "data"
    if (data / GENERATED).exists():
        say("generated earlier, reused")
        return root
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    kind.generate(data, size, say)
    (data / GENERATED).write_text("complete\n")
    return root


def build_starter_kit(kind: Kind, data: Path) -> Path:
    """The starter kit of ``kind`` in ``data`` (built once)."""
    from fivesigma.baselines import starter_kit

    kit = data / "starter-kit.zip"
    if not kit.exists():
        partial = starter_kit.build(kind.key, data / "starter-kit.zip.partial")
        partial.replace(kit)
    return kit


def load_bundle(challenge: Challenge, root: Path) -> Challenge:
    """Load the assembled bundle in place of the listed challenge."""
    return bundles.load(root, organiser=challenge.organisers.first())


def benchmark_team(challenge: Challenge, name: str) -> Team:
    """The benchmark team ``name``: it has no members and takes no rank."""
    team, _ = Team.objects.get_or_create(
        challenge=challenge, name=name, defaults={"is_benchmark": True}
    )
    return team


def submit_benchmark(challenge: Challenge, baseline: Baseline, data: Path, say: Say) -> None:
    """Run a reference baseline once and submit it as an unranked benchmark row; the site's
    workers score it like any submission."""
    phase = challenge.phases.filter(key=baseline.phase).first()
    team = benchmark_team(challenge, f"Baseline: {baseline.label}")
    if phase is None or team.submissions.filter(phase=phase).exists():
        say("submitted earlier")
        return
    say("running the baseline")
    with tempfile.TemporaryDirectory(prefix="fivesigma-benchmark-") as tmp:
        path = baseline.make(data, Path(tmp))
        say("submitting")
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        with transaction.atomic():
            intake.submit(
                phase,
                challenge.organisers.first(),
                upload,
                description=f"reference baseline: {team.name}",
                team=team,
                enforce_rules=False,
            )
    log.info("benchmark %s submitted to %s/%s", baseline.label, challenge.slug, phase.key)


def prepare(preparation: Preparation, report: Report = lambda p: None) -> Preparation:
    """Run every step of the plan in order, recording each on ``preparation``.

    A step that fails leaves its reason on the row (the challenge's page shows it) and its
    exception propagates; running the plan again resumes, since each step skips what is done.
    """
    steps = plan(preparation)
    preparation.challenge  # noqa: B018 - loaded here, read by the reporting thread
    preparation.steps, preparation.error, preparation.finished = len(steps), "", None
    preparation.started = timezone.now()
    for number, step in enumerate(steps, start=1):
        preparation.step, preparation.activity, preparation.detail = number, step.activity, ""
        preparation.step_started = timezone.now()
        preparation.save()
        report(preparation)

        def say(detail: str) -> None:
            preparation.detail = detail[:200]
            preparation.save(update_fields=["detail", "updated"])
            report(preparation)

        try:
            with reporting(preparation, report):
                step.run(say)
        except Exception as error:
            preparation.error = f"step {number} of {len(steps)} ({step.activity}) failed: {error}"
            preparation.save()
            report(preparation)
            raise
    preparation.finished = timezone.now()
    preparation.activity = preparation.detail = ""
    preparation.save()
    report(preparation)
    return preparation


def prepare_once(preparation_id: int, worker: str, report: Report = lambda p: None) -> str:
    """Prepare the demo as task ``worker`` unless it is ready or another task prepares it.

    Taking the row is one conditional update, so two deliveries of the same task (a broker
    redelivering it, a second ``setup_demo --background``) never prepare it twice at once.
    """
    taken = Preparation.objects.filter(pk=preparation_id, worker="", finished__isnull=True).update(
        worker=worker
    )
    if not taken:
        return "ready or being prepared by another task"
    preparation = Preparation.objects.select_related("challenge").get(pk=preparation_id)
    try:
        prepare(preparation, report)
    finally:
        Preparation.objects.filter(pk=preparation_id, worker=worker).update(worker="")
    return f"{preparation.challenge.slug} ready"


@contextmanager
def reporting(preparation: Preparation, report: Report) -> Iterator[None]:
    """Report ``preparation`` every ``REPORT_SECONDS`` from a helper thread while the block
    runs, so that no step is silent for long, however long it takes."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(REPORT_SECONDS):
            report(preparation)

    thread = threading.Thread(target=beat, name="demo-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def progress_line(preparation: Preparation) -> str:
    """One line for a terminal: the demo, a bar of the steps done and the running step."""
    slug = preparation.challenge.slug
    filled = round(BAR_WIDTH * preparation.percent / 100)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    if preparation.error:
        return f"{slug} [{bar}] preparation failed: {preparation.error}"
    if preparation.finished:
        took = preparation.finished - (preparation.started or preparation.finished)
        return (
            f"{slug} [{bar}] ready: {preparation.steps} steps in {duration(took.total_seconds())}"
        )
    if not preparation.step:
        return f"{slug} [{bar}] waiting for a worker"
    detail = f": {preparation.detail}" if preparation.detail else ""
    return (
        f"{slug} [{bar}] step {preparation.step} of {preparation.steps}, "
        f"{preparation.activity}{detail} ({duration(preparation.step_seconds)})"
    )


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"
