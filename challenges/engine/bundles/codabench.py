"""Codabench bundles (``competition.yaml``, version 2), loaded as they are.

The models below declare the fields Codabench documents: those fivesigma maps (see the
mapping table in docs/bundles.md, written from the ``maps_to`` of each field), and those it
cannot honour, each ``unsupported`` with the reason. A field that is not supported, or that
Codabench does not document, is listed in the load's notes by field and otherwise ignored;
a bundle that cannot work here (a phase of two tasks, a task already on a Codabench server,
ingestion running beside scoring, a computed column that ranks) is refused whole.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from django.utils.text import slugify
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonDict

from fivesigma.challenges.engine.bundles import checks, schema
from fivesigma.challenges.engine.bundles.fields import (
    Boolean,
    BundleFile,
    Doc,
    FileOrFolder,
    FolderOrZip,
    Number,
    OptionalText,
    Text,
    WholeNumber,
    in_utc,
)
from fivesigma.challenges.engine.bundles.problems import label, shown
from fivesigma.challenges.engine.bundles.program_folders import read_program
from fivesigma.challenges.engine.bundles.spec import BundleSpec, Download, PhaseSpec

MANIFEST = "competition.yaml"
NO_END = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
DEFAULT_DAILY_LIMIT = 5
SUMMARY_CHARS = 500
WORKER_PACKAGES = "numpy, scipy, pandas, scikit-learn, matplotlib, pillow, psutil, pyyaml"
# Codabench page titles, lower-cased, and the tab each becomes; other pages follow the overview.
PAGE_TABS = {
    "overview": "overview",
    "welcome": "overview",
    "home": "overview",
    "introduction": "overview",
    "data": "data",
    "dataset": "data",
    "datasets": "data",
    "get data": "data",
    "evaluation": "evaluation",
    "scoring": "evaluation",
    "metrics": "evaluation",
    "terms": "rules",
    "terms and conditions": "rules",
    "rules": "rules",
}


def unsupported(reason: str, default: Any = None) -> Any:
    """A Codabench field fivesigma cannot honour: listed in the notes when a bundle sets it."""
    return Field(default, description=reason, json_schema_extra={"unsupported": True})


def maps(target: str, description: str, default: Any = ..., **constraints) -> Any:
    """A Codabench field and the fivesigma field it becomes."""
    return Field(
        default, description=description, json_schema_extra={"maps_to": target}, **constraints
    )


class Open(BaseModel):
    """A part of a Codabench manifest: fields it does not declare are noted, not refused."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def schema_extra(info: FieldInfo) -> JsonDict:
    """The ``json_schema_extra`` a field was declared with: ``unsupported`` or ``maps_to``."""
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _codabench_date(value) -> dt.datetime | None:
    """A date as Codabench reads it (dateutil: "2024-05-01", "2024-05-01 12:00", ISO, ...);
    UTC unless it names its offset."""
    from dateutil import parser

    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time.min)
    elif isinstance(value, str):
        try:
            parsed = parser.parse(value)
        except (ValueError, OverflowError):
            checks.fail(f"{shown(value)} is not a date (use e.g. 2024-05-01 12:00:00)")
    else:
        checks.fail(f"{shown(value)} is not a date (use e.g. 2024-05-01 12:00:00)")
    try:
        return in_utc(parsed)
    except OverflowError:
        checks.fail(f"{shown(value)} is not a date (use e.g. 2024-05-01 12:00:00)")


CodabenchDate = Annotated[dt.datetime | None, BeforeValidator(_codabench_date), Doc("date")]


def _version_2(value) -> int:
    if isinstance(value, bool) or value != 2:
        checks.fail(
            f"version {shown(value)} is not supported (supported: 2; CodaLab's version 1.5 "
            "bundles are not)"
        )
    return 2


class Page(Open):
    title: Text = maps(
        "a tab",
        "Overview, Data, Evaluation and Terms (or Rules) are those tabs; others follow the overview",
    )
    file: BundleFile = maps("its text", "Markdown, or HTML (sanitised)")


class CodabenchPhase(Open):
    index: WholeNumber | None = maps("order", "order of the phases (default: as listed)", None)
    name: Text = maps("Phase.title", "the phase's name; its key is made from it", max_length=200)
    description: OptionalText = maps("Phase.description", "Markdown", "", max_length=20000)
    start: CodabenchDate = maps("Phase.start", "e.g. 2024-05-01 or 2024-05-01 12:00 (UTC)")
    end: CodabenchDate = maps("Phase.end", "optional for the last phase (then 2100-01-01)", None)
    tasks: list[WholeNumber] = maps("its task", "the index of its one task", min_length=1)
    max_submissions_per_day: WholeNumber | None = maps(
        "Phase.daily_limit", f"default: {DEFAULT_DAILY_LIMIT}, with a note", None, ge=1
    )
    max_submissions: WholeNumber | None = maps(
        "Phase.total_limit", "per team here (per participant on Codabench)", None, ge=1
    )
    execution_time_limit: Number | None = maps(
        "Phase.time_limit_s", "seconds (default 600)", None, gt=0
    )
    execution_time_limit_ms: Number | None = maps(
        "Phase.time_limit_s", "milliseconds, as older bundles write it", None, gt=0
    )
    starting_kit: FileOrFolder | None = maps(
        "a starter_kit download", "a folder (stored zipped) or a zip", None
    )
    public_data: FileOrFolder | None = maps(
        "a public download", "a folder (stored zipped) or a zip", None
    )
    accepts_only_result_submissions: Boolean = maps(
        "Phase.kind", "true: result files even when the task has an ingestion program", False
    )
    auto_migrate_to_this_phase: Any = unsupported("submissions are not carried between phases")
    hide_output: Any = unsupported("participants see their own runs' output")
    hide_prediction_output: Any = unsupported("participants see their own runs' output")
    hide_score_output: Any = unsupported("participants see their own runs' output")


class Task(Open):
    index: WholeNumber = maps("-", "what phases and solutions point to")
    name: OptionalText = maps("-", "", "")
    description: OptionalText = maps("-", "", "")
    scoring_program: FolderOrZip | None = maps(
        "scoring_program file, Phase.scoring_command",
        "folder or zip with metadata.yaml (or metadata) holding `command`",
        None,
    )
    reference_data: FolderOrZip | None = maps(
        "reference files", "hidden data the scoring program reads (stored one file each)", None
    )
    ingestion_program: FolderOrZip | None = maps(
        "ingestion_program file, Phase.ingestion_command",
        "makes the phase a code phase: runs the submission",
        None,
    )
    input_data: FolderOrZip | None = maps(
        "input files", "hidden data the ingestion program gives the submission", None
    )
    ingestion_only_during_scoring: Boolean = maps(
        "-", "true is refused: ingestion runs before scoring here", False
    )
    key: Any = unsupported("a task already on a Codabench server cannot be fetched")

    @field_validator("scoring_program", "ingestion_program")
    @classmethod
    def _runs(cls, folder: Path | None, info: ValidationInfo) -> Path | None:
        if folder is not None and info.context is not None:
            try:
                read_program(folder, info.context.name(folder))
            except ValueError as error:
                checks.fail(str(error))
        return folder


class Solution(Open):
    index: WholeNumber | None = maps("-", "", None)
    tasks: list[WholeNumber] = maps("-", "the tasks it solves", default_factory=list)
    path: FileOrFolder | None = maps(
        "a public download", "an example submission participants may download", None
    )
    name: OptionalText = maps("its description", "", "")
    description: OptionalText = maps("its description", "", "")
    key: Any = unsupported("a solution already on a Codabench server cannot be fetched")


class Board(Open):
    title: OptionalText = maps("-", "", "")
    key: OptionalText = maps("-", "", "")
    columns: list[schema.Column] = maps("Phase.columns", "as in challenge.yaml", min_length=1)
    submission_rule: Any = unsupported(
        "teams choose their final submissions: final_selections, default 2"
    )
    hidden: Boolean = maps("-", "true is refused for the first leaderboard", False)


class Competition(Open):
    """competition.yaml"""

    version: Annotated[int, BeforeValidator(_version_2), Doc("2")] = maps("-", "must be 2")
    title: Text = maps(
        "Challenge.title, Challenge.slug",
        "the slug (the challenge's URL) is made from it",
        max_length=200,
    )
    description: OptionalText = maps("Challenge.summary", f"cut to {SUMMARY_CHARS} characters", "")
    terms: BundleFile | None = maps("the Rules tab", "Markdown or HTML", None)
    pages: list[Page] = maps("tabs", "title and file", default_factory=list)
    phases: list[CodabenchPhase] = maps("phases", "", min_length=1, max_length=50)
    tasks: list[Task] = maps("phases", "", min_length=1, max_length=50)
    solutions: list[Solution] = maps("public downloads", "", default_factory=list)
    leaderboards: list[Board] = maps(
        "Phase.columns",
        "the first one, for every phase (`leaderboard` is read too)",
        min_length=1,
        validation_alias=AliasChoices("leaderboards", "leaderboard"),
    )
    enable_detailed_results: Boolean = maps(
        "-", "detailed_results.html is shown whenever the scoring program writes it", False
    )
    image: Any = unsupported("the challenge has no logo")
    docker_image: Any = unsupported(
        "there is no Docker: programs run with the worker's Python and its packages "
        f"({WORKER_PACKAGES}), plus those of a requirements.txt next to a program"
    )
    queue: Any = unsupported("submissions run on the site's own workers")
    registration_auto_approve: Any = unsupported("anyone signed in may take part")
    make_programs_available: Any = unsupported("programs are never downloadable")
    make_input_data_available: Any = unsupported("input data is never downloadable")
    show_detailed_results_in_submission_panel: Any = unsupported("detailed results are shown")
    show_detailed_results_in_leaderboard: Any = unsupported("detailed results are shown")
    contact_email: Any = unsupported("not shown")
    reward: Any = unsupported("not shown; write it on a page")
    auto_run_submissions: Any = unsupported("every submission runs")
    can_participants_make_submissions_public: Any = unsupported("submissions stay private")
    forum_enabled: Any = unsupported("there is no forum")
    fact_sheet: Any = unsupported("no questions are asked at submission")

    @field_validator("tasks")
    @classmethod
    def _runnable_tasks(cls, tasks: list[Task]) -> list[Task]:
        indexes = [t.index for t in tasks]
        for index in sorted({i for i in indexes if indexes.count(i) > 1}):
            checks.fail(f"task index {index} is used twice")
        for i, task in enumerate(tasks):
            if task.key is not None:
                checks.fail(
                    "a task already on a Codabench server (key) cannot be fetched; put its "
                    "programs and data in the bundle",
                    at=f"tasks[{i}].key",
                )
            if task.scoring_program is None:
                checks.fail("is required", at=f"tasks[{i}].scoring_program")
            if task.ingestion_only_during_scoring:
                checks.fail(
                    "not supported: the ingestion program runs before the scoring program",
                    at=f"tasks[{i}].ingestion_only_during_scoring",
                )
        return tasks

    @field_validator("leaderboards")
    @classmethod
    def _first_board(cls, boards: list[Board]) -> list[Board]:
        if boards[0].hidden:
            checks.fail(
                "a hidden leaderboard is not supported: the phase's board is public",
                at="leaderboards[0].hidden",
            )
        schema.ranked_columns(boards[0].columns)
        return boards


def from_competition(competition: Competition, context: checks.Context) -> BundleSpec:
    """The BundleSpec of a validated competition.yaml; BundleError for what cannot work."""
    from fivesigma.challenges.engine.bundles.problems import BundleError

    root = context.root
    notes = _unsupported_notes(competition, ())
    problems: list[str] = []
    tasks = {t.index: t for t in competition.tasks}
    columns, left_out = schema.ranked_columns(competition.leaderboards[0].columns)
    notes += [f"{MANIFEST}, leaderboards[0].{note}" for note in left_out]
    for i in range(1, len(competition.leaderboards)):
        notes.append(f"{MANIFEST}, leaderboards[{i}]: a phase shows one leaderboard; left out")
    ordered = sorted(enumerate(competition.phases), key=lambda p: (p[1].index or 0, p[0]))
    phases: list[PhaseSpec] = []
    keys: set[str] = set()
    downloads: dict[str, Download] = {}
    users: dict[str, list[str]] = {}  # download name -> titles of the phases that offer it
    for order, (i, phase) in enumerate(ordered):
        where = f"{MANIFEST}, phases[{i}]"
        if len(phase.tasks) != 1 or phase.tasks[0] not in tasks:
            problems.append(
                f"{where}.tasks: a phase runs one task of `tasks` here; this one lists "
                f"{', '.join(map(str, phase.tasks))} (task indexes: {', '.join(map(str, tasks))})"
            )
            continue
        if phase.start is None:
            problems.append(f"{where}.start: is required (a date such as 2024-05-01 12:00)")
            continue
        end = phase.end
        if end is None and order < len(ordered) - 1:
            problems.append(f"{where}.end: is required (a phase follows this one)")
            continue
        if end is None:
            end = NO_END
            notes.append(
                f"{where}.end: none given (the phase never ends); it ends {NO_END:%Y-%m-%d}"
            )
        if end <= phase.start:
            problems.append(
                f"{where}.end: ends ({end:%Y-%m-%d %H:%M}) before it starts ({phase.start:%Y-%m-%d %H:%M})"
            )
            continue
        key = _key(phase.name, order, keys)
        spec = _phase(phase, tasks[phase.tasks[0]], key, order, end, columns, where, notes, context)
        phases.append(spec)
        for folder, starter in ((phase.starting_kit, True), (phase.public_data, False)):
            if folder is not None:
                name = _download(downloads, folder, root, starter)
                users.setdefault(name, []).append(spec.fields["title"])
    for i, solution in enumerate(competition.solutions):
        if solution.path is None:
            notes.append(f"{MANIFEST}, solutions[{i}]: no path (a solution on a server); left out")
            continue
        name = _download(downloads, solution.path, root, False)
        downloads[name].description = (
            solution.description or solution.name or "an example submission"
        )
    if problems:
        raise BundleError(problems)
    for name, titles in users.items():
        downloads[name].description += f" ({', '.join(titles)})"
    summary = competition.description
    if len(summary) > SUMMARY_CHARS:
        notes.append(f"{MANIFEST}, description: {len(summary)} characters, cut to {SUMMARY_CHARS}")
        summary = summary[: SUMMARY_CHARS - 3].rsplit(" ", 1)[0] + "..."
    slug = slugify(competition.title)[:50].strip("-_") or "competition"
    notes.append(
        f"{MANIFEST}, title: the challenge's slug is '{slug}', made from the title; loading a "
        "bundle with the same title again updates this challenge"
    )
    used = {p.tasks[0] for p in competition.phases if len(p.tasks) == 1}
    for index in sorted(set(tasks) - used):
        notes.append(f"{MANIFEST}, tasks: task {index} is in no phase; left out")
    return BundleSpec(
        root=root,
        slug=slug,
        title=competition.title,
        summary=summary,
        max_team_size=4,
        pages=_pages(competition, root, notes),
        downloads=list(downloads.values()),
        phases=phases,
        notes=notes,
        manifest=MANIFEST,
    )


def _phase(phase, task, key, order, end, columns, where, notes, context) -> PhaseSpec:
    scoring = read_program(task.scoring_program, context.name(task.scoring_program))
    code = task.ingestion_program is not None and not phase.accepts_only_result_submissions
    ingestion = (
        read_program(task.ingestion_program, context.name(task.ingestion_program)) if code else None
    )
    if task.ingestion_program is not None and not code:
        notes.append(f"{where}: takes result files only; the task's ingestion program is not run")
    if phase.max_submissions_per_day is None:
        notes.append(
            f"{where}.max_submissions_per_day: not given; {DEFAULT_DAILY_LIMIT} a day per team"
        )
    time_limit = phase.execution_time_limit or (
        phase.execution_time_limit_ms / 1000 if phase.execution_time_limit_ms else 600.0
    )
    spec = PhaseSpec(
        key=key,
        fields={
            "title": phase.name,
            "description": phase.description or task.description,
            "order": order,
            "start": phase.start,
            "end": end,
            "kind": "code" if code else "result",
            "metric": "",
            "metric_options": {},
            "split": {},
            "daily_limit": phase.max_submissions_per_day or DEFAULT_DAILY_LIMIT,
            "total_limit": phase.max_submissions,
            "final_selections": 2,
            "score_late": False,
            "harness": "",
            "time_limit_s": float(time_limit),
            "memory_limit_mb": 4096,
            "scoring_command": scoring.command,
            "ingestion_command": ingestion.command if ingestion else "",
            "columns": columns,
            "program_environment": "",
        },
        scoring=scoring,
        ingestion=ingestion,
    )
    if task.reference_data is not None:
        spec.reference = checks.files_under(task.reference_data, context.name(task.reference_data))
    if code and task.input_data is not None:
        spec.inputs = checks.files_under(task.input_data, context.name(task.input_data))
    elif task.input_data is not None:
        notes.append(f"{where}: takes result files; the task's input_data is not used")
    return spec


def _key(name: str, order: int, taken: set[str]) -> str:
    key = slugify(name)[:40].strip("-_") or f"phase-{order + 1}"
    while key in taken:
        key = f"{key}-{order + 1}"
    taken.add(key)
    return key


def _download(downloads: dict[str, Download], source: Path, root: Path, starter: bool) -> str:
    """Add ``source`` (a folder is stored zipped) to the downloads once; its name."""
    try:
        name = source.relative_to(root).as_posix()
    except ValueError:  # a zip of the bundle, unpacked: the zip's own name
        name = source.name
    if source.is_dir() and not name.endswith(".zip"):
        name += ".zip"
    downloads.setdefault(
        name, Download(source, name, "starting kit" if starter else "public data", starter)
    )
    return name


def _pages(competition: Competition, root: Path, notes: list[str]) -> dict[str, str]:
    """Codabench's pages as tabs: Overview, Data, Evaluation and Terms/Rules by title (the
    terms file is the Rules tab); any other page follows the overview under its title."""
    parts: dict[str, list[str]] = {}
    entries = [(p.title, p.file, f"pages[{i}]") for i, p in enumerate(competition.pages)]
    if competition.terms is not None:
        entries.append(("Terms", competition.terms, "terms"))
    for title, path, where in entries:
        text = checks.page(path, path.relative_to(root).as_posix())
        tab = PAGE_TABS.get(" ".join(title.lower().replace("&", "and").split()))
        if tab is None:
            notes.append(
                f"{MANIFEST}, {where}: page '{title}' follows the overview (tabs: overview, data, evaluation, rules)"
            )
            tab, text = "overview", f"## {title}\n\n{text}"
        parts.setdefault(tab, []).append(text)
    return {tab: "\n\n".join(texts) for tab, texts in parts.items()}


def _unsupported_notes(model: BaseModel, loc: tuple) -> list[str]:
    """A note for each field set that is not supported or not a Codabench field."""
    notes = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if (
            schema_extra(info).get("unsupported")
            and name in model.model_fields_set
            and value is not None
        ):
            if name != "key":  # refused or noted where it matters
                notes.append(
                    f"{MANIFEST}, {label(loc + (name,))}: not supported ({info.description}); ignored"
                )
        children = value if isinstance(value, list) else [value]
        for i, child in enumerate(children):
            if isinstance(child, BaseModel):
                at = loc + ((name, i) if isinstance(value, list) else (name,))
                notes += _unsupported_notes(child, at)
    for name in model.model_extra or {}:
        notes.append(f"{MANIFEST}, {label(loc + (name,))}: not a field fivesigma knows; ignored")
    return notes
