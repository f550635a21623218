"""Safe unpacking of submission zips: every trick is refused before anything leaves the destination."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from fivesigma.runner.unpack import SubmissionRejected, unpack_submission
from tests.builders.submissions import make_zip

MB = 1024 * 1024
CAPS = {"max_files": 50, "max_bytes": 4 * MB}


def unpack(zip_path: Path, tmp_path: Path, **caps) -> Path:
    return unpack_submission(zip_path, tmp_path / "dest", **{**CAPS, **caps})


def zip_with_info(
    path: Path, info: zipfile.ZipInfo, data: bytes, extra: dict | None = None
) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
        archive.writestr(info, data)
    return path


def test_a_normal_zip_unpacks_readable_by_everyone(tmp_path):
    path = make_zip(
        tmp_path / "a.zip", {"submission.py": "x = 1\n", "weights/w.npy": b"\x00" * 100}
    )
    model_dir = unpack(path, tmp_path)
    assert model_dir == tmp_path / "dest"
    assert (model_dir / "submission.py").read_text() == "x = 1\n"
    assert stat.S_IMODE((model_dir / "weights" / "w.npy").stat().st_mode) == 0o644
    assert stat.S_IMODE((model_dir / "weights").stat().st_mode) == 0o755


def test_a_single_zipped_folder_is_the_model_dir(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"team/submission.py": "", "team/helper.py": ""})
    assert unpack(path, tmp_path) == tmp_path / "dest" / "team"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../evil.py", "points outside the archive"),
        ("weights/../../evil.py", "points outside the archive"),
        ("..\\evil.py", "points outside the archive"),
        ("/etc/evil.py", "has an absolute path"),
        ("C:/evil.py", "has an absolute path"),
    ],
)
def test_paths_leaving_the_archive_are_refused(tmp_path, name, expected):
    path = make_zip(tmp_path / "a.zip", {"submission.py": "", name: "boom"})
    with pytest.raises(SubmissionRejected, match=expected):
        unpack(path, tmp_path)
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "dest").exists()


def test_symbolic_links_are_refused(tmp_path):
    link = zipfile.ZipInfo("data")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = zip_with_info(tmp_path / "a.zip", link, b"/work/main/phase/truth", {"submission.py": ""})
    with pytest.raises(SubmissionRejected, match="'data' is a symbolic link"):
        unpack(path, tmp_path)


def test_special_files_are_refused(tmp_path):
    fifo = zipfile.ZipInfo("pipe")
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    with pytest.raises(SubmissionRejected, match="not a regular file or folder"):
        unpack(zip_with_info(tmp_path / "a.zip", fifo, b""), tmp_path)


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("submission.py", "")
        with archive.open("zeros.bin", "w") as sink:
            for _ in range(64):
                sink.write(bytes(MB))
    assert path.stat().st_size < MB  # 64 MB of zeros in well under 1 MB
    with pytest.raises(
        SubmissionRejected, match=r"unpacks to 64\.0 MB, more than the 4 MB allowed"
    ):
        unpack(path, tmp_path)
    assert not (tmp_path / "dest").exists()


def test_a_zip_lying_about_its_sizes_is_refused(tmp_path):
    path = make_zip(tmp_path / "liar.zip", {"submission.py": "", "zeros.bin": bytes(8 * MB)})
    data = bytearray(path.read_bytes())
    # Declare 100 bytes instead of 8 MB in the local and central headers of zeros.bin.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.rfind(signature)
        data[start + offset : start + offset + 4] = (100).to_bytes(4, "little")
    path.write_bytes(data)
    with pytest.raises(SubmissionRejected, match="'zeros.bin' cannot be read"):
        unpack(path, tmp_path)
    assert sum(p.stat().st_size for p in (tmp_path / "dest").rglob("*") if p.is_file()) <= 100


def test_too_many_files_are_refused(tmp_path):
    path = make_zip(tmp_path / "a.zip", {f"f{i}.py": "" for i in range(51)})
    with pytest.raises(SubmissionRejected, match="holds 51 entries, more than the 50 allowed"):
        unpack(path, tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not a zip", "not a readable zip archive"),
        ({"model.py": ""}, "no submission.py at its root"),
        ({"a/submission.py": "", "b/submission.py": ""}, "no submission.py at its root"),
        ({"submission.py/x": "", "submission.py": ""}, "is inside something that is a file|twice"),
    ],
)
def test_unusable_zips_say_why(tmp_path, content, expected):
    path = tmp_path / "a.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        make_zip(path, content)
    with pytest.raises(SubmissionRejected, match=expected):
        unpack(path, tmp_path)


def test_duplicate_entries_are_refused(tmp_path):
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("submission.py", "a = 1")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("submission.py", "a = 2")
    with pytest.raises(SubmissionRejected, match="holds 'submission.py' twice"):
        unpack(path, tmp_path)
