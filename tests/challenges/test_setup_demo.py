"""``manage.py setup_demo --size tiny`` end to end: data on disk and served, baselines scored.

The command runs for real in the test's own data directory, first as ``make run`` runs it
(``--background``: the challenges are listed at once and one task per demo is queued), then
the queued tasks run as a worker runs them: the simulators write the data, the bundles load,
the reference baselines are trained and submitted, and the pipeline scores them (tasks run
in-process). Scores are checked against the pure-Python definitions in
``tests/scoring/twins.py``. A second run must change nothing.

The tiny size gives the code phase (TrackML throughput) no baseline: its sandbox run compiles
the tracker for about 35 s of CPU. The ``slow`` test switches it back on and checks that row.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from fivesigma.challenges import tasks
from fivesigma.challenges.engine import demo, leaderboard
from fivesigma.challenges.kinds import higgsml_kind, trackml_kind
from fivesigma.challenges.models import (
    Challenge,
    DataFile,
    Phase,
    Preparation,
    Score,
    Submission,
    Team,
)
from tests.builders.users import make_user
from tests.conftest import REPO, require
from tests.scoring import twins

SIZE = "tiny"
PHASES = {
    "higgsml": ["main"],
    "higgsml-uncertainty": ["main"],
    "trackml": ["accuracy", "throughput"],
}
RESULT_BASELINES = {  # (challenge, phase) -> benchmark teams, as challenges.demo names them
    ("higgsml", "main"): {"Baseline: mass window", "Baseline: XGBoost"},
    ("trackml", "accuracy"): {"Baseline: DBSCAN", "Baseline: seeded tracking"},
}
CODE_BASELINES = {("trackml", "throughput"): {"Baseline: seeded tracking"}}
UNCERTAINTY_BASELINES = {
    ("higgsml-uncertainty", "main"): {"Baseline: statistics only", "Baseline: profiled likelihood"}
}
# data, starter kit, bundle, then the result baselines (the code ones are left out at this size)
STEPS = {"higgsml": 5, "higgsml-uncertainty": 3, "trackml": 5}
PUBLIC_FILES = {
    "higgsml": {"training.csv", "test.csv", "starter-kit.zip"},
    "trackml": {"train.zip", "test.zip", "detectors.csv", "starter-kit.zip"},
    "higgsml-uncertainty": {"train.csv", "sample_test.csv", "sample_truth.csv", "starter-kit.zip"},
}
HIDDEN = (DataFile.SOLUTION, DataFile.REFERENCE, DataFile.INPUT)


def run_setup_demo(*only: str, background: bool = False) -> str:
    out = io.StringIO()
    call_command(
        "setup_demo",
        size=SIZE,
        only=list(only) or None,
        background=background,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def stored_csv(field) -> pd.DataFrame:
    with default_storage.open(field.name, "rb") as stream:
        return pd.read_csv(stream)


def current_scores(submission: Submission) -> dict[str, Score]:
    scores = Score.objects.filter(submission=submission, current=True)
    return {score.subset: score for score in scores}


def expected_ams(phase: Phase, data: Path, submission: Submission) -> dict[str, float]:
    """AMS of the submitted classes from the definition: KaggleSet b is public, v private."""
    solution = pd.read_csv(data / "solution.csv")
    submitted = stored_csv(submission.file).set_index("EventId")["Class"]
    rows = list(
        zip(
            solution["Label"],
            solution["Weight"],
            solution["KaggleSet"],
            submitted.loc[solution["EventId"]].to_numpy(),
            strict=True,
        )
    )
    options = phase.metric_options
    totals = {"s": options["signal_total"], "b": options["background_total"]}
    return {
        Score.PUBLIC: twins.subset_ams(rows, "b", totals),
        Score.PRIVATE: twins.subset_ams(rows, "v", totals),
    }


def expected_accuracy(phase: Phase, data: Path, tracks: pd.DataFrame) -> dict[str, float]:
    """Mean TrackML accuracy of each subset's events, from the truth files on disk."""
    usage = DataFile.objects.get(phase=phase, role=DataFile.SOLUTION)
    usage = stored_csv(usage.file).groupby("event_id")["Usage"].first()
    per_event = {}
    for event_id, event_tracks in tracks.groupby("event_id"):
        truth = pd.read_csv(data / "test_truth" / f"event{event_id:09d}-truth.csv")
        per_event[event_id] = twins.trackml_event_score(
            list(truth[["hit_id", "particle_id", "weight"]].itertuples(index=False, name=None)),
            list(event_tracks[["hit_id", "track_id"]].itertuples(index=False, name=None)),
        )
    assert set(per_event) == set(usage.index), "every test event is reconstructed"
    return {
        subset: sum(per_event[e] for e in usage.index[usage == name]) / (usage == name).sum()
        for subset, name in ((Score.PUBLIC, "Public"), (Score.PRIVATE, "Private"))
    }


def expected_intervals(data: Path, submission: Submission) -> dict[str, float]:
    """The interval score of the ingestion's predictions over each subset's truths."""
    with default_storage.open(submission.output.name, "rb") as stream:
        with zipfile.ZipFile(io.BytesIO(stream.read())) as archive:
            predictions = pd.read_csv(io.BytesIO(archive.read("predictions.csv")))
    predictions = predictions.set_index("pseudo_experiment")
    expected = {}
    for subset in (Score.PUBLIC, Score.PRIVATE):
        truth = pd.read_csv(data / "reference" / subset / "truth.csv")
        rows = predictions.loc[truth["pseudo_experiment"]]
        expected[subset] = twins.interval_score(
            truth["mu"].tolist(), rows["p16"].tolist(), rows["p84"].tolist()
        )
    return expected


def expected_scores(phase: Phase, data: Path, submission: Submission) -> dict[str, float]:
    if phase.is_program_scored:
        return expected_intervals(data, submission)
    if phase.metric == "ams":
        return expected_ams(phase, data, submission)
    if phase.metric == "trackml":
        return expected_accuracy(phase, data, stored_csv(submission.file))
    assert phase.metric == "throughput"
    accuracy = expected_accuracy(phase, data, stored_csv(submission.output))
    seconds = submission.run_report["ranked_seconds"]
    assert 0 < seconds < phase.time_limit_s
    return {subset: twins.throughput(value, seconds) for subset, value in accuracy.items()}


def check_data(data_dir: Path, client: Client) -> None:
    """The generated files are on disk and every public file is served with the same bytes."""
    for slug, names in PUBLIC_FILES.items():
        data = data_dir / "demo" / f"{slug}-{SIZE}" / "data"
        assert (data / ".generated").exists()
        challenge = Challenge.objects.get(slug=slug)
        public = DataFile.objects.filter(challenge=challenge, phase=None)
        assert {f.name for f in public} == names
        data_page = client.get(reverse("challenge-page", args=[slug, "data"])).content.decode()
        for data_file in public:
            link = reverse("download-file", args=[slug, data_file.pk])
            assert link in data_page, f"{slug}: no link to {data_file.name} on the Data page"
            response = client.get(link)
            assert response.status_code == 200, f"{slug}/{data_file.name}"
            served = b"".join(response.streaming_content)  # a FileResponse, streamed
            assert served == (data / data_file.name).read_bytes(), f"{slug}/{data_file.name}"
        hidden_files = DataFile.objects.filter(challenge=challenge, role__in=HIDDEN)
        assert hidden_files.exists(), f"{slug}: the scoring has its hidden data"
        for hidden in hidden_files:
            link = reverse("download-file", args=[slug, hidden.pk])
            assert client.get(link).status_code == 404  # participants never get the solution
    higgs = pd.read_csv(data_dir / "demo" / f"higgsml-{SIZE}" / "data" / "test.csv")
    assert len(higgs) < higgsml_kind.EVENTS[SIZE] < higgsml_kind.EVENTS["small"]  # the tiny data


def check_baselines(baselines: dict, data_dir: Path, client: Client) -> dict[tuple, tuple]:
    """Each baseline has one finished submission whose scores follow from the definitions,
    and the phase's leaderboard page lists it, unranked, with that public score."""
    seen = {}
    for (slug, key), teams in baselines.items():
        phase = Phase.objects.get(challenge__slug=slug, key=key)
        data = data_dir / "demo" / f"{slug}-{SIZE}" / "data"
        board = leaderboard.compute(phase, Score.PUBLIC)
        rows = {row.team: row for row in board.rows}
        page = client.get(reverse("leaderboard", args=[slug, key])).content.decode()
        for name in teams:
            team = Team.objects.get(challenge=phase.challenge, name=name)
            assert team.is_benchmark and not team.memberships.exists()
            (submission,) = Submission.objects.filter(phase=phase, team=team)
            where = f"{slug}/{key} {name}"
            assert submission.status == Submission.FINISHED, f"{where}: {submission.reason}"
            scores = current_scores(submission)
            assert set(scores) == {Score.PUBLIC, Score.PRIVATE}, where
            expected = expected_scores(phase, data, submission)
            for subset, score in scores.items():
                assert score.value == pytest.approx(expected[subset], rel=1e-9), (where, subset)
            if not phase.is_program_scored:  # the interval score may be below 0
                assert scores[Score.PUBLIC].value > 0, f"{where}: the baseline finds something"
            row = rows[name]
            assert row.is_benchmark and row.rank is None, where
            assert row.value == pytest.approx(scores[Score.PUBLIC].value, rel=1e-12), where
            assert name in page, f"{where}: not on the leaderboard page"
            seen[(slug, key, name)] = (submission.pk, {s: v.value for s, v in scores.items()})
    return seen


def database_counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "challenges": Challenge.objects.count(),
        "phases": Phase.objects.count(),
        "teams": Team.objects.count(),
        "submissions": Submission.objects.count(),
        "scores": Score.objects.count(),
        "data files": DataFile.objects.count(),
    }


def test_setup_demo_lists_at_once_prepares_in_the_background_and_reloads_without_change(
    eager_tasks, isolated_storage, monkeypatch, caplog
):
    queued, prepare_demo = [], tasks.prepare_demo
    monkeypatch.setattr(tasks, "prepare_demo", SimpleNamespace(delay=queued.append))
    first = run_setup_demo(background=True)
    assert "Demo organiser account created" in first
    organiser = get_user_model().objects.get(username="organiser")
    assert organiser.is_staff

    # listed at once, before any data exists, each with its preparation waiting for a worker
    preparations = {p.challenge.slug: p for p in Preparation.objects.select_related("challenge")}
    assert set(preparations) == set(PHASES)
    assert sorted(queued) == sorted(p.pk for p in preparations.values())
    assert not list(isolated_storage.glob(f"demo/*/data/{demo.GENERATED}"))
    client = Client()
    home = client.get(reverse("home")).content.decode()
    for slug, preparation in preparations.items():
        assert preparation.state == "waiting" and preparation.steps == STEPS[slug]
        assert preparation.challenge.title in home
        page = client.get(reverse("challenge", args=[slug])).content.decode()
        assert f"waiting for a worker</strong> to start the {STEPS[slug]} steps" in page
        assert 'http-equiv="refresh"' in page
        overview = (REPO / "bundles" / slug / "pages" / "overview.md").read_text()
        assert overview.splitlines()[0].lstrip("# ") in page  # the bundle's own overview
    assert home.count("waiting for a worker") == len(PHASES)

    # the worker's tasks: each step reported as a progress line, then ready
    with caplog.at_level(logging.INFO, logger=demo.log.name):
        for pk in queued:
            assert prepare_demo.apply(args=[pk]).get().endswith(" ready")
    lines = [r.getMessage() for r in caplog.records if r.name == demo.log.name]
    for slug in PHASES:
        steps = [line for line in lines if line.startswith(f"{slug} [")]
        started = [
            int(m) for m in re.findall(rf"^{slug} \[.*?\] step (\d+) of", "\n".join(steps), re.M)
        ]
        assert sorted(set(started)) == list(range(1, STEPS[slug] + 1)), steps
        assert steps[-1].startswith(f"{slug} [{'#' * demo.BAR_WIDTH}] ready: {STEPS[slug]} steps")
    for preparation in Preparation.objects.all():
        assert preparation.is_ready and not preparation.worker
    client.force_login(make_user("pat"))  # a participant of neither challenge yet
    for slug in PHASES:
        page = client.get(reverse("challenge", args=[slug])).content.decode()
        assert "Preparing" not in page and 'http-equiv="refresh"' not in page
        challenge = Challenge.objects.get(slug=slug)
        assert challenge.is_organiser(organiser)
        assert sorted(challenge.phases.values_list("key", flat=True)) == sorted(PHASES[slug])
    check_data(isolated_storage, client)
    baselines = check_baselines(RESULT_BASELINES, isolated_storage, client)
    assert Submission.objects.count() == len(baselines)  # none in the code phase at this size
    throughput = Phase.objects.get(challenge__slug="trackml", key="throughput")
    assert throughput.kind == Phase.CODE
    assert {f.role for f in throughput.files.all()} == {DataFile.SOLUTION, DataFile.INPUT}

    counts = database_counts()
    generated = {
        path: path.stat().st_mtime_ns for path in (isolated_storage / "demo").rglob("*.csv")
    }
    # make run again: nothing to prepare, nothing queued
    queued.clear()
    again = run_setup_demo(background=True)
    assert "Demo organiser account created" not in again
    assert again.count("prepared earlier") == len(PHASES) and not queued
    # in the foreground: the bundles are loaded again, the rest is reused
    second = run_setup_demo()
    assert second.count("Loaded '") == len(PHASES)  # both challenges, without an error
    assert database_counts() == counts
    assert {
        path: path.stat().st_mtime_ns for path in (isolated_storage / "demo").rglob("*.csv")
    } == generated  # the data is reused, not simulated again
    assert check_baselines(RESULT_BASELINES, isolated_storage, client) == baselines


def code_baselines_scored(kind: str, baselines: dict, data_dir: Path, monkeypatch) -> list[int]:
    """setup_demo for ``kind`` with its code baselines on; the checked baseline submissions."""
    require(shutil.which("bwrap") is not None, "bubblewrap (apt-get install bubblewrap)")
    monkeypatch.setattr(demo, "NO_CODE_BASELINES", set())
    run_setup_demo(kind)
    client = Client()
    client.force_login(make_user("pat"))
    return [pk for pk, _ in check_baselines(baselines, data_dir, client).values()]


@pytest.mark.slow
def test_setup_demo_with_code_baselines_scores_the_tracker_run_in_the_sandbox(
    eager_tasks, isolated_storage, monkeypatch
):
    (submission_pk,) = code_baselines_scored(
        "trackml", CODE_BASELINES, isolated_storage, monkeypatch
    )
    report = Submission.objects.get(pk=submission_pk).run_report
    assert report["confined"] is True
    assert len(report["per_event_seconds"]) == trackml_kind.EVENTS[SIZE][1]  # each test event timed


@pytest.mark.slow
def test_setup_demo_with_code_baselines_runs_both_uncertainty_models_in_the_sandbox(
    eager_tasks, isolated_storage, monkeypatch
):
    kind, baselines = "higgsml-uncertainty", UNCERTAINTY_BASELINES
    for submission_pk in code_baselines_scored(kind, baselines, isolated_storage, monkeypatch):
        report = Submission.objects.get(pk=submission_pk).run_report["program"]
        assert report["ingestion"]["exit_code"] == 0 and "charts.json" in report["detailed"]
