"""Challenge pages render what a participant needs: the formula, the files, the phases."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from fivesigma.challenges.engine import bundles
from tests.builders.higgsml_files import write_ams_bundle
from tests.builders.submissions import add_entry
from tests.builders.users import make_team, make_user


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


# -- accounts: sign-up with a verified e-mail address, password reset ---------------------

SIGNUP = {
    "username": "dora",
    "email": "dora@example.org",
    "password1": "a-long-test-password",
    "password2": "a-long-test-password",
}


def link_in(message) -> str:
    """The path of the one link of this site in an e-mail."""
    (url,) = re.findall(r"https?://testserver(/\S+)", message.body)
    return url


def test_sign_up_sends_a_link_that_activates_the_account_once(client, db, mailoutbox):
    page = client.post(reverse("signup"), SIGNUP)
    assert page.status_code == 200 and b"dora@example.org" in page.content
    user = get_user_model().objects.get(username="dora")
    assert user.email == "dora@example.org" and not user.is_active
    assert not client.login(username="dora", password=SIGNUP["password1"])  # not before the link
    (message,) = mailoutbox
    assert message.to == ["dora@example.org"]
    link = link_in(message)

    followed = client.get(link)
    assert followed.status_code == 302 and followed["Location"] == reverse("home")
    assert get_user_model().objects.get(username="dora").is_active
    assert client.get(reverse("profile")).status_code == 200  # logged in by the link
    client.logout()
    assert client.get(link).status_code == 400  # used up
    assert client.login(username="dora", password=SIGNUP["password1"])


def test_an_altered_link_activates_nothing(client, db, mailoutbox):
    client.post(reverse("signup"), SIGNUP)
    uid, token = link_in(mailoutbox[0]).strip("/").split("/")[-2:]
    altered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.get(reverse("verify-email", args=[uid, altered])).status_code == 400
    assert client.get(reverse("verify-email", args=["zzzz", token])).status_code == 400
    assert not get_user_model().objects.get(username="dora").is_active


def test_the_link_leads_to_next_on_this_site_only(client, db, mailoutbox):
    client.post(reverse("signup") + "?next=/c/somewhere/", SIGNUP)
    assert client.get(link_in(mailoutbox[0]))["Location"] == "/c/somewhere/"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"email": ""}, "This field is required."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": "TAKEN@example.org"}, "exists already"),
    ],
)
def test_sign_up_needs_an_unused_e_mail_address(client, db, mailoutbox, change, complaint):
    make_user("taken", email="taken@example.org")
    page = client.post(reverse("signup"), {**SIGNUP, **change}).content.decode()
    assert complaint in page
    assert not get_user_model().objects.filter(username="dora").exists() and mailoutbox == []


def test_password_reset_end_to_end(client, db, mailoutbox):
    make_user("erin", password="the-old-password-1", email="erin@example.org")
    sent = client.post(reverse("password_reset"), {"email": "erin@example.org"})
    assert sent.status_code == 302
    (message,) = mailoutbox
    assert message.to == ["erin@example.org"] and "fivesigma" in message.subject
    form = client.get(link_in(message), follow=True)  # Django swaps the token for a session
    assert b'name="new_password1"' in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-password-2", "new_password2": "a-new-password-2"},
        follow=True,
    )
    assert b'id="reset-complete"' in done.content
    assert client.login(username="erin", password="a-new-password-2")
    assert not client.login(username="erin", password="the-old-password-1")
    client.logout()
    again = client.get(link_in(message), follow=True)  # a used link is refused
    assert b'id="reset-link-invalid"' in again.content


def test_password_reset_of_an_unknown_address_sends_nothing(client, db, mailoutbox):
    reply = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert b'id="reset-sent"' in reply.content and mailoutbox == []


@pytest.mark.parametrize(
    "name",
    ["login", "signup", "password_reset", "password_reset_done", "password_reset_complete"],
)
def test_account_pages_use_the_site_layout(client, db, name):
    page = client.get(reverse(name)).content.decode()
    assert 'class="topbar"' in page and "fivesigma/site.css" in page
    assert "admin" not in page.lower()  # not the admin site's look
