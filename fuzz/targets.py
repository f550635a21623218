"""The fuzz targets, plain functions of the fuzzer's bytes (they run without atheris too).

Each target feeds one reader and returns when the input was read or refused with the
platform's own error; anything else it lets out (an unexpected exception, or an
AssertionError when a read input breaks a promise, e.g. a zip member written outside its
folder). ``TARGETS`` maps each name to its function and its seed inputs.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fivesigma.scoring import registry
from fivesigma.scoring.metric import Metric
from fivesigma.scoring.validation import SubmissionError
from fuzz.inputs import (
    Entry,
    build_zip,
    encode_entries,
    encode_raw_zip,
    encode_submission,
    submission_file,
    zip_archive,
)

MAX_DECOMPRESSED = 1024 * 1024  # bytes: the metric's max_bytes in the fuzz runs
CODE_MAX_FILES = 64
CODE_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], list[bytes]]


# -- submission CSVs ---------------------------------------------------------------------------


def higgsml_solution(n_events: int = 24) -> pd.DataFrame:
    """A HiggsML solution: EventId, Label (s one event in three), Weight, Usage."""
    ids = np.arange(100_000, 100_000 + n_events)
    labels = np.where(ids % 3 == 0, "s", "b")
    return pd.DataFrame(
        {
            "EventId": ids,
            "Label": labels,
            "Weight": np.where(labels == "s", 0.002, 1.5),
            "Usage": np.where(ids % 2 == 0, "Public", "Private"),
        }
    )


def higgsml_submission(solution: pd.DataFrame) -> bytes:
    ids = solution["EventId"].to_numpy()
    ranks = np.arange(len(ids), 0, -1)
    classes = np.where(ranks > len(ids) // 2, "s", "b")
    rows = [f"{i},{r},{c}" for i, r, c in zip(ids, ranks, classes, strict=True)]
    return ("EventId,RankOrder,Class\n" + "\n".join(rows) + "\n").encode()


def trackml_solution(events: int = 2, hits: int = 6) -> pd.DataFrame:
    """TrackML truth: ``hits`` hits per event, two per particle; event 1 public, the rest private."""
    event_id = np.repeat(np.arange(1, events + 1), hits)
    hit_id = np.tile(np.arange(1, hits + 1), events)
    coordinates = np.linspace(1.0, 2.0, events * hits)
    return pd.DataFrame(
        {
            "event_id": event_id,
            "hit_id": hit_id,
            "particle_id": event_id * 1000 + (hit_id + 1) // 2,
            **{name: coordinates for name in ("tx", "ty", "tz", "tpx", "tpy", "tpz")},
            "weight": np.full(events * hits, 1.0 / hits),
            "Usage": np.where(event_id == 1, "Public", "Private"),
        }
    )


def trackml_submission(solution: pd.DataFrame) -> bytes:
    rows = [
        f"{e},{h},{(h + 1) // 2}"
        for e, h in zip(solution["event_id"], solution["hit_id"], strict=True)
    ]
    return ("event_id,hit_id,track_id\n" + "\n".join(rows) + "\n").encode()


def submission_target(metric: Metric, solution: pd.DataFrame) -> Callable[[bytes], None]:
    """Read the fuzzer's file as an upload is read (format, then ids against the solution)."""

    def run(data: bytes) -> None:
        stream, name = submission_file(data)
        try:
            table = metric.read_submission(stream, name=name)
            metric.check(solution, table)
        except SubmissionError as error:
            assert str(error).strip(), "a refusal without a reason"
            return
        assert list(table.columns) == list(metric.submission_columns)

    return run


def submission_seeds(valid: bytes) -> list[bytes]:
    """A valid file in every container, and a few near misses."""
    header, _, rows = valid.partition(b"\n")
    near_misses = [
        b"\xef\xbb\xbf" + valid.replace(b"\n", b"\r\n"),  # BOM and Windows line endings
        header + b"\n",  # no rows
        valid.rsplit(b"\n", 2)[0] + b"\n",  # one row short
        valid.replace(b",", b";"),
        header.lower() + b"\n" + rows,
        header + b"," + header + b"\n" + rows,  # every name twice
    ]
    wrapped = [encode_submission(valid, container) for container in ("plain", "gzip", "zip")]
    wrapped += [
        encode_submission(valid, "zip in a folder", seekable=False),
        encode_submission(valid, "gzip", seekable=False),
    ]
    raw = submission_file(encode_submission(valid, "zip"))[0].read()
    return wrapped + [encode_submission(miss) for miss in near_misses] + [encode_submission(raw)]


HIGGSML_SOLUTION = higgsml_solution()
TRACKML_SOLUTION = trackml_solution()

# -- zips --------------------------------------------------------------------------------------


def assert_inside(scratch: Path, allowed: set[Path], folder: Path) -> None:
    """Nothing under ``scratch`` is a link, and nothing but ``allowed`` lies outside ``folder``."""
    for parent, folders, names in os.walk(scratch):
        for name in folders + names:
            path = Path(parent) / name
            assert not path.is_symlink(), f"{path} is a symbolic link"
            assert path in allowed or path.is_relative_to(folder), f"{path} is outside {folder}"


def code_zip(data: bytes) -> None:
    """A code submission unpacked as the sandbox unpacks it."""
    from fivesigma.runner.unpack import ENTRY_POINT, SubmissionRejected, unpack_submission

    with tempfile.TemporaryDirectory(prefix="fuzz-code-") as tmp:
        scratch = Path(tmp)
        archive, destination = scratch / "submission.zip", scratch / "unpacked"
        archive.write_bytes(zip_archive(data))
        try:
            model = unpack_submission(
                archive, destination, max_files=CODE_MAX_FILES, max_bytes=CODE_MAX_BYTES
            )
        except SubmissionRejected as rejected:
            assert str(rejected).strip(), "a refusal without a reason"
            return
        assert_inside(scratch, {archive}, destination)
        assert (model / ENTRY_POINT).is_file() and model in (destination, *destination.iterdir())
        written = [p for p in destination.rglob("*") if p.is_file()]
        assert len(written) <= CODE_MAX_FILES
        assert sum(p.stat().st_size for p in written) <= CODE_MAX_BYTES


def code_seeds() -> list[bytes]:
    model = [
        Entry("submission.py", b"def predict(event):\n    return event\n", executable=True),
        Entry("weights/model.bin", bytes(range(64)), deflated=False),
    ]
    in_folder = [Entry("model", kind="folder")] + [
        Entry(f"model/{e.name}", e.content) for e in model
    ]
    unsafe = [
        [*model, Entry("../escape.py", b"x")],
        [*model, Entry("/etc/passwd", b"x")],
        [*model, Entry("link", b"/etc/passwd", kind="link")],
        [*model, Entry("pipe", kind="fifo")],
        [*model, Entry("submission.py", b"again")],
        [Entry("submission.py/inner", b"x"), *model],
        [Entry("C:\\windows\\evil.py", b"x"), *model],
    ]
    return [encode_entries(entries) for entries in (model, in_folder, *unsafe)] + [
        encode_raw_zip(build_zip(model)),
        encode_raw_zip(build_zip(in_folder)),
    ]


BUNDLE_YAML = textwrap.dedent("""\
    version: 1
    slug: fuzz-higgs
    title: Fuzz Higgs
    summary: a bundle for the fuzzer
    max_team_size: 3
    pages: {overview: pages/overview.md}
    files:
      - path: data/test.csv
        description: test events
    phases:
      - key: main
        title: Main
        start: 2020-01-01T00:00:00Z
        end: 2099-01-01T00:00:00Z
        kind: result
        metric: ams
        metric_options: {b_reg: 10}
        solution: data/solution.csv
        split: {by: column, column: Usage, public: Public, private: Private}
        daily_limit: 3
        total_limit: 50
        score_late: true
      - key: code
        title: Code
        start: 2020-01-01
        end: 2099-01-01
        kind: code
        metric: trackml
        solution: data/truth.csv
        split: {by: event, column: event_id, public_fraction: 0.5, seed: 7}
        code: {harness: trackml, input: data/input, time_limit_s: 60, memory_limit_mb: 512}
    """)


def bundle_zip(data: bytes) -> None:
    """A challenge bundle zip unpacked and checked as an upload is, before the database."""
    from fivesigma.challenges.engine.bundles import BundleError, parse, unpack_zip

    with tempfile.TemporaryDirectory(prefix="fuzz-bundle-") as tmp:
        scratch = Path(tmp)
        archive, target = scratch / "bundle.zip", scratch / "bundle"
        archive.write_bytes(zip_archive(data))
        target.mkdir()
        try:
            root = unpack_zip(archive, target)
            assert_inside(scratch, {archive}, target)
            spec = parse(root)
        except BundleError as error:
            assert error.problems and all(str(p).strip() for p in error.problems)
            return
        assert spec.phases and any(
            (root / m).is_file() for m in ("challenge.yaml", "competition.yaml")
        )


def bundle_files() -> list[Entry]:
    """The files of a valid bundle: a result phase (HiggsML) and a code phase (TrackML)."""
    return [
        Entry("challenge.yaml", BUNDLE_YAML.encode()),
        Entry("pages/overview.md", b"A **fuzz** challenge.\n"),
        Entry("data/test.csv", b"EventId\n" + b"\n".join(b"%d" % i for i in range(10))),
        Entry("data/solution.csv", HIGGSML_SOLUTION.to_csv(index=False).encode()),
        Entry("data/truth.csv", TRACKML_SOLUTION.to_csv(index=False).encode()),
        Entry("data/input/event000000001-hits.csv", b"hit_id,x,y,z\n1,0.1,0.2,0.3\n"),
    ]


CODABENCH_YAML = textwrap.dedent("""\
    version: 2
    title: Fuzz Codabench
    terms: terms.md
    docker_image: codalab/codalab-legacy:py39
    pages:
      - {title: Overview, file: overview.html}
    phases:
      - {name: Feedback, start: 2024-05-01 12:00, end: 2099-01-01, max_submissions_per_day: 3, tasks: [0]}
    tasks:
      - index: 0
        scoring_program: scoring_program.zip
        ingestion_program: ingestion
        input_data: input
        reference_data: reference
    leaderboards:
      - title: Results
        key: main
        columns:
          - {title: Score, key: score, index: 0, sorting: desc}
          - {title: Time, key: time, index: 1, sorting: asc, computation: max, computation_indexes: [0]}
    """)


def codabench_files() -> list[Entry]:
    """A Codabench bundle: a zipped scoring program, an ingestion program folder, data."""
    program = build_zip(
        [
            Entry("metadata", b"command: python $program/score.py $input $output\n"),
            Entry("score.py", b"print(1)\n"),
        ]
    )
    return [
        Entry("competition.yaml", CODABENCH_YAML.encode()),
        Entry("terms.md", b"Terms.\n"),
        Entry("overview.html", b"<p onclick='x()'>Hi</p>"),
        Entry("scoring_program.zip", program, deflated=False),
        Entry("ingestion/metadata.yaml", b"command: python ingestion.py\n"),
        Entry("ingestion/ingestion.py", b"print(2)\n"),
        Entry("input/x.csv", b"a\n1\n"),
        Entry("reference/public/truth.csv", b"a\n1\n"),
    ]


def bundle_seeds() -> list[bytes]:
    """Bundles as entries and as zips; the last one is a valid challenge.yaml zip byte for byte."""
    files = bundle_files()
    in_folder = [Entry(f"fuzz-higgs/{e.name}", e.content) for e in files]
    return [
        encode_entries(codabench_files()),
        encode_raw_zip(build_zip(codabench_files())),
        encode_entries(files),
        encode_entries(in_folder),
        encode_raw_zip(build_zip(files)),
    ]


TARGETS = {
    target.name: target
    for target in (
        Target(
            "higgsml-csv",
            submission_target(registry.get("ams", max_bytes=MAX_DECOMPRESSED), HIGGSML_SOLUTION),
            lambda: submission_seeds(higgsml_submission(HIGGSML_SOLUTION)),
        ),
        Target(
            "trackml-csv",
            submission_target(
                registry.get("trackml", max_bytes=MAX_DECOMPRESSED), TRACKML_SOLUTION
            ),
            lambda: submission_seeds(trackml_submission(TRACKML_SOLUTION)),
        ),
        Target("code-zip", code_zip, code_seeds),
        Target("bundle-zip", bundle_zip, bundle_seeds),
    )
}
