"""Challenge bundles: a broken bundle is refused whole, naming the field and the file; a
reload updates the challenge in place and keeps its submissions."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
import yaml

from fivesigma.challenges.engine import bundles, intake, worker
from fivesigma.challenges.models import Challenge, DataFile, Phase, Score, Submission
from tests.builders.higgsml_files import noisy_submission, write_ams_bundle
from tests.builders.submissions import upload
from tests.builders.users import make_user


@pytest.fixture
def bundle(tmp_path) -> Path:
    root = tmp_path / "bundle"
    write_ams_bundle(root, n_events=200)
    return root


def edit(root: Path, change) -> None:
    manifest = root / "challenge.yaml"
    data = yaml.safe_load(manifest.read_text())
    change(data)
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))


def phase0(**fields):
    def change(data):
        data["phases"][0].update(fields)

    return change


def top(**fields):
    def change(data):
        data.update(fields)

    return change


def stored_files(media: Path) -> list[Path]:
    return [p for p in (media / "media").rglob("*") if p.is_file()] if media.exists() else []


def refused(path, **kwargs) -> list[str]:
    with pytest.raises(bundles.BundleError) as caught:
        bundles.load(path, **kwargs)
    return caught.value.problems


BROKEN = [
    # (what is wrong, change to challenge.yaml, words every problem list must hold)
    (
        "missing solution",
        phase0(solution="data/nope.csv"),
        ["phases[0].solution", "data/nope.csv", "does not exist"],
    ),
    (
        "missing page",
        top(pages={"overview": "pages/missing.md"}),
        ["pages.overview", "pages/missing.md"],
    ),
    (
        "missing public file",
        top(files=[{"path": "data/gone.csv"}]),
        ["files[0].path", "data/gone.csv"],
    ),
    (
        "file outside the bundle",
        top(files=[{"path": "../../etc/passwd"}]),
        ["files[0].path", "outside the bundle"],
    ),
    ("text for a number", phase0(daily_limit="five"), ["phases[0].daily_limit", "whole number"]),
    ("negative team size", top(max_team_size=-1), ["max_team_size", "at least 1"]),
    ("phases not a list", top(phases="main"), ["phases", "must be a list"]),
    ("phase not a mapping", top(phases=[5]), ["phases[0]", "mapping"]),
    ("title a list", top(title=["a", "b"]), ["title", "must be text"]),
    ("no title", top(title=None), ["title", "is required"]),
    ("slug with spaces", top(slug="tiny higgs"), ["slug", "letters, digits"]),
    ("unknown metric", phase0(metric="f1"), ["phases[0].metric", "unknown metric 'f1'"]),
    (
        "unknown metric option",
        phase0(metric_options={"colour": "red"}),
        ["phases[0].metric", "colour"],
    ),
    (
        "end before start",
        phase0(start="2026-05-02T00:00:00Z", end="2026-05-01T00:00:00Z"),
        ["phases[0].end", "before it starts"],
    ),
    ("not a date", phase0(start="next tuesday"), ["phases[0].start", "not a date"]),
    ("no end", phase0(end=None), ["phases[0].end", "is required"]),
    ("unknown kind", phase0(kind="notebook"), ["phases[0].kind", "notebook"]),
    ("unknown version", top(version=7), ["version", "not supported"]),
    (
        "split column missing",
        phase0(split={"by": "column", "column": "Nope", "public": "b"}),
        ["phases[0].solution", "solution.csv", "Nope"],
    ),
    (
        "unknown split",
        phase0(split={"by": "magic", "column": "KaggleSet"}),
        ["phases[0].solution", "magic"],
    ),
    ("split not a mapping", phase0(split="KaggleSet"), ["phases[0].split", "mapping"]),
    (
        "infinite split seed",
        phase0(split={"by": "event", "column": "EventId", "seed": float("inf")}),
        ["phases[0].solution", "seed must be a whole number", "inf"],
    ),
    (
        "split seed a list",
        phase0(split={"by": "event", "column": "EventId", "seed": [1]}),
        ["phases[0].solution", "seed must be a whole number", "[1]"],
    ),
    (
        "public fraction as text",
        phase0(split={"by": "event", "column": "EventId", "public_fraction": "half"}),
        ["phases[0].solution", "public_fraction must be a number", "half"],
    ),
    (
        "public fraction of one",
        phase0(split={"by": "event", "column": "EventId", "public_fraction": 1.0}),
        ["phases[0].solution", "between 0 and 1"],
    ),
    ("score_late as text", phase0(score_late="false"), ["phases[0].score_late", "true or false"]),
    (
        "time limit as text",
        phase0(code={"time_limit_s": "ten minutes"}),
        ["phases[0].code.time_limit_s", "number"],
    ),
    (
        "memory as text",
        phase0(code={"memory_limit_mb": "lots"}),
        ["phases[0].code.memory_limit_mb", "whole number"],
    ),
    ("code not a mapping", phase0(code="fast"), ["phases[0].code", "mapping"]),
    (
        "code phase without inputs",
        phase0(kind="code", code={"harness": "trackml"}),
        ["phases[0].code.input"],
    ),
    (
        "harness that is a file of the bundle",
        phase0(kind="code", code={"harness": "pages/overview.md", "input": "data"}),
        ["phases[0].code.harness", "not a built-in harness"],
    ),
    (
        "duplicate phase keys",
        lambda d: d["phases"].append(dict(d["phases"][0])),
        ["phases", "phase key 'main' is used twice"],
    ),
]


@pytest.mark.parametrize(("what", "change", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_bundle_is_refused_whole_naming_field_and_file(
    db, bundle, isolated_storage, what, change, words
):
    edit(bundle, change)
    problems = refused(bundle)
    text = "\n".join(problems)
    for word in words:
        assert word in text, f"{what}: {word!r} not in {text!r}"
    assert all(p.startswith("challenge.yaml") for p in problems), problems
    assert not Challenge.objects.exists()
    assert stored_files(isolated_storage) == []


def test_a_harness_file_in_the_bundle_is_refused_and_never_run(db, bundle, tmp_path):
    """Regression: a harness path naming the bundle's own .py file ran in the worker as root."""
    marker = tmp_path / "ran"
    (bundle / "data" / "harness.py").write_text(f"open({str(marker)!r}, 'w').write('owned')\n")
    edit(bundle, phase0(kind="code", code={"harness": "data/harness.py", "input": "data"}))
    problems = refused(bundle)
    assert any("phases[0].code.harness" in p and "not a built-in harness" in p for p in problems)
    assert not marker.exists() and not Challenge.objects.exists()


def test_broken_yaml_names_the_file_and_line(db, bundle):
    (bundle / "challenge.yaml").write_text("slug: x\nphases: [\n  - key: main\n")
    [problem] = refused(bundle)
    assert problem.startswith("challenge.yaml: not valid YAML") and "line" in problem


@pytest.mark.parametrize("text", ["just a sentence", "- a\n- list\n", ""])
def test_a_manifest_that_is_not_a_mapping_is_refused(db, bundle, text):
    (bundle / "challenge.yaml").write_text(text)
    assert "top level must be a mapping" in refused(bundle)[0]


def test_not_utf8_yaml_is_refused(db, bundle):
    (bundle / "challenge.yaml").write_bytes(b"title: caf\xe9\n")
    assert "not valid YAML" in refused(bundle)[0]


def test_every_problem_is_reported_at_once(db, bundle):
    edit(
        bundle, lambda d: (d.update(title=None), d["phases"][0].update(metric="f1", daily_limit=0))
    )
    text = "\n".join(refused(bundle))
    for label in ("title", "phases[0].metric", "phases[0].daily_limit"):
        assert f"challenge.yaml, {label}:" in text


def test_no_challenge_yaml(db, tmp_path):
    (tmp_path / "empty").mkdir()
    assert "no challenge.yaml" in refused(tmp_path / "empty")[0]


# -- zips ---------------------------------------------------------------------------------


def zip_of(bundle: Path, target: Path, extra=(), prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(bundle.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(bundle).as_posix())
        for entry in extra:
            if isinstance(entry, zipfile.ZipInfo):
                archive.writestr(entry, "/etc/passwd")
            else:
                archive.writestr(entry, "x")
    return target


def symlink_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("extra", "word"),
    [
        (["../evil.txt"], "evil.txt"),
        (["data/../../evil.txt"], "evil.txt"),
        (["/etc/cron.d/evil"], "evil"),
        ([symlink_entry("data/link")], "link"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink"],
)
def test_a_zip_with_escaping_entries_is_refused_before_unpacking(db, bundle, tmp_path, extra, word):
    archive = zip_of(bundle, tmp_path / "bundle.zip", extra)
    problems = refused(archive)
    assert any(p.startswith("bundle.zip") and word in p for p in problems), problems
    assert not Challenge.objects.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_a_zip_without_challenge_yaml(db, tmp_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/test.csv", "EventId\n1\n")
    assert "no challenge.yaml" in refused(archive)[0]


def test_not_a_zip(db, tmp_path):
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(b"this is not a zip")
    assert refused(archive) == ["bundle.zip: not a zip file"]


def test_a_zip_with_the_bundle_in_one_folder_loads(db, bundle, tmp_path):
    challenge = bundles.load(zip_of(bundle, tmp_path / "bundle.zip", prefix="tiny/"))
    assert challenge.phases.get().key == "main"


def test_a_zip_with_two_bundles_is_refused(db, bundle, tmp_path):
    archive = tmp_path / "bundle.zip"
    zip_of(bundle, archive, prefix="one/")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("two/challenge.yaml", (bundle / "challenge.yaml").read_text())
    assert "holds 2 bundles" in refused(archive)[0]


# -- reloading ----------------------------------------------------------------------------


def scored_submission(phase: Phase, solution) -> Submission:
    submission = intake.submit(
        phase, make_user("alice"), upload("a.csv", noisy_submission(solution))
    )
    worker.process(submission.pk)
    return Submission.objects.get(pk=submission.pk)


def test_reloading_updates_in_place_and_keeps_submissions(db, tmp_path):
    root = tmp_path / "bundle"
    solution = write_ams_bundle(root, n_events=200)
    challenge = bundles.load(root)
    phase = challenge.phases.get()
    submission = scored_submission(phase, solution)
    solution_file = DataFile.objects.get(role=DataFile.SOLUTION)

    edit(
        root,
        lambda d: (d.update(title="Tiny Higgs, revised"), d["phases"][0].update(daily_limit=9)),
    )
    (root / "pages" / "overview.md").write_text("Revised overview.\n")
    again = bundles.load(root)

    assert again.pk == challenge.pk and again.title == "Tiny Higgs, revised"
    assert again.pages["overview"] == "Revised overview.\n"
    reloaded_phase = again.phases.get()
    assert reloaded_phase.pk == phase.pk and reloaded_phase.daily_limit == 9
    kept = Submission.objects.get(pk=submission.pk)
    assert kept.status == Submission.FINISHED and kept.phase_id == phase.pk
    assert Score.objects.filter(submission=kept, current=True).count() == 2
    # an unchanged solution is neither copied again nor replaced
    assert DataFile.objects.get(role=DataFile.SOLUTION).file.name == solution_file.file.name


def test_a_broken_reload_changes_nothing(db, bundle):
    challenge = bundles.load(bundle)
    edit(bundle, lambda d: (d.update(title="Changed"), d["phases"][0].update(metric="f1")))
    refused(bundle)
    assert Challenge.objects.get(pk=challenge.pk).title == "Tiny Higgs"
    assert Phase.objects.get(challenge=challenge).metric == "ams"


SECOND_PHASE = {
    "key": "extra",
    "title": "Extra",
    "start": "2020-01-01T00:00:00Z",
    "end": "2099-01-01T00:00:00Z",
    "metric": "ams",
    "solution": "data/solution.csv",
    "split": {"by": "column", "column": "KaggleSet", "public": "b", "private": "v"},
}


def test_removing_a_phase_with_submissions_is_refused(db, tmp_path):
    root = tmp_path / "bundle"
    solution = write_ams_bundle(root, n_events=200)
    edit(root, lambda d: d["phases"].append(dict(SECOND_PHASE)))
    challenge = bundles.load(root)
    main = challenge.phases.get(key="main")
    scored_submission(main, solution)

    edit(root, lambda d: d.update(phases=[p for p in d["phases"] if p["key"] != "main"]))
    problems = refused(root)
    assert problems == [
        "challenge.yaml, phases: phase(s) main have submissions and cannot be removed"
    ]
    assert set(challenge.phases.values_list("key", flat=True)) == {"main", "extra"}
    assert Submission.objects.filter(phase=main).count() == 1


def test_removing_a_phase_without_submissions_works_and_drops_its_files(db, tmp_path):
    root = tmp_path / "bundle"
    write_ams_bundle(root, n_events=200)
    edit(root, lambda d: d["phases"].append(dict(SECOND_PHASE)))
    challenge = bundles.load(root)
    extra = challenge.phases.get(key="extra")
    stored = DataFile.objects.get(phase=extra, role=DataFile.SOLUTION).file.path
    edit(root, lambda d: d.update(phases=[p for p in d["phases"] if p["key"] != "extra"]))
    bundles.load(root)
    assert list(challenge.phases.values_list("key", flat=True)) == ["main"]
    assert not DataFile.objects.filter(phase_id=extra.pk).exists()
    assert not os.path.exists(stored)


def test_load_challenge_command_reports_problems_without_a_traceback(db, bundle):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    edit(bundle, phase0(metric="f1"))
    with pytest.raises(CommandError, match=r"phases\[0\]\.metric"):
        call_command("load_challenge", str(bundle), stdout=io.StringIO())
