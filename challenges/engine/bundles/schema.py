"""``challenge.yaml`` version 1, declared: every field, its type, default, limits and meaning.

The models below are the format. Loading validates a manifest against them (with a
``checks.Context`` so that paths are checked against the bundle), problems.py words what they
refuse, and reference.py writes the field reference of docs/bundles.md from them. Lengths
are those of the database columns the values go to, so a valid bundle always fits.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from fivesigma.challenges.engine.bundles import checks
from fivesigma.challenges.engine.bundles.fields import (
    Boolean,
    BundleFile,
    BundleFolder,
    Date,
    Doc,
    FolderOrZip,
    Mapping,
    Number,
    OptionalText,
    Text,
    WholeNumber,
)
from fivesigma.challenges.engine.bundles.problems import shown

SLUG = r"^[A-Za-z0-9_-]+$"


class Strict(BaseModel):
    """A part of a manifest: an unknown field is a problem, listed with the known ones."""

    model_config = ConfigDict(extra="forbid")


def _version_1(value) -> int:
    if isinstance(value, bool) or value != 1:
        checks.fail(f"version {shown(value)} is not supported (supported: 1)")
    return 1


Version1 = Annotated[int, BeforeValidator(_version_1), Doc("1")]


class Pages(Strict):
    """The challenge's pages, one Markdown (or HTML) file each; each is a tab."""

    overview: BundleFile | None = Field(None, description="the first page: what the challenge is")
    data: BundleFile | None = Field(None, description="the data and its format")
    evaluation: BundleFile | None = Field(
        None, description="how submissions are scored (the metric's own description follows)"
    )
    rules: BundleFile | None = Field(None, description="rules and terms of participation")

    @field_validator("*")
    @classmethod
    def _readable(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        if path is not None and info.context is not None:
            checks.page(path, path.relative_to(info.context.root).as_posix())
        return path


class PublicFile(Strict):
    path: BundleFile = Field(description="the file, shown for download with its size and SHA-256")
    description: OptionalText = Field("", max_length=500, description="one line shown beside it")


class Program(Strict):
    """An organiser's program run in the sandbox (see "Programs" below)."""

    program: FolderOrZip = Field(
        description="the program's folder; may hold metadata.yaml and requirements.txt"
    )
    command: OptionalText = Field(
        "",
        max_length=2000,
        validate_default=True,
        description="how it runs, e.g. `python score.py $input $output`; "
        "default: the `command` of the folder's metadata.yaml",
    )

    @field_validator("command")
    @classmethod
    def _runs(cls, command: str, info: ValidationInfo) -> str:
        folder = info.data.get("program")
        if info.context is not None and folder is not None:
            from fivesigma.challenges.engine.bundles.program_folders import read_program

            try:
                read_program(folder, info.context.name(folder), command)
            except ValueError as error:
                checks.fail(str(error), at="program")
        return command


class Column(BaseModel):
    """A leaderboard column: a key the scoring program writes to scores.json (or scores.txt)."""

    model_config = ConfigDict(extra="forbid")

    title: Text = Field(max_length=200, description="the column's heading")
    key: Text = Field(max_length=100, description="the key in scores.json")
    index: WholeNumber | None = Field(
        None,
        ge=0,
        description="the column's place, left to right; the column at index 0 ranks, the "
        "others break ties left to right (default: its place in the list)",
    )
    sorting: Literal["desc", "asc"] = Field(
        "desc", description="desc: larger is better; asc: smaller is better"
    )
    precision: WholeNumber = Field(2, ge=0, le=12, description="decimals shown")
    computation: Literal["sum", "avg", "min", "max", "avg_rank"] | None = Field(
        None,
        description="not supported: a column computed from others is left out, with a note "
        "(and the bundle is refused if it would rank)",
    )
    computation_indexes: list[WholeNumber] | None = Field(
        None, description="the columns a computation reads"
    )
    hidden: Boolean = Field(
        False,
        description="not supported: a hidden column is left out, with a note (refused if it "
        "would rank)",
    )


class Leaderboard(Strict):
    columns: list[Column] = Field(min_length=1, max_length=50, description="the columns")


class Code(Strict):
    """How a code phase runs a submission in the sandbox."""

    harness: OptionalText = Field(
        "",
        max_length=50,
        description="a built-in runner harness (trackml, higgsml); not with `ingestion`",
    )
    input: BundleFolder | None = Field(
        None, description="the hidden input data, mounted read-only in the sandbox"
    )
    time_limit_s: Number = Field(600.0, gt=0, description="seconds of wall time for one run")
    memory_limit_mb: WholeNumber = Field(4096, ge=1, description="megabytes of memory for one run")


def _empty_if_none(value):
    return {} if value is None else value


class Phase(Strict):
    key: Text = Field(
        max_length=50, pattern=SLUG, description="letters, digits, - and _; unique in the challenge"
    )
    title: OptionalText = Field("", max_length=200, description="default: the key")
    description: OptionalText = Field("", max_length=20000, description="Markdown")
    start: Date = Field(description="when submissions open (UTC unless an offset is given)")
    end: Date = Field(description="when submissions close; after start")
    kind: Literal["result", "code"] = Field(
        "result", description="result: a CSV file is uploaded; code: a zip is run in the sandbox"
    )
    metric_options: Mapping = Field(
        default_factory=dict, description="options of the metric (e.g. column names)"
    )
    metric: OptionalText = Field(
        "",
        max_length=50,
        description="a built-in metric: ams, trackml, throughput, roc_auc, log_loss, accuracy; "
        "or score with `scoring` instead",
    )
    scoring: Program | None = Field(
        None, validate_default=True, description="a scoring program, instead of `metric`"
    )
    solution: BundleFile | None = Field(None, description="the hidden solution of a `metric`")
    split: Annotated[Mapping, BeforeValidator(lambda v: {"by": "usage"} if v is None else v)] = (
        Field(
            default_factory=lambda: {"by": "usage"},
            validate_default=True,
            description="how the solution splits into public and private rows (below)",
        )
    )
    reference: BundleFolder | None = Field(
        None,
        description="the hidden reference data of a scoring program (may hold public/ and "
        "private/ folders)",
    )
    leaderboard: Leaderboard | None = Field(
        None,
        validate_default=True,
        description="the columns of a program-scored phase (a metric brings its own)",
    )
    daily_limit: WholeNumber = Field(5, ge=1, description="submissions per team per UTC day")
    total_limit: WholeNumber | None = Field(None, ge=1, description="submissions per team in all")
    final_selections: WholeNumber = Field(
        2, ge=1, description="submissions a team may choose for the private ranking"
    )
    score_late: Boolean = Field(
        False, description="after the end: refuse (false) or score without ranking (true)"
    )
    ingestion: Program | None = Field(
        None,
        validate_default=True,
        description="a code phase's ingestion program: runs the submission on `code.input`",
    )
    code: Annotated[Code, BeforeValidator(_empty_if_none)] = Field(
        default_factory=Code, validate_default=True, description="code phases only"
    )

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: dt.datetime, info: ValidationInfo) -> dt.datetime:
        start = info.data.get("start")
        if start is not None and start >= end:
            checks.fail(f"ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M})")
        return end

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str, info: ValidationInfo) -> str:
        if metric:
            metric_object(metric, info.data.get("metric_options", {}))
        return metric

    @field_validator("scoring")
    @classmethod
    def _metric_or_program(cls, scoring: Program | None, info: ValidationInfo) -> Program | None:
        metric = info.data.get("metric")
        if metric is None:  # refused already
            return scoring
        if scoring is None and not metric:
            checks.fail("is required (a built-in metric), or a scoring program", at="metric")
        if scoring is not None and metric:
            checks.fail("a phase is scored by a metric or by a program, not both")
        return scoring

    @field_validator("split")
    @classmethod
    def _solution_splits(cls, split: dict, info: ValidationInfo) -> dict:
        metric, path = info.data.get("metric"), info.data.get("solution")
        if "scoring" not in info.data:
            return split
        if info.data["scoring"] is not None:
            if path is not None:
                checks.fail(
                    "a program-scored phase reads its hidden data from `reference`", at="solution"
                )
            return split
        if metric and path is None:
            checks.fail("needs the hidden solution of the metric", at="solution")
        if metric and path is not None and info.context is not None:
            checks.solution(metric_object(metric, info.data.get("metric_options", {})), path, split)
        return split

    @field_validator("reference")
    @classmethod
    def _reference_of_program(cls, reference: Path | None, info: ValidationInfo) -> Path | None:
        if reference is not None and info.data.get("scoring") is None and "scoring" in info.data:
            checks.fail("only a program-scored phase has reference data (a metric has `solution`)")
        if reference is not None and info.context is not None:
            checks.files_under(reference, reference.relative_to(info.context.root).as_posix())
        return reference

    @field_validator("leaderboard")
    @classmethod
    def _columns_of_program(cls, board: Leaderboard | None, info: ValidationInfo):
        if "scoring" not in info.data:
            return board
        if info.data["scoring"] is not None and board is None:
            checks.fail("a program-scored phase lists its leaderboard columns")
        if info.data["scoring"] is None and board is not None:
            checks.fail("only a program-scored phase lists columns (a metric brings its own)")
        if board is not None:
            ranked_columns(board.columns)
        return board

    @field_validator("ingestion")
    @classmethod
    def _ingestion_of_code(cls, ingestion: Program | None, info: ValidationInfo):
        kind, scoring = info.data.get("kind"), info.data.get("scoring")
        if ingestion is not None and kind == "result":
            checks.fail("only a code phase runs an ingestion program")
        if ingestion is None and kind == "code" and scoring is not None:
            checks.fail("a program-scored code phase runs the submission with an ingestion program")
        return ingestion

    @field_validator("code")
    @classmethod
    def _runnable(cls, code: Code, info: ValidationInfo) -> Code:
        if info.data.get("kind") != "code":
            return code
        from fivesigma.challenges.kinds import harnesses

        if code.input is None:
            checks.fail("needs a path inside the bundle", at="code.input")
        if info.context is not None:
            rel = code.input.relative_to(info.context.root).as_posix()
            if info.data.get("ingestion") is not None:
                checks.files_under(code.input, rel)
            elif not any(p.is_file() for p in code.input.iterdir()):
                checks.fail(f"directory '{rel}' is empty", at="code.input")
        if info.data.get("ingestion") is not None:
            if code.harness:
                checks.fail("a phase with an ingestion program has no harness", at="code.harness")
        elif not code.harness:
            checks.fail(
                "a code phase names its runner harness (e.g. trackml), or an ingestion program",
                at="code.harness",
            )
        elif code.harness not in harnesses():
            checks.fail(
                f"{shown(code.harness)} is not a built-in harness ({', '.join(harnesses())}); "
                "an organiser's own code runs only in the sandbox, as a program",
                at="code.harness",
            )
        return code


class Manifest(Strict):
    """challenge.yaml"""

    version: Version1 = Field(1, description="the format's version")
    slug: Text = Field(
        max_length=50, pattern=SLUG, description="letters, digits, - and _; the challenge's URL"
    )
    title: Text = Field(max_length=200, description="the challenge's name")
    summary: OptionalText = Field("", max_length=500, description="one line for the home page")
    max_team_size: WholeNumber = Field(4, ge=1, description="members a team may have")
    pages: Annotated[Pages, BeforeValidator(_empty_if_none)] = Field(
        default_factory=Pages, description="Markdown files, one per tab"
    )
    files: list[PublicFile] = Field(
        default_factory=list, max_length=1000, description="public downloads"
    )
    starter_kit: BundleFile | None = Field(None, description="a zip participants download")
    phases: list[Phase] = Field(min_length=1, max_length=50, description="at least one")

    @field_validator("phases")
    @classmethod
    def _unique_keys(cls, phases: list[Phase]) -> list[Phase]:
        keys = [p.key for p in phases]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            checks.fail(f"phase key '{key}' is used twice")
        return phases


def metric_object(key: str, options: dict):
    """The scoring package's metric ``key`` with ``options``; a problem when there is none."""
    from fivesigma.scoring import registry

    try:
        return registry.get(key, **options)
    except (KeyError, ValueError, TypeError) as error:
        checks.fail(str(error).strip("'\""))


def ranked_columns(columns: list[Column]) -> tuple[list[dict], list[str]]:
    """The leaderboard columns as phases store them, and the notes on those left out.

    Columns are shown in the order of their index; the one at the lowest index ranks
    (``rank`` 1) and the others break ties left to right (2, 3, ...), as on Codabench. A
    computed or hidden column is left out with a note, and refused if it would rank.
    """
    ordered = sorted(
        enumerate(columns),
        key=lambda pair: (pair[1].index if pair[1].index is not None else pair[0], pair[0]),
    )
    keys = [c.key for c in columns]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        checks.fail(f"column key '{key}' is used twice")
    stored: list[dict] = []
    notes: list[str] = []
    for position, (i, column) in enumerate(ordered):
        why = (
            f"is computed ({column.computation})"
            if column.computation
            else "is hidden"
            if column.hidden
            else ""
        )
        if why and position == 0:
            checks.fail(
                f"column '{column.key}' ranks (it comes first) but {why}; have the scoring "
                "program write it, or put a written column first"
            )
        if why:
            notes.append(
                f"columns[{i}]: column '{column.key}' {why}, which is not supported; it is left out"
            )
            continue
        stored.append(
            {
                "key": column.key,
                "title": column.title,
                "sorting": column.sorting,
                "precision": column.precision,
                "rank": len(stored) + 1,
            }
        )
    return stored, notes
