"""Data files: listing with checksums, streamed downloads, hidden files look missing."""

from __future__ import annotations

import hashlib

from fivesigma.challenges.models import DataFile


def _body(reply) -> bytes:
    return b"".join(reply.streaming_content)


def test_file_list_has_public_files_with_sizes_and_checksums(site, anonymous):
    listed = anonymous.get("/api/challenges/tiny-higgs/files/").json()
    assert [f["name"] for f in listed] == ["test.csv"]
    content = (site.bundle / "data" / "test.csv").read_bytes()
    assert listed[0]["size"] == len(content)
    assert listed[0]["sha256"] == hashlib.sha256(content).hexdigest()


def test_download_streams_the_file(site, anonymous):
    entry = anonymous.get("/api/challenges/tiny-higgs/files/").json()[0]
    reply = anonymous.get(entry["download_url"])
    assert reply.status_code == 200
    assert reply.streaming
    body = _body(reply)
    assert hashlib.sha256(body).hexdigest() == entry["sha256"] == reply["X-Checksum-SHA256"]
    assert "attachment" in reply["Content-Disposition"]


def test_hidden_solution_cannot_be_downloaded_by_participants(
    site, anonymous, alice_api, organiser_api
):
    solution = DataFile.objects.get(role=DataFile.SOLUTION, phase=site.phase)
    url = f"/api/challenges/tiny-higgs/files/{solution.pk}/download/"
    assert anonymous.get(url).status_code == 404
    assert alice_api.get(url).status_code == 404
    assert organiser_api.get(url).status_code == 200
    assert anonymous.get("/api/challenges/tiny-higgs/files/999999/download/").status_code == 404


def test_file_of_another_challenge_is_not_served_under_this_one(site, anonymous, tmp_path):
    from tests.builders.challenges import load_site_challenge

    other = load_site_challenge(tmp_path, slug="other-higgs")
    foreign = DataFile.objects.get(challenge=other.challenge, role=DataFile.PUBLIC)
    assert (
        anonymous.get(f"/api/challenges/tiny-higgs/files/{foreign.pk}/download/").status_code == 404
    )
