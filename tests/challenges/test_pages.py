"""Challenge pages render what a participant needs: the formula, the files, the phases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fivesigma.challenges.engine import bundles
from tests.builders.higgsml_files import write_ams_bundle


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
