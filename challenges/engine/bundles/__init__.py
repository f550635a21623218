"""Challenge bundles: how organisers define a challenge.

A bundle is a directory (or a zip of one) holding ``challenge.yaml`` and the files it names.
The whole bundle is checked before anything is written; every problem is reported with the
field and file it concerns, and a bundle with any problem changes nothing. Loading the same
bundle again updates the challenge in place and keeps its teams and submissions. The format
is documented in docs/bundles.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.files.storage import default_storage
from django.db import transaction

from fivesigma.challenges.engine import files, standings
from fivesigma.challenges.engine.solutions import with_usage
from fivesigma.challenges.kinds import harnesses
from fivesigma.challenges.models import Challenge, DataFile, Phase

SUPPORTED_VERSIONS = {1}
PAGE_KEYS = tuple(key for key, _ in Challenge.PAGES)
MAX_BUNDLE_BYTES = 20 * 1024**3  # decompressed


class BundleError(Exception):
    """A bundle that cannot be loaded; ``problems`` lists each one with its field and file."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The bundle was not loaded:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass
class PhaseSpec:
    key: str
    fields: dict
    solution: Path | None
    inputs: list[Path] = field(default_factory=list)


@dataclass
class BundleSpec:
    root: Path
    slug: str
    title: str
    summary: str
    max_team_size: int
    pages: dict[str, str]
    public_files: list[tuple[Path, str]]
    starter_kit: Path | None
    phases: list[PhaseSpec]


def load(path: str | Path, organiser=None, require_organiser: bool = False) -> Challenge:
    """Check and load the bundle at ``path`` (directory or .zip); return the challenge.

    ``organiser`` is added to the challenge's organisers. With ``require_organiser`` (uploads
    through the site), a bundle whose slug names an existing challenge that ``organiser``
    does not organise is refused.
    """
    path = Path(path)
    if path.is_file():
        with tempfile.TemporaryDirectory(prefix="fivesigma-bundle-") as tmp:
            return load(unpack_zip(path, Path(tmp)), organiser, require_organiser)
    spec = parse(path)
    return install(spec, organiser, require_organiser)


def unpack_zip(archive: Path, target: Path) -> Path:
    """Unpack a bundle zip safely (no absolute or ``..`` paths, no links, bounded size; a
    damaged member, a name used twice or a file name too long is refused)."""
    from fivesigma.runner.unpack import (
        DAMAGED_ZIP,
        SubmissionRejected,
        extract_member,
        member_parts,
    )

    try:
        zf = zipfile.ZipFile(archive)
    except DAMAGED_ZIP as error:
        raise BundleError([f"{archive.name}: not a zip file"]) from error
    problems, total, members = [], 0, []
    with zf:
        for info in zf.infolist():
            try:
                # the sandbox's own checks: no absolute or .. paths, no links
                members.append((info, member_parts(info)))
            except SubmissionRejected as rejected:
                problems.append(f"{archive.name}: {rejected}")
            total += info.file_size
        if total > MAX_BUNDLE_BYTES:
            problems.append(
                f"{archive.name}: unpacks to {total / 1e9:.1f} GB, over the {MAX_BUNDLE_BYTES / 1e9:.0f} GB limit"
            )
        if problems:
            raise BundleError(problems)
        written = 0
        try:
            for info, parts in members:
                written = extract_member(
                    zf, info, target.joinpath(*parts), written, MAX_BUNDLE_BYTES
                )
        except SubmissionRejected as rejected:
            raise BundleError([f"{archive.name}: {rejected}"]) from None
    if (target / "challenge.yaml").is_file():
        return target
    folders = sorted(p for p in target.iterdir() if (p / "challenge.yaml").is_file())
    if len(folders) > 1:
        raise BundleError(
            [
                f"{archive.name}: holds {len(folders)} bundles ("
                + ", ".join(f"{p.name}/challenge.yaml" for p in folders)
                + "); a zip holds one"
            ]
        )
    if folders:
        return folders[0]
    raise BundleError([f"{archive.name}: no challenge.yaml at the top of the zip"])


def parse(root: Path) -> BundleSpec:
    """Read and check ``root/challenge.yaml`` and the files it names; raise BundleError."""
    manifest = root / "challenge.yaml"
    if not manifest.is_file():
        raise BundleError([f"{root}: no challenge.yaml"])
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise BundleError([f"challenge.yaml: not valid YAML ({error})"]) from error
    except ValueError as error:  # a date that does not exist, e.g. 2026-13-01
        raise BundleError([f"challenge.yaml: a value is not valid ({error})"]) from error
    except RecursionError:
        raise BundleError(["challenge.yaml: nested too deeply"]) from None
    if not isinstance(data, dict):
        raise BundleError(["challenge.yaml: the top level must be a mapping of fields"])
    check = _Checker(root)
    if data.get("version", 1) not in SUPPORTED_VERSIONS:
        check.problem("version", f"version {data.get('version')!r} is not supported (supported: 1)")
    slug = check.string(data, "slug", pattern_slug=True)
    title = check.string(data, "title")
    summary = check.string(data, "summary", required=False) or ""
    max_team_size = check.integer(data, "max_team_size", default=4, minimum=1)
    pages = {}
    for key, rel in (check.mapping(data, "pages") or {}).items():
        if key not in PAGE_KEYS:
            check.problem(f"pages.{key}", f"unknown page (known: {', '.join(PAGE_KEYS)})")
            continue
        page = check.file(f"pages.{key}", rel)
        try:
            if page:
                pages[key] = page.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            check.problem(
                f"pages.{key}", f"'{rel}' is not UTF-8 text ({error.reason} at byte {error.start})"
            )
    public_files = []
    for i, entry in enumerate(check.sequence(data, "files") or []):
        where = f"files[{i}]"
        if not isinstance(entry, dict):
            check.problem(
                where, "each file needs a mapping with 'path' (and optional 'description')"
            )
            continue
        found = check.file(f"{where}.path", entry.get("path"))
        if found:
            public_files.append((found, str(entry.get("description", ""))))
    starter_kit = (
        check.file("starter_kit", data["starter_kit"]) if data.get("starter_kit") else None
    )
    phases = [
        _parse_phase(check, i, p)
        for i, p in enumerate(check.sequence(data, "phases", required=True) or [])
    ]
    keys = [p.key for p in phases if p]
    for key in {k for k in keys if keys.count(k) > 1}:
        check.problem("phases", f"phase key '{key}' is used twice")
    check.raise_if_any()
    return BundleSpec(
        root, slug, title, summary, max_team_size, pages, public_files, starter_kit, phases
    )


def _parse_phase(check: _Checker, i: int, data) -> PhaseSpec | None:
    where = f"phases[{i}]"
    if not isinstance(data, dict):
        check.problem(where, "each phase must be a mapping of fields")
        return None
    key = check.string(data, "key", where=where, pattern_slug=True)
    start, end = check.date(data, "start", where), check.date(data, "end", where)
    if start and end and start >= end:
        check.problem(
            f"{where}.end", f"ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M})"
        )
    kind = data.get("kind", Phase.RESULT)
    if kind not in (Phase.RESULT, Phase.CODE):
        check.problem(f"{where}.kind", f"'{kind}' is not a submission kind (result or code)")
    metric_key = check.string(data, "metric", where=where)
    options = check.mapping(data, "metric_options", where) or {}
    metric = None
    if metric_key:
        from fivesigma.scoring import registry

        try:
            metric = registry.get(metric_key, **options)
        except (KeyError, ValueError, TypeError) as error:
            check.problem(f"{where}.metric", str(error).strip("'\""))
    solution = check.file(f"{where}.solution", data.get("solution"))
    split = check.mapping(data, "split", where) or {"by": "usage"}
    if solution and metric:
        check.solution(f"{where}.solution", metric, solution, split)
    code = check.mapping(data, "code", where) or {}
    inputs: list[Path] = []
    if kind == Phase.CODE:
        directory = check.file(f"{where}.code.input", code.get("input"), directory=True)
        if directory:
            inputs = sorted(p for p in directory.iterdir() if p.is_file())
            if not inputs:
                check.problem(f"{where}.code.input", f"directory '{code.get('input')}' is empty")
        harness = code.get("harness")
        if not harness:
            check.problem(
                f"{where}.code.harness", "a code phase names its runner harness (e.g. trackml)"
            )
        elif harness not in harnesses():
            check.problem(
                f"{where}.code.harness",
                f"'{str(harness)[:80]}' is not a built-in harness ({', '.join(harnesses())}); "
                "an organiser's own code runs only in the sandbox, as a program",
            )
    fields = {
        "title": check.string(data, "title", where=where) or key,
        "description": str(data.get("description", "")),
        "order": i,
        "start": start,
        "end": end,
        "kind": kind,
        "metric": metric_key,
        "metric_options": options,
        "split": split,
        "daily_limit": check.integer(data, "daily_limit", where=where, default=5, minimum=1),
        "total_limit": check.integer(data, "total_limit", where=where, default=None, minimum=1),
        "final_selections": check.integer(
            data, "final_selections", where=where, default=2, minimum=1
        ),
        "score_late": check.boolean(data, "score_late", where, default=False),
        "harness": str(code.get("harness", "")),
        "time_limit_s": check.number(code, "time_limit_s", f"{where}.code", default=600.0),
        "memory_limit_mb": check.integer(
            code, "memory_limit_mb", where=f"{where}.code", default=4096, minimum=1
        ),
    }
    return PhaseSpec(key=key, fields=fields, solution=solution, inputs=inputs)


class _Checker:
    """Collects every problem of a bundle, each naming its field and file."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"challenge.yaml, {where}: {message}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise BundleError(self.problems)

    def string(self, data, name, where="", required=True, pattern_slug=False):
        label = f"{where}.{name}" if where else name
        value = data.get(name)
        if value is None or value == "":
            if required:
                self.problem(label, "is required")
            return None
        if not isinstance(value, str | int | float):
            self.problem(label, f"must be text, not {type(value).__name__}")
            return None
        value = str(value)
        if pattern_slug and not all(c.isalnum() or c in "-_" for c in value):
            self.problem(label, f"'{value}' may hold only letters, digits, '-' and '_'")
        return value

    def integer(self, data, name, where="", default=None, minimum=None):
        label = f"{where}.{name}" if where else name
        value = data.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(label, f"must be a whole number, not {value!r}")
            return default
        if minimum is not None and value < minimum:
            self.problem(label, f"must be at least {minimum}, not {value}")
        return value

    def date(self, data, name, where):
        value = data.get(name)
        label = f"{where}.{name}"
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, dt.date):
            parsed = dt.datetime.combine(value, dt.time.min)
        elif isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                self.problem(label, f"'{value}' is not a date (use e.g. 2026-05-01T00:00:00Z)")
                return None
        else:
            self.problem(label, "is required (a date such as 2026-05-01T00:00:00Z)")
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    def mapping(self, data, name, where=""):
        value = data.get(name)
        if value is not None and not isinstance(value, dict):
            self.problem(f"{where}.{name}" if where else name, "must be a mapping")
            return None
        return value

    def boolean(self, data, name, where, default):
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.problem(f"{where}.{name}", f"must be true or false, not {value!r}")
            return default
        return value

    def number(self, data, name, where, default):
        """A positive number (seconds, megabytes), or the default when absent."""
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            self.problem(f"{where}.{name}", f"must be a positive number, not {value!r}")
            return default
        return float(value)

    def sequence(self, data, name, required=False):
        value = data.get(name)
        if value is None:
            if required:
                self.problem(name, "is required (a list)")
            return None
        if not isinstance(value, list):
            self.problem(name, "must be a list")
            return None
        if required and not value:
            self.problem(name, "needs at least one entry")
        return value

    def file(self, where, rel, directory=False):
        if not rel or not isinstance(rel, str):
            if rel is not None or directory:
                self.problem(where, "needs a path inside the bundle")
            return None
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root):
            self.problem(where, f"'{rel}' points outside the bundle")
            return None
        if directory and not path.is_dir():
            self.problem(where, f"directory '{rel}' does not exist in the bundle")
            return None
        if not directory and not path.is_file():
            self.problem(where, f"file '{rel}' does not exist in the bundle")
            return None
        return path

    def solution(self, where, metric, path: Path, split: dict):
        from fivesigma.scoring.validation import SubmissionError

        try:
            table = metric.read_solution(path)
            with_usage(table, split)
        except (SubmissionError, ValueError, KeyError) as error:
            self.problem(where, f"{path.name}: {error}")


def _store_file(
    challenge: Challenge,
    phase: Phase | None,
    role: str,
    name: str,
    source: Path,
    description: str = "",
) -> None:
    """Create or update one DataFile, copying the bytes only when they changed."""
    sha = _sha256(source)
    existing = DataFile.objects.filter(
        challenge=challenge, phase=phase, role=role, name=name
    ).first()
    if existing and existing.sha256 == sha and default_storage.exists(existing.file.name):
        if existing.description != description:
            existing.description = description
            existing.save(update_fields=["description"])
        return
    folder = f"challenges/{challenge.slug}/" + (f"{phase.key}/" if phase else "") + role
    target = f"{folder}/{name}"
    if default_storage.exists(target):
        default_storage.delete(target)
    with open(source, "rb") as stream:
        stored, sha, size = files.store(stream, target)
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
        while chunk := stream.read(files.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def install(spec: BundleSpec, organiser=None, require_organiser: bool = False) -> Challenge:
    """Write a checked bundle into the database and storage (update in place when it exists)."""
    existing = Challenge.objects.filter(slug=spec.slug).first()
    if existing and require_organiser and not existing.is_organiser(organiser):
        raise BundleError(
            [f"challenge.yaml, slug: '{spec.slug}' belongs to another organiser's challenge"]
        )
    if existing:
        kept = {p.key for p in spec.phases}
        orphans = [
            p.key for p in existing.phases.all() if p.key not in kept and p.submissions.exists()
        ]
        if orphans:
            raise BundleError(
                [
                    f"challenge.yaml, phases: phase(s) {', '.join(orphans)} have submissions and cannot be removed"
                ]
            )
    with transaction.atomic():
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
        keep = set()
        for path, description in spec.public_files:
            name = path.relative_to(spec.root.resolve()).as_posix().removeprefix("data/")
            _store_file(challenge, None, DataFile.PUBLIC, name, path, description)
            keep.add((None, DataFile.PUBLIC, name))
        if spec.starter_kit:
            _store_file(
                challenge,
                None,
                DataFile.STARTER_KIT,
                spec.starter_kit.name,
                spec.starter_kit,
                "baseline code, local scorer and instructions",
            )
            keep.add((None, DataFile.STARTER_KIT, spec.starter_kit.name))
        for phase_spec in spec.phases:
            phase, _ = Phase.objects.update_or_create(
                challenge=challenge, key=phase_spec.key, defaults=phase_spec.fields
            )
            if phase_spec.solution:
                _store_solution(challenge, phase, phase_spec.solution)
                keep.add((phase.pk, DataFile.SOLUTION, "solution.csv"))
            for source in phase_spec.inputs:
                _store_file(challenge, phase, DataFile.INPUT, source.name, source)
                keep.add((phase.pk, DataFile.INPUT, source.name))
            standings.rebuild(phase)  # the metric or the number of finals may have changed
        for data_file in DataFile.objects.filter(challenge=challenge):
            if (data_file.phase_id, data_file.role, data_file.name) not in keep:
                default_storage.delete(data_file.file.name)
                data_file.delete()
        Phase.objects.filter(challenge=challenge).exclude(
            key__in=[p.key for p in spec.phases]
        ).delete()
    return challenge


def _store_solution(challenge: Challenge, phase: Phase, source: Path) -> None:
    """Store the solution with its Usage column, as the scorers read it."""
    table = with_usage(phase.get_metric().read_solution(source), phase.split)
    with tempfile.TemporaryDirectory() as tmp:
        normalised = Path(tmp) / "solution.csv"
        table.to_csv(normalised, index=False)
        _store_file(
            challenge, phase, DataFile.SOLUTION, "solution.csv", normalised, "hidden solution"
        )
