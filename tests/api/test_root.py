"""/api/ answers with the API's root: a link to every entry point and to the docs."""

from __future__ import annotations

from urllib.parse import urlsplit

from fivesigma.challenges.engine import intake, visibility
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import upload


def path_of(url: str) -> str:
    return urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")


def test_the_root_links_to_the_docs_and_every_entry_point(site, anonymous, alice_api):
    reply = anonymous.get("/api/")
    assert reply.status_code == 200
    root = reply.json()
    assert urlsplit(root["docs"]).path == "/api/docs/"
    assert root["docs"].startswith("http://testserver/")  # absolute, to follow as they are
    assert anonymous.get(path_of(root["docs"])).status_code == 200
    assert anonymous.get(path_of(root["schema"])).status_code == 200
    assert anonymous.get(path_of(root["challenges"])).json()["count"] == 1
    assert alice_api.get(path_of(root["me"])).json()["username"] == site.alice.username
    assert anonymous.post(path_of(root["token"]), {}).status_code == 400  # needs credentials


def test_every_template_of_the_root_leads_to_an_answering_endpoint(site, anonymous, alice_api):
    submission = intake.submit(
        site.phase, site.alice, upload("mine.csv", noisy_submission(site.solution))
    )
    values = {
        "slug": site.challenge.slug,
        "key": site.phase.key,
        "uid": str(submission.uid),
        "id": str(visibility.downloadable_files(site.alice, site.challenge)[0].pk),
    }
    templates = anonymous.get("/api/").json()["templates"]
    assert set(templates) >= {"challenge", "phase", "leaderboard", "submissions", "files"}
    for name, template in templates.items():
        url = path_of(template)
        for field, value in values.items():
            url = url.replace("{" + field + "}", value)
        assert "{" not in url, name
        reply = alice_api.get(url)
        # final_choice only takes POST; every other template answers a GET
        assert reply.status_code == (405 if name == "final_choice" else 200), (name, url)


def test_the_root_is_in_the_schema(site, anonymous):
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/" in schema["paths"]
