import gzip
import io
import zipfile

import pandas as pd
import pytest

from fivesigma.scoring.csv_reader import read_csv
from fivesigma.scoring.validation import SubmissionError

TEXT = "EventId,RankOrder,Class\n1,2,s\n2,1,b\n"
EXPECTED = pd.DataFrame({"EventId": [1, 2], "RankOrder": [2, 1], "Class": ["s", "b"]})


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


class OnlyRead:
    """A stream that can only be read forward, as some uploads are."""

    def __init__(self, data: bytes):
        self._stream = io.BytesIO(data)

    def read(self, size=-1):
        return self._stream.read(size)


@pytest.mark.parametrize(
    "payload",
    [
        TEXT.encode(),
        gzip.compress(TEXT.encode()),
        _zip({"predictions.csv": TEXT}),
        _zip({"__MACOSX/._predictions.csv": "junk", "dir/predictions.csv": TEXT}),
        b"\xef\xbb\xbf" + TEXT.encode(),  # UTF-8 byte order mark
    ],
    ids=["plain", "gzip", "zip", "zip-with-finder-junk", "bom"],
)
@pytest.mark.parametrize("wrap", [io.BytesIO, OnlyRead], ids=["seekable", "forward-only"])
def test_reads_plain_gzip_and_zip_from_any_stream(payload, wrap):
    pd.testing.assert_frame_equal(read_csv(wrap(payload), "upload"), EXPECTED)


def test_reads_a_path_by_content_not_suffix(tmp_path):
    path = tmp_path / "submission.csv"  # gzip content behind a .csv name
    path.write_bytes(gzip.compress(TEXT.encode()))
    pd.testing.assert_frame_equal(read_csv(path), EXPECTED)


def test_zip_with_two_tables_is_refused():
    with pytest.raises(SubmissionError, match=r"exactly one \.csv file; it holds a\.csv, b\.csv"):
        read_csv(io.BytesIO(_zip({"a.csv": TEXT, "b.csv": TEXT})), "up.zip")


def test_decompression_bomb_is_stopped():
    bomb = gzip.compress(b"EventId\n" + b"1\n" * 500_000)  # 1 MB of text from a few kB
    assert len(bomb) < 10_000
    with pytest.raises(SubmissionError, match="GiB of data once decompressed"):
        read_csv(io.BytesIO(bomb), "bomb.csv.gz", max_bytes=100_000)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "the file is empty"),
        (b"\x1f\x8b\x08\x00garbage", "damaged"),
        (b"PK\x03\x04garbage", "zip archive is damaged"),
        (b"a,b\n\xff\xfe\xfa,1\n", "not a readable CSV"),
        (b'a,b\n"1,2\n', "not a readable CSV"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(payload, message):
    with pytest.raises(SubmissionError, match=message) as error:
        read_csv(io.BytesIO(payload), "mine.csv")
    assert str(error.value).startswith("mine.csv")
