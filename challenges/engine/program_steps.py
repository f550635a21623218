"""The worker's steps for phases whose organisers bring programs (docs/bundles.md).

``ingest``: a code phase with an ingestion program runs it on the participant's unpacked
code; its output folder, stored as ``output.zip``, is what the scoring step reads (and what
a re-scoring reads again). ``score``: a program-scored phase runs its scoring program on the
submission (or that output) and returns the (public, private) named numbers:

- reference data split into ``public/`` and ``private/``: one run per subset, each seeing
  only that subset's files at ``input/ref``; each run's (flat) scores are that subset's;
- otherwise one run; scores nested as ``{"public": {...}, "private": {...}}`` split the
  subsets, flat ones count for both.

What each program did (seconds, exit code, time-out, its log for organisers) is kept in
``submission.run_report["program"]``, with the detailed results stored (``detailed``). A
program that fails ends the submission failed with "scoring program failed: <why>" (or
"ingestion program failed: ..."), recorded like any scoring failure.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from django.conf import settings

from fivesigma.challenges.engine import detailed, stored_files
from fivesigma.challenges.engine.bundles.program_folders import REQUIREMENTS, zip_folder
from fivesigma.challenges.engine.intake import storage_name
from fivesigma.challenges.engine.reasons import ScoringFailure
from fivesigma.challenges.models import DataFile, Phase, Submission

if TYPE_CHECKING:
    from fivesigma.runner import Worker

log = logging.getLogger(__name__)

SUBSETS = ("public", "private")
KEEP_LOG_BYTES = 64 * 1024


def limits(phase: Phase):
    """The limits a phase's programs run under (the phase's time and memory limits)."""
    from fivesigma import runner

    return runner.Limits(time_limit_s=phase.time_limit_s, memory_limit_mb=phase.memory_limit_mb)


def ingest(submission: Submission, machine: Worker) -> None:
    """Run the phase's ingestion program on the participant's code (with the worker's
    ``machine`` settings, as every timed run); store its output."""
    from fivesigma.runner import programs

    phase = submission.phase
    with tempfile.TemporaryDirectory(prefix=f"fivesigma-ingest-{submission.pk}-") as tmp:
        work = Path(tmp)
        folders = programs.ProgramFolders(
            program=_unpack(phase, DataFile.INGESTION_PROGRAM, work / "program"),
            output=work / "output",
            shared=work / "shared",
            input_data=place_files(phase, DataFile.INPUT, work / "input_data"),
            ingested_program=_unpack_upload(submission.file, submission.sha256, work / "code"),
        )
        run = _run(submission, machine, programs.INGESTION, folders)
        archive = zip_folder(folders.output, work / "output.zip")
        with open(archive, "rb") as stream:
            stored, _, _ = stored_files.store(
                stream, f"submissions/{phase.pk}/{submission.uid}/output.zip"
            )
    submission.output.name = stored
    _record(submission, programs.INGESTION, run.to_dict())
    submission.save(update_fields=["output", "run_report"])


def score(submission: Submission, machine: Worker) -> tuple[dict, dict]:
    """Run the phase's scoring program (with the worker's ``machine`` settings: each run
    takes a CPU slot of the timed runs' own); the (public, private) named numbers it wrote."""
    from fivesigma.runner import programs

    phase = submission.phase
    with tempfile.TemporaryDirectory(prefix=f"fivesigma-score-{submission.pk}-") as tmp:
        work = Path(tmp)
        program = _unpack(phase, DataFile.SCORING_PROGRAM, work / "program")
        predictions = _predictions(submission, work / "res")
        reference = place_files(phase, DataFile.REFERENCE, work / "ref")
        split = sorted(p.name for p in reference.iterdir()) == sorted(SUBSETS)
        runs: dict = {}
        scores: dict[str, tuple[dict, dict]] = {}
        kept: list[str] = []
        for subset in SUBSETS if split else ("all",):
            folders = programs.ProgramFolders(
                program=program,
                output=work / f"output-{subset}",
                shared=work / f"shared-{subset}",
                reference=reference / subset if split else reference,
                predictions=predictions,
            )
            run, public, private = _run(
                submission, machine, programs.SCORING, folders, subset, runs
            )
            runs[subset] = run
            scores[subset] = (public, private)
            if subset != "private":  # the private run's files would show private figures
                notes: list[str] = []
                kept = detailed.store(submission, folders.output, notes)
                run.log += "".join(f"\n[platform] {note}" for note in notes)
    _record(submission, programs.SCORING, _combined(runs), detailed=kept)
    submission.save(update_fields=["run_report"])
    if split:
        return scores["public"][0], scores["private"][1]
    return scores["all"]


def _run(
    submission: Submission, machine: Worker, role: str, folders, label: str = "", earlier=None
):
    """Run one program (what ``runner.programs.run_scoring`` or ``run_ingestion`` returns).
    On failure, keep its log in the run report (after the ``earlier`` runs of the same
    scoring, by label) and fail the submission with the program's one-line reason."""
    from fivesigma import runner
    from fivesigma.runner import programs

    phase = submission.phase
    scoring = role == programs.SCORING
    try:
        return (programs.run_scoring if scoring else programs.run_ingestion)(
            phase.scoring_command if scoring else phase.ingestion_command,
            folders,
            limits=limits(phase),
            environment=environment(phase),
            worker=machine,
        )
    except programs.ProgramFailed as failure:
        report = _combined({**(earlier or {}), label: failure.run}) if scoring else None
        _record(submission, role, report or failure.run.to_dict(), detailed=[])
        submission.save(update_fields=["run_report"])
        raise ScoringFailure(str(failure)) from None
    except runner.SandboxUnavailable as error:
        log.error("sandbox unavailable for submission %s: %s", submission.pk, error)
        raise ScoringFailure(
            f"The platform could not run the organisers' {role} program on this worker: "
            f"{error} This is not a fault of your submission; the organisers have been told."
        ) from error


def _combined(runs: dict) -> dict:
    """One stored report for the scoring runs of a submission (one, or one per subset):
    seconds added up, the last exit code, the logs one after the other (the last 64 KiB)."""
    reports = {name: run.to_dict() for name, run in runs.items()}
    if len(reports) == 1:
        return next(iter(reports.values()))
    last = list(reports.values())[-1]
    text = "".join(f"--- {name} run ---\n{r['log'].rstrip()}\n" for name, r in reports.items())
    return {
        **last,
        "seconds": round(sum(r["seconds"] for r in reports.values()), 6),
        "timed_out": any(r["timed_out"] for r in reports.values()),
        "log": text[-KEEP_LOG_BYTES:],
        "runs": {name: {k: v for k, v in r.items() if k != "log"} for name, r in reports.items()},
    }


def _record(submission: Submission, role: str, report: dict, detailed: list | None = None):
    """Put a program's report into ``submission.run_report["program"]`` (not saved)."""
    run_report = dict(submission.run_report or {})
    program = dict(run_report.get("program", {}))
    program[role] = report
    if detailed is not None:
        program["detailed"] = detailed
    program.setdefault("detailed", [])
    run_report["program"] = program
    submission.run_report = run_report


def environment(phase: Phase) -> Path | None:
    """The phase's program environment on this worker (built here from the programs'
    requirements.txt when this worker has not got it yet); None for the worker's own."""
    if not phase.program_environment:
        return None
    from fivesigma.runner import environments

    root = Path(settings.DATA_DIR) / "envs"
    folder = root / phase.program_environment
    if (folder / environments.READY).is_file():
        return folder
    requirements = "\n".join(
        _requirements(data_file)
        for data_file in phase.files.filter(
            role__in=[DataFile.SCORING_PROGRAM, DataFile.INGESTION_PROGRAM]
        )
    )
    try:
        return environments.ensure(requirements, root)
    except environments.EnvironmentBuildError as error:
        raise ScoringFailure(
            f"The platform could not build the organisers' program environment on this "
            f"worker ({error}); the organisers have been told."
        ) from error


def _requirements(data_file: DataFile) -> str:
    with zipfile.ZipFile(stored_files.local_path(data_file.file, data_file.sha256)) as archive:
        if REQUIREMENTS in archive.namelist():
            return archive.read(REQUIREMENTS).decode("utf-8")
    return ""


def place_files(phase: Phase, role: str, target: Path) -> Path:
    """A folder holding the phase's files of ``role`` under their relative names
    (``public/truth.csv``); hard links to the stored files where possible."""
    target.mkdir(parents=True, exist_ok=True)
    for data_file in phase.files.filter(role=role):
        name = PurePosixPath(data_file.name)
        if name.is_absolute() or ".." in name.parts:
            raise ValueError(f"{data_file}: the stored name is not a relative path")
        path = target.joinpath(*name.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        stored_files.place(stored_files.local_path(data_file.file, data_file.sha256), path)
    return target


def _unpack(phase: Phase, role: str, target: Path) -> Path:
    """The phase's program (a stored zip) unpacked into ``target``."""
    program = phase.hidden_file(role)
    if program is None:
        raise ScoringFailure(
            f"This phase has no {role.replace('_', ' ')} yet; the organisers have been told."
        )
    return _unpack_zip(stored_files.local_path(program.file, program.sha256), target)


def _unpack_zip(archive: Path, target: Path) -> Path:
    from fivesigma.runner import Limits
    from fivesigma.runner.unpack import SubmissionRejected, unpack_zip

    caps = Limits()
    try:
        return unpack_zip(
            archive,
            target,
            max_files=caps.max_submission_files,
            max_bytes=caps.max_submission_mb * 1024 * 1024,
        )
    except SubmissionRejected as rejected:
        raise ScoringFailure(f"The submission cannot be unpacked: {rejected}.") from rejected


def _unpack_upload(field_file, sha256: str, target: Path) -> Path:
    return _unpack_zip(stored_files.local_path(field_file, sha256), target)


def _predictions(submission: Submission, target: Path) -> Path:
    """What the scoring program reads at ``input/res``: the ingestion's output, the code
    run's result file, or the uploaded result (a zip unpacked, as Codabench does, else the
    file under its own name)."""
    phase = submission.phase
    if phase.kind == Phase.CODE:
        stored, name = submission.output, Path(str(submission.output.name)).name
        sha256 = ""
    else:
        stored, name, sha256 = submission.file, submission.original_name, submission.sha256
    path = stored_files.local_path(stored, sha256)
    if zipfile.is_zipfile(path):
        return _unpack_zip(path, target)
    target.mkdir(parents=True)
    target.chmod(0o755)
    shutil.copyfile(path, target / storage_name(name))
    (target / storage_name(name)).chmod(0o644)
    return target
