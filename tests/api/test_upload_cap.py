"""The API refuses an upload past the size limit while it streams, as the submit page does."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from fivesigma.challenges.models import Submission


def test_oversized_api_upload_is_refused_with_the_limit(db, settings, client, tmp_path):
    from fivesigma.challenges.engine import bundles
    from tests.builders.higgsml_files import write_ams_bundle
    from tests.builders.users import make_user

    write_ams_bundle(tmp_path / "bundle")
    challenge = bundles.load(tmp_path / "bundle")
    settings.FIVESIGMA_MAX_UPLOAD_BYTES = 1000
    client.force_login(make_user("ivan"))
    big = SimpleUploadedFile("big.csv", b"EventId,RankOrder,Class\n" + b"1,1,s\n" * 1000)
    response = client.post(
        f"/api/challenges/{challenge.slug}/phases/main/submissions/", {"file": big}
    )
    assert response.status_code == 400
    assert "limit" in response.json()["detail"].lower()
    assert Submission.objects.count() == 0
