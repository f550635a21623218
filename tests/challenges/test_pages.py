"""Challenge pages render what a participant needs: the formula, the files, the phases."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fivesigma.challenges.engine import bundles
from tests.challenges.factories import make_user, write_ams_bundle
from tests.engine.builders import add_entry, make_team


@pytest.fixture
def challenge(db, tmp_path):
    write_ams_bundle(tmp_path / "bundle")
    return bundles.load(tmp_path / "bundle")


def test_evaluation_page_renders_the_metric_formula_as_mathml(client, challenge):
    page = client.get(
        reverse("challenge-page", args=[challenge.slug, "evaluation"])
    ).content.decode()
    assert "<math" in page and "<msqrt>" in page  # AMS = sqrt(...)
    assert "unbounded" in page  # AMS has no finite best value


def test_data_page_lists_public_files_with_checksums_but_never_the_solution(client, challenge):
    page = client.get(reverse("challenge-page", args=[challenge.slug, "data"])).content.decode()
    public = challenge.files.get(name="test.csv")
    assert public.sha256[:16] in page
    assert "solution.csv" not in page


def test_overview_renders_markdown_and_the_phase_table(client, challenge):
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert "<strong>tiny</strong>" in page
    assert "Submit" in page  # the phase is open


def test_unknown_page_is_404(client, challenge):
    assert (
        client.get(reverse("challenge-page", args=[challenge.slug, "secrets"])).status_code == 404
    )


def test_api_docs_load_their_scripts_from_this_site(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


# -- the team page: only actions the engine accepts are offered ---------------------------


def offered(client, challenge) -> set[str]:
    page = client.get(reverse("team", args=[challenge.slug])).content.decode()
    return set(re.findall(r'name="action" value="(\w+)"', page))


def post_action(client, challenge, action: str, **fields) -> list[str]:
    reply = client.post(reverse("team", args=[challenge.slug]), {"action": action, **fields})
    return [(m.level_tag, str(m)) for m in get_messages(reply.wsgi_request)]


@pytest.fixture
def alice(client, challenge):
    user = make_user("alice")
    client.force_login(user)
    return user


def test_without_a_team_create_and_join_are_offered(client, challenge, alice):
    assert offered(client, challenge) == {"create", "join"}
    assert post_action(client, challenge, "create", name="Muons") == [("success", "Team created.")]


def test_in_a_team_only_its_actions_are_offered_and_each_is_accepted(client, challenge, alice):
    make_team(challenge, "Muons", members=[alice])
    page = client.get(reverse("team", args=[challenge.slug])).content.decode()
    assert offered(client, challenge) == {"leave"}
    assert 'id="invite-code"' in page and "Muons" in page
    assert post_action(client, challenge, "leave") == [("success", "You left the team.")]
    assert offered(client, challenge) == {"create", "join"}


def test_a_full_team_offers_no_invitation(client, challenge, alice):
    others = [make_user(f"member{k}") for k in range(challenge.max_team_size - 1)]
    make_team(challenge, "Full", members=[alice, *others])
    page = client.get(reverse("team", args=[challenge.slug])).content.decode()
    assert 'id="invite-code"' not in page and 'id="team-full"' in page


def test_a_team_with_submissions_offers_no_leaving(client, challenge, alice):
    team = make_team(challenge, "Muons", members=[alice])
    add_entry(challenge.phases.get(key="main"), team, public=1.0)
    page = client.get(reverse("team", args=[challenge.slug])).content.decode()
    assert offered(client, challenge) == set()
    assert 'id="team-stays"' in page and 'id="invite-code"' in page
    # what is not offered would indeed be refused
    assert post_action(client, challenge, "leave")[0][0] == "error"


# -- the data page: full checksums and a file for sha256sum -c ---------------------------


def public_files(challenge) -> list:
    return [f for f in challenge.files.all() if f.is_public]


def test_data_page_shows_every_full_checksum_and_links_the_sums_file(client, challenge):
    page = client.get(reverse("challenge-page", args=[challenge.slug, "data"])).content.decode()
    for data_file in public_files(challenge):
        assert f">{data_file.sha256}</code>" in page
        assert f'data-copy="{data_file.sha256}"' in page
    assert reverse("data-checksums", args=[challenge.slug]) in page


def test_the_sums_file_checks_the_downloaded_files_with_sha256sum(client, challenge, tmp_path):
    reply = client.get(reverse("data-checksums", args=[challenge.slug]))
    assert reply["Content-Disposition"] == 'attachment; filename="SHA256SUMS"'
    (tmp_path / "SHA256SUMS").write_bytes(reply.content)
    public = public_files(challenge)
    assert len(reply.content.decode().splitlines()) == len(public) > 0
    for data_file in public:
        download = client.get(reverse("download-file", args=[challenge.slug, data_file.pk]))
        name = re.search(r'filename="([^"]+)"', download["Content-Disposition"]).group(1)
        (tmp_path / name).write_bytes(b"".join(download.streaming_content))
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(public)
    # and it does catch a changed file
    (tmp_path / name).write_bytes(b"not the published bytes")
    assert (
        subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True
        ).returncode
        == 1
    )


def test_the_sums_file_never_lists_the_hidden_solution(client, challenge):
    listing = client.get(reverse("data-checksums", args=[challenge.slug])).content.decode()
    assert "solution" not in listing
    hidden = [f.sha256 for f in challenge.files.all() if not f.is_public]
    assert hidden and not any(h in listing for h in hidden)
