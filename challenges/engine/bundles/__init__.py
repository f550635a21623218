"""Challenge bundles: how organisers define a challenge.

A bundle is a directory (or a zip of one) holding ``challenge.yaml`` (fivesigma's format,
declared in schema.py) or a Codabench ``competition.yaml`` (codabench.py), and the files it
names. The whole bundle is checked before anything is written; every problem is reported
with the field and file it concerns, and a bundle with any problem changes nothing. Loading
the same bundle again updates the challenge in place and keeps its teams and submissions.
The format is documented in docs/bundles.md, whose field reference reference.py writes.

- reading.py: safe YAML and zip unpacking (bounded sizes, no alias bombs);
- fields.py, schema.py, codabench.py: the formats, declared as pydantic models;
- checks.py: checks needing the bundle's files; programs.py: organisers' programs;
- spec.py: a checked bundle; install.py: database and storage writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fivesigma.challenges.engine.bundles import codabench, schema
from fivesigma.challenges.engine.bundles.checks import Context
from fivesigma.challenges.engine.bundles.problems import BundleError, from_validation
from fivesigma.challenges.engine.bundles.reading import (
    MAX_BUNDLE_BYTES,
    MAX_UPLOADED_BUNDLE_BYTES,
    read_yaml,
    unpack_zip,
)
from fivesigma.challenges.engine.bundles.spec import BundleSpec, PhaseSpec, from_manifest

__all__ = [
    "MAX_BUNDLE_BYTES",
    "MAX_UPLOADED_BUNDLE_BYTES",
    "BundleError",
    "BundleSpec",
    "Loaded",
    "PhaseSpec",
    "load",
    "load_bundle",
    "parse",
    "unpack_zip",
]

# The manifest's file name, its model, and what builds the checked bundle from the validated
# model (a Manifest for from_manifest, a Competition for from_competition).
FORMATS: tuple[tuple[str, type[BaseModel], Callable[[Any, Context], BundleSpec]], ...] = (
    ("challenge.yaml", schema.Manifest, from_manifest),
    (codabench.MANIFEST, codabench.Competition, codabench.from_competition),
)


@dataclass
class Loaded:
    """A loaded bundle: the challenge, and the notes to show the organiser (fields not
    supported, defaults applied, the environment each phase's programs run in)."""

    challenge: object
    notes: list[str]


def load(path: str | Path, organiser=None, require_organiser: bool = False, **options):
    """Check and load the bundle at ``path`` (directory or .zip); return the challenge."""
    return load_bundle(path, organiser, require_organiser, **options).challenge


def load_bundle(
    path: str | Path,
    organiser=None,
    require_organiser: bool = False,
    max_bytes: int = MAX_BUNDLE_BYTES,
    environments: Path | None = None,
) -> Loaded:
    """Check and load the bundle at ``path`` (directory or .zip).

    ``organiser`` is added to the challenge's organisers. With ``require_organiser`` (uploads
    through the site), a bundle whose slug names an existing challenge that ``organiser``
    does not organise is refused. ``max_bytes`` caps what the bundle's zips unpack to, all
    together. Programs with a requirements.txt get an environment under ``environments``
    (default: DATA_DIR/envs), built once per set of requirements.
    """
    from django.conf import settings

    from fivesigma.challenges.engine import upload_spool
    from fivesigma.challenges.engine.bundles.install import install

    path = Path(path)
    with upload_spool.scratch_folder() as tmp:
        scratch = Path(tmp)
        root, budget = path, max_bytes
        if path.is_file():
            root = unpack_zip(path, scratch / "bundle", max_bytes)
            budget -= sum(f.stat().st_size for f in (scratch / "bundle").rglob("*") if f.is_file())
        spec = parse(root, scratch, budget)
        prepare_environments(spec, environments or Path(settings.DATA_DIR) / "envs")
        challenge = install(spec, organiser, require_organiser)
    return Loaded(challenge, spec.notes)


def parse(root: Path, scratch: Path | None = None, max_bytes: int = MAX_BUNDLE_BYTES) -> BundleSpec:
    """Read and check the manifest in ``root`` and the files it names; raise BundleError.

    Zips the bundle holds (Codabench programs and data) are unpacked into ``scratch`` (a
    temporary folder kept with the result when none is given), at most ``max_bytes`` in all.
    """
    found = [entry for entry in FORMATS if (root / entry[0]).is_file()]
    if not found:
        raise BundleError([f"{root.name}: no challenge.yaml (or Codabench competition.yaml)"])
    manifest, model, build = found[0]
    data = read_yaml(root / manifest, manifest)
    if not isinstance(data, dict):
        raise BundleError([f"{manifest}: the top level must be a mapping of fields"])
    keep = None
    if scratch is None:
        from fivesigma.challenges.engine import upload_spool

        keep = upload_spool.scratch_folder()
        scratch = Path(keep.name)
    context = Context(root, scratch, max_bytes)
    try:
        validated = model.model_validate(data, context=context)
    except ValidationError as error:
        raise BundleError(from_validation(error, manifest, model)) from None
    spec = build(validated, context)
    spec.scratch = keep
    return spec


def prepare_environments(spec: BundleSpec, root: Path) -> None:
    """Give each phase whose programs have a requirements.txt its environment (built once
    per set of requirements, outside the sandbox, from the package index) and note it."""
    from fivesigma.runner import environments

    problems = []
    for i, phase in enumerate(spec.phases):
        if phase.scoring is None and phase.ingestion is None:
            continue
        where = f"{spec.manifest}, phases[{i}] ({phase.key})"
        requirements = phase.requirements()
        packages = [
            p for program in (phase.scoring, phase.ingestion) if program for p in program.packages()
        ]
        if not packages:
            spec.notes.append(f"{where}: its programs run in the worker's own environment")
            continue
        try:
            folder = environments.ensure(requirements, root)
        except environments.EnvironmentBuildError as error:
            problems.append(f"{where}, requirements.txt: {error}")
            continue
        phase.fields["program_environment"] = folder.name
        spec.notes.append(
            f"{where}: its programs run in environment {folder.name[:12]} "
            f"(the worker's packages and {', '.join(packages)})"
        )
    if problems:
        raise BundleError(problems)
