"""What the coverage-guided fuzzer (``fuzz/``) found in the readers, each now refused with the
platform's own error, rebuilt here by hand so that each stays fixed.

Python's zipfile reports a damaged archive with many exception types besides BadZipFile
(a negative or impossible seek, an unknown version, a bad CRC, a broken deflate stream, an
empty member name); the readers let them out as server errors until the fuzzer found them.
The header checks of the CSV reader were found by measuring, not by the fuzzer (its inputs
stay under 64 KiB): pandas renames repeated column names in quadratic time.
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import pytest

from fivesigma.challenges.engine import bundles
from fivesigma.runner.unpack import SubmissionRejected, unpack_submission
from fivesigma.scoring import registry
from fivesigma.scoring.validation import SubmissionError
from fuzz.inputs import Entry, build_zip
from fuzz.targets import (
    BUNDLE_YAML,
    bundle_files,
    bundle_seeds,
    higgsml_solution,
    higgsml_submission,
)
from tests.builders.submissions import make_zip

END_OF_DIRECTORY = b"PK\x05\x06"
DIRECTORY_ENTRY = b"PK\x01\x02"
MB = 1024 * 1024


def shifted_directory(archive: bytes, by: int = 200) -> bytes:
    """The end record says the central directory starts ``by`` bytes later than it does, so
    zipfile puts every member ``by`` bytes before the start of the file (a negative seek)."""
    data = bytearray(archive)
    end = data.rfind(END_OF_DIRECTORY)
    (offset,) = struct.unpack_from("<I", data, end + 16)
    struct.pack_into("<I", data, end + 16, offset + by)
    return bytes(data)


def future_version(archive: bytes) -> bytes:
    """The first member needs version 9.8 of the zip format to be extracted."""
    data = bytearray(archive)
    struct.pack_into("<H", data, data.find(DIRECTORY_ENTRY) + 6, 98)
    return bytes(data)


def flipped_byte(archive: bytes, name: str) -> bytes:
    """One byte of ``name``'s stored data changed (a bad CRC, or a broken deflate stream)."""
    data = bytearray(archive)
    start = data.find(name.encode()) + len(name)  # the local header's name, then the data
    data[start + 2] ^= 0xFF
    return bytes(data)


def read_higgsml(data: bytes, name: str = "submission.zip"):
    metric = registry.get("ams")
    return metric.read_submission(io.BytesIO(data), name=name)


# -- submission CSVs (scoring/csv_reader.py) ----------------------------------------------------


VALID_CSV = higgsml_submission(higgsml_solution())


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (shifted_directory, "cannot open submission.csv in the zip archive"),  # was ValueError
        (
            future_version,
            "the zip archive is damaged (zip file version 9.8)",
        ),  # NotImplementedError
    ],
)
def test_a_damaged_zip_submission_is_refused(damage, message):
    archive = damage(make_zip(None, {"submission.csv": VALID_CSV}))
    with pytest.raises(SubmissionError) as refused:
        read_higgsml(archive)
    assert message in str(refused.value)


def test_a_zip_member_with_an_empty_name_is_ignored():
    # was IndexError (ZipInfo.is_dir on an empty name)
    table = read_higgsml(make_zip(None, {"": b"junk", "submission.csv": VALID_CSV}))
    assert len(table) == 24


def test_a_damaged_member_stream_is_refused():
    archive = flipped_byte(make_zip(None, {"submission.csv": VALID_CSV * 20}), "submission.csv")
    with pytest.raises(SubmissionError, match="damaged and cannot be decompressed"):
        read_higgsml(archive)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # 30,000 copies of a name: pandas took 13 s of CPU to rename them (and hours for the
        # 250 million a 512 MB upload can hold), then refused the file for the wrong reason
        (b",".join([b"a"] * 30_000) + b"\n1\n", "names column(s) 'a' more than once"),
        (b"EventId,RankOrder,Class,EventId\n1,1,s,1\n", "names column(s) 'EventId' more than once"),
        # a quoted name longer than the check reads, followed by the repeats
        (b'"' + b"x" * 70_000 + b'",' + b",".join([b"a"] * 30_000) + b"\n", "longer than 64 KiB"),
    ],
)
def test_a_header_naming_a_column_twice_is_refused_before_pandas_reads_it(content, message):
    with pytest.raises(SubmissionError, match=re.escape(message)):
        read_higgsml(content, "submission.csv")


def test_quoted_header_names_are_read_as_pandas_reads_them():
    quoted = b'"EventId","RankOrder","Class"\r\n' + VALID_CSV.split(b"\n", 1)[1]
    assert list(read_higgsml(quoted, "submission.csv").columns) == ["EventId", "RankOrder", "Class"]


# -- code submissions (runner/unpack.py) ---------------------------------------------------


def unpack(tmp_path: Path, archive: bytes) -> Path:
    path = tmp_path / "code.zip"
    path.write_bytes(archive)
    return unpack_submission(path, tmp_path / "unpacked", max_files=50, max_bytes=4 * MB)


CODE = {"submission.py": b"x = 1\n", "weights.bin": bytes(1000)}


def test_the_intact_code_zip_unpacks(tmp_path):
    assert (unpack(tmp_path, make_zip(None, CODE)) / "weights.bin").read_bytes() == bytes(1000)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (shifted_directory, "'submission.py' cannot be read"),  # was OSError [Errno 22]
        (future_version, "not a readable zip archive (zip file version 9.8)"),
        (lambda a: flipped_byte(a, "weights.bin"), "'weights.bin' cannot be read"),
    ],
)
def test_a_damaged_code_zip_is_refused(tmp_path, damage, message):
    with pytest.raises(SubmissionRejected) as refused:
        unpack(tmp_path, damage(make_zip(None, CODE)))
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "name", ["x" * 256 + "/submission.py", "/".join(["folder"] * 150) + "/submission.py"]
)
def test_a_name_too_long_for_the_file_system_is_refused(tmp_path, name):
    # was OSError [Errno 36] File name too long
    with pytest.raises(SubmissionRejected, match="name longer than the file system allows"):
        unpack(tmp_path, make_zip(None, {**CODE, name: b""}))
    assert not list((tmp_path / "unpacked").rglob("*.py"))


def test_a_file_and_a_folder_of_one_name_are_refused(tmp_path):
    archive = build_zip([Entry("model", b"a file"), Entry("model", kind="folder")])
    with pytest.raises(SubmissionRejected, match="'model/' twice, or as both a file and a folder"):
        unpack(tmp_path, archive)


# -- challenge bundles (challenges/bundles.py), before the database ------------------------


def bundle_problems(tmp_path: Path, archive: bytes) -> list[str]:
    path = tmp_path / "bundle.zip"
    path.write_bytes(archive)
    (tmp_path / "bundle").mkdir()
    with pytest.raises(bundles.BundleError) as refused:
        bundles.parse(bundles.unpack_zip(path, tmp_path / "bundle"))
    return refused.value.problems


def valid_bundle() -> bytes:
    return bundle_seeds()[-1][1:]  # the seed that is a zip byte for byte


def test_the_valid_bundle_unpacks_and_parses(tmp_path):
    path = tmp_path / "bundle.zip"
    path.write_bytes(valid_bundle())
    (tmp_path / "bundle").mkdir()
    spec = bundles.parse(bundles.unpack_zip(path, tmp_path / "bundle"))
    assert [p.key for p in spec.phases] == ["main", "code"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda a: flipped_byte(a, "data/truth.csv"), "'data/truth.csv' cannot be read"),
        (shifted_directory, "'challenge.yaml' cannot be read"),  # was BadZipFile
        (future_version, "not a zip file"),  # was NotImplementedError
    ],
)
def test_a_damaged_bundle_zip_is_refused(tmp_path, damage, message):
    problems = bundle_problems(tmp_path, damage(valid_bundle()))
    assert len(problems) == 1 and message in problems[0], problems


def test_a_bundle_zip_holding_a_name_twice_is_refused(tmp_path):
    archive = build_zip(
        [Entry("challenge.yaml", BUNDLE_YAML.encode()), Entry("challenge.yaml", b"slug: other")]
    )
    assert bundle_problems(tmp_path, archive) == [
        "bundle.zip: the zip holds 'challenge.yaml' twice, or as both a file and a folder"
    ]


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("start: 2026-13-01", "a value is not valid (month must be in 1..12)"),  # was ValueError
        ("start: 2026-01-01 10:00:00+99:00", "a value is not valid"),
        ("phases: " + "[" * 5000 + "]" * 5000, "nested too deeply"),  # was RecursionError
    ],
)
def test_a_manifest_yaml_cannot_build_is_refused(tmp_path, yaml, message):
    archive = make_zip(None, {"challenge.yaml": yaml.encode()})
    problems = bundle_problems(tmp_path, archive)
    assert problems == [f"challenge.yaml: {message}"] or message in problems[0], problems


def test_a_page_that_is_not_utf8_is_a_problem_of_the_bundle(tmp_path):
    files = [
        Entry(e.name, b"\xff\xfe junk" if e.name.endswith(".md") else e.content)
        for e in bundle_files()
    ]
    # was UnicodeDecodeError
    assert bundle_problems(tmp_path, build_zip(files)) == [
        "challenge.yaml, pages.overview: 'pages/overview.md' is not UTF-8 text "
        "(invalid start byte at byte 0)"
    ]


def test_an_event_split_over_a_column_with_a_missing_event_id_is_a_problem(tmp_path):
    files = [
        Entry(
            e.name,
            e.content.replace(b"\n2,", b"\n,", 1) if e.name == "data/truth.csv" else e.content,
        )
        for e in bundle_files()
    ]
    # was TypeError (numpy sorting a float NaN among the event ids)
    (problem,) = bundle_problems(tmp_path, build_zip(files))
    assert "phases[1].solution: truth.csv: split column 'event_id' must hold an event id" in problem


def test_a_challenge_yaml_that_is_a_folder_is_a_problem(tmp_path):
    archive = build_zip([Entry("challenge.yaml/notes.txt", b"x")])
    # was IsADirectoryError
    assert bundle_problems(tmp_path, archive) == [
        "bundle.zip: no challenge.yaml at the top of the zip"
    ]
