"""Downloads by byte range (RFC 9110), on local disk and on S3: what an interrupted download
needs to resume. The expected bytes are slices of the bundle's own file."""

from __future__ import annotations

import hashlib

import pytest
from django.conf import settings

from fivesigma.challenges.engine import intake
from fivesigma.challenges.models import DataFile
from tests.builders.challenges import load_site_challenge
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import upload
from tests.s3 import S3_BACKEND, s3_storage

__all__ = ["s3_storage"]


@pytest.fixture(params=["local", "s3"])
def storage_site(request, db, tmp_path):
    """The tiny challenge with its files on local disk, then on S3 (moto's mock)."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return load_site_challenge(tmp_path)


def public_file_of(site) -> tuple[DataFile, bytes]:
    data_file = DataFile.objects.get(challenge=site.challenge, role=DataFile.PUBLIC)
    content = (site.bundle / "data" / "test.csv").read_bytes()
    assert len(content) > 100
    return data_file, content


@pytest.fixture
def public_file(storage_site):
    """The public file, on either storage (for what reads the stored bytes)."""
    return public_file_of(storage_site)


@pytest.fixture
def local_file(site):
    """The public file on local disk (for what does not depend on the storage)."""
    return public_file_of(site)


def url_of(data_file: DataFile) -> str:
    return f"/api/challenges/tiny-higgs/files/{data_file.pk}/download/"


def body(reply) -> bytes:
    return b"".join(reply.streaming_content)


def test_whole_file_says_it_takes_ranges_and_is_tagged_by_its_checksum(public_file, anonymous):
    data_file, content = public_file
    reply = anonymous.get(url_of(data_file))
    assert reply.status_code == 200
    assert body(reply) == content
    assert reply["Accept-Ranges"] == "bytes"
    assert reply["Content-Length"] == str(len(content))
    assert reply["ETag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    assert "Content-Range" not in reply
    if settings.STORAGES["default"] == S3_BACKEND:
        with pytest.raises(NotImplementedError):
            data_file.file.path  # noqa: B018 - the bytes are not on this machine


# (Range header, first byte, last byte); a negative first byte counts from the end.
ONE_RANGE = [
    ("bytes=0-9", 0, 9),
    ("bytes=10-", 10, None),
    ("bytes=-7", -7, None),
    ("bytes=5-99999999", 5, None),  # an end past the file is cut to it
    ("bytes = 3-4", 3, 4),
]
PAST_THE_END = ["bytes={size}-", "bytes={size}-{twice}", "bytes=-0"]
NOT_SERVED = ["bytes=0-1,4-5", "items=0-3", "bytes=9-3", "bytes=-", "bytes=a-b", "bytes=0-1-2"]


def test_one_range_is_sent_as_partial_content(public_file, anonymous):
    data_file, content = public_file
    size = len(content)
    for header, first, last in ONE_RANGE:
        start = first % size
        stop = size if last is None else last + 1
        reply = anonymous.get(url_of(data_file), HTTP_RANGE=header)
        assert reply.status_code == 206, header
        assert body(reply) == content[start:stop], header
        assert reply["Content-Range"] == f"bytes {start}-{stop - 1}/{size}", header
        assert reply["Content-Length"] == str(stop - start), header
        assert reply["Accept-Ranges"] == "bytes", header


def test_a_range_past_the_end_is_refused_with_the_size(public_file, anonymous):
    data_file, content = public_file
    size = len(content)
    for header in PAST_THE_END:
        reply = anonymous.get(
            url_of(data_file), HTTP_RANGE=header.format(size=size, twice=2 * size)
        )
        assert reply.status_code == 416, header
        assert reply["Content-Range"] == f"bytes */{size}", header
        assert reply["Accept-Ranges"] == "bytes", header


def test_a_range_it_does_not_serve_gets_the_whole_file(local_file, anonymous):
    data_file, content = local_file
    for header in NOT_SERVED:
        reply = anonymous.get(url_of(data_file), HTTP_RANGE=header)
        assert reply.status_code == 200, header
        assert body(reply) == content, header


def test_if_range_with_another_tag_sends_the_whole_file(local_file, anonymous):
    """The client's part came from another version of the file: resuming would mix them."""
    data_file, content = local_file
    tag = f'"{hashlib.sha256(content).hexdigest()}"'
    same = anonymous.get(url_of(data_file), HTTP_RANGE="bytes=20-", HTTP_IF_RANGE=tag)
    assert same.status_code == 206 and body(same) == content[20:]
    other = anonymous.get(
        url_of(data_file), HTTP_RANGE="bytes=20-", HTTP_IF_RANGE='"' + "0" * 64 + '"'
    )
    assert other.status_code == 200 and body(other) == content
    dated = anonymous.get(
        url_of(data_file), HTTP_RANGE="bytes=20-", HTTP_IF_RANGE="Wed, 21 Oct 2015 07:28:00 GMT"
    )
    assert dated.status_code == 200 and body(dated) == content


def test_a_range_is_only_for_get(local_file, anonymous):
    data_file, _ = local_file
    reply = anonymous.head(url_of(data_file), HTTP_RANGE="bytes=0-9")
    assert reply.status_code == 200


def test_the_page_download_takes_ranges_too(local_file, client):
    data_file, content = local_file
    reply = client.get(f"/c/tiny-higgs/files/{data_file.pk}/", HTTP_RANGE="bytes=-11")
    assert reply.status_code == 206
    assert body(reply) == content[-11:]
    assert "attachment" in reply["Content-Disposition"]


def test_a_submission_file_download_takes_ranges(storage_site, client):
    content = noisy_submission(storage_site.solution)
    submission = intake.submit(storage_site.phase, storage_site.alice, upload("mine.csv", content))
    client.force_login(storage_site.alice)
    reply = client.get(f"/s/{submission.uid}/file/", HTTP_RANGE="bytes=4-40")
    assert reply.status_code == 206
    assert body(reply) == content[4:41]
    assert reply["ETag"] == f'"{hashlib.sha256(content).hexdigest()}"'
