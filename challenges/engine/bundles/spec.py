"""A checked bundle, whatever its format: what install.py writes.

``BundleSpec`` holds the challenge's fields, its pages and downloads, and one ``PhaseSpec``
per phase with the ``Phase`` fields and the files to store under each role; ``notes`` lists
what the load reports besides (fields not supported, defaults applied, the environment each
program gets). ``from_manifest`` builds it from a validated ``challenge.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fivesigma.challenges.engine.bundles import checks, schema
from fivesigma.challenges.engine.bundles.program_folders import Program, read_program


@dataclass
class Download:
    """A public download: a file, or a folder stored as a zip of it."""

    source: Path
    name: str
    description: str = ""
    starter_kit: bool = False


@dataclass
class PhaseSpec:
    key: str
    fields: dict
    solution: Path | None = None
    inputs: list[tuple[Path, str]] = field(default_factory=list)  # (file, stored name)
    reference: list[tuple[Path, str]] = field(default_factory=list)
    scoring: Program | None = None
    ingestion: Program | None = None

    def requirements(self) -> str:
        """The packages its programs ask for, both programs' requirements.txt together."""
        return "\n".join(p.requirements for p in (self.scoring, self.ingestion) if p)


@dataclass
class BundleSpec:
    root: Path
    slug: str
    title: str
    summary: str
    max_team_size: int
    pages: dict[str, str]
    downloads: list[Download]
    phases: list[PhaseSpec]
    notes: list[str] = field(default_factory=list)
    manifest: str = "challenge.yaml"
    scratch: object = None  # keeps the folder of the bundle's unpacked zips while it is used


def from_manifest(manifest: schema.Manifest, context: checks.Context) -> BundleSpec:
    root = context.root
    pages = {
        key: checks.page(path, path.relative_to(root).as_posix())
        for key, path in manifest.pages
        if path is not None
    }
    downloads = [
        Download(f.path, f.path.relative_to(root).as_posix().removeprefix("data/"), f.description)
        for f in manifest.files
    ]
    if manifest.starter_kit:
        downloads.append(
            Download(
                manifest.starter_kit,
                manifest.starter_kit.name,
                "baseline code, local scorer and instructions",
                starter_kit=True,
            )
        )
    notes: list[str] = []
    phases = [_phase(i, p, notes, context) for i, p in enumerate(manifest.phases)]
    return BundleSpec(
        root,
        manifest.slug,
        manifest.title,
        manifest.summary,
        manifest.max_team_size,
        pages,
        downloads,
        phases,
        notes,
    )


def _phase(i: int, phase: schema.Phase, notes: list[str], context: checks.Context) -> PhaseSpec:
    where = f"challenge.yaml, phases[{i}]"
    scoring = _program(phase.scoring, context)
    ingestion = _program(phase.ingestion, context)
    columns: list[dict] = []
    if phase.leaderboard is not None:
        columns, left_out = schema.ranked_columns(phase.leaderboard.columns)
        notes += [f"{where}.leaderboard.{note}" for note in left_out]
    spec = PhaseSpec(
        key=phase.key,
        fields={
            "title": phase.title or phase.key,
            "description": phase.description,
            "order": i,
            "start": phase.start,
            "end": phase.end,
            "kind": phase.kind,
            "metric": phase.metric,
            "metric_options": phase.metric_options,
            "split": phase.split if phase.metric else {},
            "daily_limit": phase.daily_limit,
            "total_limit": phase.total_limit,
            "final_selections": phase.final_selections,
            "score_late": phase.score_late,
            "harness": phase.code.harness,
            "time_limit_s": phase.code.time_limit_s,
            "memory_limit_mb": phase.code.memory_limit_mb,
            "scoring_command": scoring.command if scoring else "",
            "ingestion_command": ingestion.command if ingestion else "",
            "columns": columns,
            "program_environment": "",
        },
        solution=phase.solution,
        scoring=scoring,
        ingestion=ingestion,
    )
    if phase.reference is not None:
        spec.reference = checks.files_under(phase.reference, context.name(phase.reference))
    if phase.kind == "code" and phase.code.input is not None:
        if ingestion is not None:
            spec.inputs = checks.files_under(phase.code.input, context.name(phase.code.input))
        else:  # a built-in harness reads the folder's own files
            spec.inputs = [(p, p.name) for p in sorted(phase.code.input.iterdir()) if p.is_file()]
    return spec


def _program(model: schema.Program | None, context: checks.Context) -> Program | None:
    if model is None:
        return None
    return read_program(model.program, context.name(model.program), model.command)
