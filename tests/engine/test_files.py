"""Stored files read back on a machine of their own: byte ranges from any storage, and the
checksum-keyed local copies that workers read when the files live on S3 (moto's mock)."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage

from fivesigma.challenges.engine import bundles, solutions, stored_files
from fivesigma.challenges.models import DataFile
from tests.builders.trackml_files import write_tracking_bundle
from tests.s3 import s3_storage

__all__ = ["s3_storage"]


@pytest.fixture(params=["local", "s3"])
def storage(request):
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


class Stored:
    """A FieldFile-like handle on a name in the default storage (what DataFile.file gives)."""

    def __init__(self, name: str):
        self.name, self.storage = name, default_storage

    @property
    def path(self) -> str:
        return self.storage.path(self.name)


def store_bytes(content: bytes, name: str = "challenges/x/data/events.bin") -> tuple[Stored, str]:
    stored, sha, size = stored_files.store(io.BytesIO(content), name)
    assert (sha, size) == (hashlib.sha256(content).hexdigest(), len(content))
    return Stored(stored), sha


def random_bytes(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_byte_ranges_across_chunks_are_the_slices_of_the_file(storage):
    content = random_bytes(2 * stored_files.CHUNK + 12345)
    stored, _ = store_bytes(content)
    spans = [
        (0, len(content)),
        (stored_files.CHUNK - 10, 2 * stored_files.CHUNK + 5),
        (7, 8),
        (9, 9),
    ]
    for start, stop in spans:
        with stored_files.StoredFile(stored) as reader:
            assert reader.size == len(content)
            reader.select(start, stop)
            chunks = list(reader)
        assert b"".join(chunks) == content[start:stop], (start, stop)
        assert all(len(chunk) <= stored_files.CHUNK for chunk in chunks)


def test_a_range_outside_the_file_is_refused(storage):
    stored, _ = store_bytes(b"0123456789")
    with stored_files.StoredFile(stored) as reader:
        for start, stop in [(-1, 3), (4, 3), (0, 11)]:
            with pytest.raises(ValueError, match="not within 0-10"):
                reader.select(start, stop)


def test_on_local_disk_a_worker_reads_the_stored_file_itself(settings):
    stored, sha = store_bytes(b"a,b\n1,2\n")
    assert stored_files.local_path(stored, sha) == Path(default_storage.path(stored.name))
    assert not (settings.DATA_DIR / "cache").exists()


def test_on_s3_a_worker_reads_a_checked_copy_under_its_own_data_dir(s3_storage, settings):
    content = random_bytes(stored_files.CHUNK + 99, seed=1)
    stored, sha = store_bytes(content)
    copy = stored_files.local_path(stored, sha)
    assert copy == settings.DATA_DIR / "cache" / sha / "events.bin"
    assert copy.read_bytes() == content
    assert stat.S_IMODE(copy.stat().st_mode) == 0o644  # the sandbox user reads inputs
    assert sorted(p.name for p in copy.parent.iterdir()) == ["events.bin"]  # no part left
    default_storage.delete(stored.name)
    assert (
        stored_files.local_path(stored, sha) == copy
    )  # fetched once: the store is not asked again


def test_on_s3_a_copy_with_the_wrong_checksum_is_refused_and_not_kept(s3_storage, settings):
    stored, sha = store_bytes(b"EventId,Class\n1,s\n")
    recorded = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(stored_files.StoredFileCorrupt, match=f"SHA-256 {sha}, not the {recorded}"):
        stored_files.local_path(stored, recorded)
    assert list((settings.DATA_DIR / "cache" / recorded).iterdir()) == []


def test_on_s3_the_sandbox_input_directory_holds_exactly_the_inputs(s3_storage, db, tmp_path):
    bundle = tmp_path / "bundle"
    write_tracking_bundle(bundle)
    phase = bundles.load(bundle).phases.get()
    inputs = DataFile.objects.filter(phase=phase, role=DataFile.INPUT)
    assert inputs.count() == 6
    directory = solutions.input_directory(phase)
    assert directory.is_relative_to(tmp_path / "cache")
    expected = {p.name: p.read_bytes() for p in (bundle / "data" / "test").iterdir()}
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == expected
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o444 == 0o444 for p in directory.iterdir())
    assert stat.S_IMODE(directory.stat().st_mode) & 0o555 == 0o555


def test_on_s3_a_reloaded_input_reaches_the_sandbox_and_a_dropped_one_leaves_it(
    s3_storage, db, tmp_path
):
    bundle = tmp_path / "bundle"
    write_tracking_bundle(bundle)
    phase = bundles.load(bundle).phases.get()
    before = solutions.input_directory(phase)
    hits = bundle / "data" / "test" / "event000001000-hits.csv"
    hits.write_bytes(hits.read_bytes() + b"")  # unchanged: the same directory
    assert solutions.input_directory(phase) == before
    hits.write_text(hits.read_text().replace(",8,", ",9,"))  # another volume id
    (bundle / "data" / "test" / "event000001002-cells.csv").unlink()
    bundles.load(bundle)
    after = solutions.input_directory(phase)
    expected = {p.name: p.read_bytes() for p in (bundle / "data" / "test").iterdir()}
    assert {p.name: p.read_bytes() for p in after.iterdir()} == expected
    assert len(expected) == 5


def test_place_links_or_copies_whole_files(tmp_path):
    source = tmp_path / "source.csv"
    source.write_bytes(b"hit_id,x\n1,2.5\n")
    target = tmp_path / "placed.csv"
    stored_files.place(source, target)
    assert target.read_bytes() == source.read_bytes()
    stored_files.place(tmp_path / "missing", target)  # present already: left as it is
    assert target.read_bytes() == source.read_bytes()


def test_place_copies_across_file_systems(tmp_path, monkeypatch):
    def cross_device(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(stored_files.os, "link", cross_device)
    source = tmp_path / "source.csv"
    source.write_bytes(b"hit_id,x\n1,2.5\n")
    target = tmp_path / "placed.csv"
    stored_files.place(source, target)
    assert target.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["placed.csv", "source.csv"]
