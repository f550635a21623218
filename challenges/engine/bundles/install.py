"""Writing a checked bundle into the database and storage, in place when it exists.

What a phase gets (the worker and the pages read exactly this):
- ``Phase`` fields: ``metric`` (a built-in metric, or "" for a program-scored phase),
  ``scoring_command`` and ``ingestion_command`` (as written, ``$input`` etc. included; ""
  without a program), ``columns`` (a list of ``{key, title, sorting, precision, rank}``;
  [] for a built-in metric), ``program_environment`` (the environment's id, "" for the
  worker's own).
- ``DataFile`` roles: ``solution`` (a metric's, with its Usage column), ``input`` (a code
  phase's input files), ``reference`` (a scoring program's hidden files, one each, named
  relative to the reference folder: ``public/truth.csv``), ``scoring_program`` and
  ``ingestion_program`` (the program folder as one zip, metadata included); ``public`` and
  ``starter_kit`` for the challenge's downloads.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction

from fivesigma.challenges.engine import standings, stored_files
from fivesigma.challenges.engine.bundles.problems import BundleError
from fivesigma.challenges.engine.bundles.program_folders import zip_folder
from fivesigma.challenges.engine.bundles.spec import BundleSpec, PhaseSpec
from fivesigma.challenges.engine.solutions import with_usage
from fivesigma.challenges.models import Challenge, DataFile, Phase


def install(spec: BundleSpec, organiser=None, require_organiser: bool = False) -> Challenge:
    """Write a checked bundle (update in place when its slug exists); raise BundleError when
    the slug is another organiser's or a phase with submissions would be removed."""
    existing = Challenge.objects.filter(slug=spec.slug).first()
    if existing and require_organiser and not existing.is_organiser(organiser):
        raise BundleError(
            [f"{spec.manifest}, slug: '{spec.slug}' belongs to another organiser's challenge"]
        )
    if existing:
        kept = {p.key for p in spec.phases}
        orphans = [
            p.key for p in existing.phases.all() if p.key not in kept and p.submissions.exists()
        ]
        if orphans:
            raise BundleError(
                [
                    f"{spec.manifest}, phases: phase(s) {', '.join(orphans)} have submissions and cannot be removed"
                ]
            )
    with tempfile.TemporaryDirectory(prefix="fivesigma-install-") as tmp, transaction.atomic():
        scratch = Path(tmp)
        challenge, _ = Challenge.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "title": spec.title,
                "summary": spec.summary,
                "pages": spec.pages,
                "max_team_size": spec.max_team_size,
            },
        )
        if organiser is not None:
            challenge.organisers.add(organiser)
        keep: set[tuple[int | None, str, str]] = set()
        for download in spec.downloads:
            role = DataFile.STARTER_KIT if download.starter_kit else DataFile.PUBLIC
            source = download.source
            if source.is_dir():
                source = zip_folder(source, scratch / f"download-{len(keep)}.zip")
            _store_file(challenge, None, role, download.name, source, download.description)
            keep.add((None, role, download.name))
        for phase_spec in spec.phases:
            phase, _ = Phase.objects.update_or_create(
                challenge=challenge, key=phase_spec.key, defaults=phase_spec.fields
            )
            keep |= _store_phase_files(challenge, phase, phase_spec, scratch)
            if phase.metric:  # a program-scored phase ranks by its columns, not by a metric
                standings.rebuild(phase)  # the metric or the number of finals may have changed
        for data_file in DataFile.objects.filter(challenge=challenge):
            if (data_file.phase_id, data_file.role, data_file.name) not in keep:
                data_file.file.delete(save=False)
                data_file.delete()
        Phase.objects.filter(challenge=challenge).exclude(
            key__in=[p.key for p in spec.phases]
        ).delete()
    return challenge


def _store_phase_files(
    challenge, phase: Phase, spec: PhaseSpec, scratch: Path
) -> set[tuple[int | None, str, str]]:
    kept: set[tuple[int | None, str, str]] = set()
    if spec.solution:
        _store_solution(challenge, phase, spec.solution, scratch)
        kept.add((phase.pk, DataFile.SOLUTION, "solution.csv"))
    for role, pairs in ((DataFile.INPUT, spec.inputs), (DataFile.REFERENCE, spec.reference)):
        for source, name in pairs:
            _store_file(challenge, phase, role, name, source)
            kept.add((phase.pk, role, name))
    for role, program in (
        (DataFile.SCORING_PROGRAM, spec.scoring),
        (DataFile.INGESTION_PROGRAM, spec.ingestion),
    ):
        if program is not None:
            name = f"{role}.zip"
            archive = zip_folder(program.folder, scratch / f"{phase.pk}-{name}")
            _store_file(challenge, phase, role, name, archive, f"the {role.replace('_', ' ')}")
            kept.add((phase.pk, role, name))
    return kept


def _store_file(
    challenge: Challenge,
    phase: Phase | None,
    role: str,
    name: str,
    source: Path,
    description: str = "",
) -> None:
    """Create or update one DataFile, copying the bytes only when they changed."""
    description = description[:500]
    sha = _sha256(source)
    existing = DataFile.objects.filter(
        challenge=challenge, phase=phase, role=role, name=name
    ).first()
    if (
        existing
        and existing.sha256 == sha
        and existing.file.name
        and default_storage.exists(existing.file.name)
    ):
        if existing.description != description:
            existing.description = description
            existing.save(update_fields=["description"])
        return
    folder = f"challenges/{challenge.slug}/" + (f"{phase.key}/" if phase else "") + role
    target = f"{folder}/{name}"
    if default_storage.exists(target):
        default_storage.delete(target)
    with open(source, "rb") as stream:
        stored, sha, size = stored_files.store(stream, target)
    DataFile.objects.update_or_create(
        challenge=challenge,
        phase=phase,
        role=role,
        name=name,
        defaults={"file": stored, "sha256": sha, "size": size, "description": description},
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(stored_files.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _store_solution(challenge: Challenge, phase: Phase, source: Path, scratch: Path) -> None:
    """Store the solution with its Usage column, as the scorers read it."""
    table = with_usage(phase.get_metric().read_solution(source), phase.split)
    normalised = scratch / f"{phase.pk}-solution.csv"
    table.to_csv(normalised, index=False)
    _store_file(challenge, phase, DataFile.SOLUTION, "solution.csv", normalised, "hidden solution")
