"""Codabench bundles (competition.yaml, version 2) load as they are, as a directory or a zip:
what is stored (roles, names, commands, columns, dates, limits), what is noted, and what is
refused with which message."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import yaml

from fivesigma.challenges.engine import bundles
from fivesigma.challenges.models import Challenge, DataFile
from tests.builders.codabench_bundles import (
    write_code_bundle,
    write_legacy_bundle,
    write_result_bundle,
    zip_bundle,
)

UTC = dt.UTC


def loaded(root: Path, as_zip: bool, tmp_path: Path) -> bundles.Loaded:
    path = zip_bundle(root, tmp_path / "bundle.zip") if as_zip else root
    return bundles.load_bundle(path, environments=tmp_path / "envs")


def stored(challenge, phase=None, role=None) -> dict[str, DataFile]:
    files = DataFile.objects.filter(challenge=challenge, phase=phase)
    if role:
        files = files.filter(role=role)
    return {f.name: f for f in files}


def zip_names(data_file: DataFile) -> list[str]:
    with data_file.file.open("rb") as stream:
        return sorted(zipfile.ZipFile(io.BytesIO(stream.read())).namelist())


def refused(root: Path, tmp_path: Path) -> str:
    with pytest.raises(bundles.BundleError) as caught:
        bundles.load_bundle(root, environments=tmp_path / "envs")
    assert not Challenge.objects.exists()
    return "\n".join(caught.value.problems)


def edit(root: Path, change) -> None:
    manifest = root / "competition.yaml"
    data = yaml.safe_load(manifest.read_text())
    change(data)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("as_zip", [False, True], ids=["directory", "zip"])
@pytest.mark.parametrize("zipped_programs", [False, True], ids=["program-folder", "program-zip"])
def test_a_result_challenge_scored_by_a_program(
    db, isolated_storage, tmp_path, as_zip, zipped_programs
):
    root = write_result_bundle(tmp_path / "pi", zipped_programs=zipped_programs)
    result = loaded(root, as_zip, tmp_path)
    challenge = result.challenge
    assert (challenge.slug, challenge.title) == ("tiny-pi-challenge", "Tiny Pi Challenge")
    assert challenge.summary == "Guess the digits of pi."
    phase = challenge.phases.get()
    assert (phase.key, phase.title, phase.kind, phase.metric) == (
        "development",
        "Development",
        "result",
        "",
    )
    assert phase.start == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert phase.end == dt.datetime(2099, 2, 1, 12, 30, tzinfo=UTC)
    assert (phase.daily_limit, phase.total_limit, phase.time_limit_s) == (7, 100, 120.0)
    assert phase.scoring_command == "python3 /app/program/score.py /app/input /app/output"
    assert phase.ingestion_command == "" and phase.program_environment == ""
    # index 0 ranks whatever the order written; the computed column is left out
    assert phase.columns == [
        {"key": "accuracy", "title": "Accuracy", "sorting": "desc", "precision": 4, "rank": 1},
        {"key": "duration", "title": "Duration", "sorting": "asc", "precision": 1, "rank": 2},
    ]
    assert set(stored(challenge, phase, DataFile.REFERENCE)) == {"truth.txt", "extra/notes.txt"}
    program = stored(challenge, phase, DataFile.SCORING_PROGRAM)["scoring_program.zip"]
    assert zip_names(program) == ["metadata.yaml", "score.py"]
    assert not stored(challenge, phase, DataFile.INGESTION_PROGRAM)
    downloads = stored(challenge)
    assert downloads["starting_kit.zip"].role == DataFile.STARTER_KIT
    assert zip_names(downloads["starting_kit.zip"]) == ["README.md", "sample/guess.txt"]
    assert downloads["public_data.zip"].role == DataFile.PUBLIC
    assert downloads["solutions/sample.zip"].role == DataFile.PUBLIC
    # pages: by title, terms as the rules tab, HTML sanitised, other pages after the overview
    assert set(challenge.pages) == {"overview", "evaluation", "rules"}
    assert "<script>" not in challenge.pages["evaluation"]
    assert "onclick" not in challenge.pages["evaluation"]
    assert "Accuracy." in challenge.pages["evaluation"]
    assert challenge.pages["overview"].startswith("# Welcome")
    assert "## Prizes\n\nA mug." in challenge.pages["overview"]
    assert challenge.pages["rules"] == "Be nice.\n"
    notes = "\n".join(result.notes)
    for field in (
        "docker_image",
        "image",
        "registration_auto_approve",
        "phases[0].hide_output",
        "leaderboards[0].submission_rule",
        "leaderboards[0].columns[2]",
        "pages[2]",
    ):
        assert f"competition.yaml, {field}:" in notes, field
    assert "worker's own environment" in notes


@pytest.mark.parametrize("as_zip", [False, True], ids=["directory", "zip"])
def test_a_code_challenge_with_ingestion_and_scoring_programs(
    db, isolated_storage, tmp_path, as_zip
):
    root = write_code_bundle(tmp_path / "code")
    result = loaded(root, as_zip, tmp_path)
    feedback, final = result.challenge.phases.order_by("order")
    assert (feedback.key, final.key) == ("feedback", "final")
    assert feedback.kind == final.kind == "code"
    assert feedback.start == dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert feedback.end == dt.datetime(2099, 4, 30, 22, 0, tzinfo=UTC)  # +02:00 read as such
    assert final.end == dt.datetime(2100, 1, 1, tzinfo=UTC)  # the last phase has no end
    assert feedback.time_limit_s == 90.0 and final.time_limit_s == 600.0
    assert (feedback.daily_limit, final.daily_limit) == (3, 5)
    for phase in (feedback, final):
        # legacy commands are kept verbatim, $substitutions and all
        assert phase.scoring_command == "python $program/score.py $input $output"
        assert phase.ingestion_command == (
            "python $ingestion_program/ingestion.py $input $output "
            "$ingestion_program $submission_program"
        )
        assert set(stored(result.challenge, phase, DataFile.REFERENCE)) == {
            "public/truth.csv",
            "private/truth.csv",
        }
        ingestion = stored(result.challenge, phase, DataFile.INGESTION_PROGRAM)
        assert zip_names(ingestion["ingestion_program.zip"]) == ["ingestion.py", "metadata.yaml"]
        scoring = stored(result.challenge, phase, DataFile.SCORING_PROGRAM)
        assert zip_names(scoring["scoring_program.zip"]) == ["metadata", "score.py"]
    assert set(stored(result.challenge, feedback, DataFile.INPUT)) == {"test/x.csv", "test/y.csv"}
    assert set(stored(result.challenge, final, DataFile.INPUT)) == {"z.csv"}
    notes = "\n".join(result.notes)
    assert "phases[1].end: none given" in notes
    assert "phases[1].max_submissions_per_day: not given; 5 a day" in notes


@pytest.mark.parametrize("as_zip", [False, True], ids=["directory", "zip"])
def test_a_legacy_scores_txt_challenge(db, isolated_storage, tmp_path, as_zip):
    root = write_legacy_bundle(tmp_path / "legacy")
    challenge = loaded(root, as_zip, tmp_path).challenge
    phase = challenge.phases.get()
    assert phase.scoring_command == "python $program/score.py $input $output"
    assert phase.columns == [
        {"key": "correct", "title": "Correct", "sorting": "desc", "precision": 2, "rank": 1}
    ]
    assert challenge.pages == {"rules": "<p>Terms</p>"}
    program = stored(challenge, phase, DataFile.SCORING_PROGRAM)["scoring_program.zip"]
    assert zip_names(program) == ["metadata", "score.py"]


def test_reloading_an_unchanged_codabench_bundle_copies_nothing_again(
    db, isolated_storage, tmp_path
):
    root = write_code_bundle(tmp_path / "code")
    bundles.load(root, environments=tmp_path / "envs")
    first = {(f.phase_id, f.role, f.name): (f.file.name, f.sha256) for f in DataFile.objects.all()}
    bundles.load(root, environments=tmp_path / "envs")
    again = {(f.phase_id, f.role, f.name): (f.file.name, f.sha256) for f in DataFile.objects.all()}
    assert first == again  # the program zips are written byte for byte the same


def test_a_program_requirements_txt_gets_its_environment(db, isolated_storage, tmp_path):
    """numpy is the worker's already: pip finds it installed and needs no network."""
    from fivesigma.runner import environments

    root = write_code_bundle(tmp_path / "code", requirements="numpy  # arrays\n")
    result = bundles.load_bundle(root, environments=tmp_path / "envs")
    phase = result.challenge.phases.order_by("order").first()
    assert phase.program_environment == environments.environment_id("numpy")
    assert (tmp_path / "envs" / phase.program_environment / environments.READY).is_file()
    assert f"environment {phase.program_environment[:12]}" in "\n".join(result.notes)


def test_a_requirement_that_cannot_be_installed_refuses_the_bundle(db, isolated_storage, tmp_path):
    root = write_code_bundle(tmp_path / "code", requirements="--no-index\nno-such-package-fs\n")
    problems = refused(root, tmp_path)
    assert "requirements.txt" in problems and "'no-such-package-fs'" in problems


REFUSED = [
    (
        "two tasks in a phase",
        lambda d: d["phases"][0].update(tasks=[0, 1]),
        ["phases[0].tasks", "one task"],
    ),
    ("task index missing", lambda d: d["phases"][0].update(tasks=[7]), ["phases[0].tasks", "7"]),
    (
        "task on a server",
        lambda d: d["tasks"][0].update(key="6a1e4f52-0000-4000-8000-000000000000"),
        ["tasks[0].key", "cannot be fetched"],
    ),
    (
        "no scoring program",
        lambda d: d["tasks"][0].pop("scoring_program"),
        ["tasks[0].scoring_program", "is required"],
    ),
    (
        "ingestion beside scoring",
        lambda d: d["tasks"][0].update(ingestion_only_during_scoring=True),
        ["tasks[0].ingestion_only_during_scoring", "not supported"],
    ),
    (
        "missing program",
        lambda d: d["tasks"][0].update(scoring_program="nowhere.zip"),
        ["tasks[0].scoring_program", "'nowhere.zip' does not exist"],
    ),
    (
        "program outside the bundle",
        lambda d: d["tasks"][0].update(scoring_program="../../etc"),
        ["tasks[0].scoring_program", "outside the bundle"],
    ),
    (
        "computed column ranks",
        lambda d: d["leaderboard"][0]["columns"][0].update(computation="avg"),
        ["leaderboard", "ranks", "computed"],
    ),
    (
        "hidden leaderboard",
        lambda d: d["leaderboard"][0].update(hidden=True),
        ["leaderboards[0].hidden", "not supported"],
    ),
    ("CodaLab 1.5", lambda d: d.update(version=1.5), ["version", "1.5", "not supported"]),
    ("no version", lambda d: d.pop("version"), ["version", "is required"]),
    (
        "not a date",
        lambda d: d["phases"][0].update(start="soon"),
        ["phases[0].start", "not a date"],
    ),
    (
        "end before start",
        lambda d: d["phases"][0].update(end="2020-01-01"),
        ["phases[0].end", "before it starts"],
    ),
    (
        "endless phase followed by another",
        lambda d: d["phases"][0].pop("end"),
        ["phases[0].end", "a phase follows"],
    ),
    (
        "title too long",
        lambda d: d.update(title="T" * 300),
        ["competition.yaml, title", "300 characters", "at most 200"],
    ),
    (
        "limit as text",
        lambda d: d["phases"][0].update(max_submissions="ten"),
        ["max_submissions", "whole number"],
    ),
    ("no phases", lambda d: d.update(phases=[]), ["phases", "at least one"]),
]


@pytest.mark.parametrize(("what", "change", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_codabench_bundle_that_cannot_work_is_refused_whole(
    db, isolated_storage, tmp_path, what, change, words
):
    root = write_code_bundle(tmp_path / "code")
    edit(root, change)
    problems = refused(root, tmp_path)
    for word in words:
        assert word in problems, f"{what}: {word!r} not in {problems!r}"
    assert DataFile.objects.count() == 0


def test_a_program_without_a_command_is_refused(db, isolated_storage, tmp_path):
    root = write_result_bundle(tmp_path / "pi")
    (root / "scoring_program" / "metadata.yaml").write_text("description: no command here\n")
    problems = refused(root, tmp_path)
    assert "tasks[0].scoring_program" in problems and "has no 'command'" in problems


def test_a_zip_bomb_inside_a_bundle_is_stopped_at_the_cap(db, isolated_storage, tmp_path):
    """The cap counts the bundle's own zips too: a program zip of 64 MiB of zeros is refused
    by its declared size, and nothing of it is written."""
    root = write_result_bundle(tmp_path / "pi")
    with zipfile.ZipFile(root / "big.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.yaml", "command: python score.py\n")
        zf.writestr("zeros.bin", bytes(64 << 20))
    edit(root, lambda d: d["tasks"][0].update(scoring_program="big.zip"))
    with pytest.raises(bundles.BundleError) as caught:
        bundles.load_bundle(root, max_bytes=16 << 20, environments=tmp_path / "envs")
    assert "big.zip: unpacks to 64 MiB, over the 16 MiB limit" in "\n".join(caught.value.problems)


def test_the_upload_page_loads_a_codabench_zip_and_shows_its_notes(db, isolated_storage, tmp_path):
    from django.test import Client
    from django.urls import reverse

    from tests.builders.users import make_user

    archive = zip_bundle(write_legacy_bundle(tmp_path / "legacy"), tmp_path / "legacy.zip")
    client = Client()
    client.force_login(make_user("olga", is_staff=True))
    with open(archive, "rb") as upload:
        response = client.post(reverse("upload-bundle"), {"bundle": upload}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Loaded &#x27;Legacy scores&#x27;." in page
    assert "competition.yaml, phases[0].max_submissions_per_day: not given" in page
    assert Challenge.objects.get().organisers.filter(username="olga").exists()


def test_load_challenge_prints_the_notes(db, isolated_storage, tmp_path):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_challenge", str(write_legacy_bundle(tmp_path / "legacy")), stdout=out)
    text = out.getvalue()
    assert "note: competition.yaml, phases[0].end: none given" in text
    assert "Loaded 'Legacy scores' [legacy-scores]: phases only-phase (scoring program)." in text
