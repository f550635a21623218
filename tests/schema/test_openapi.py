"""Every operation of the OpenAPI schema, fed generated requests by a participant with a token:
no request makes the server fail (500), whatever the path, query or body.

The requests go to the app in-process (WSGI). Each generated case is sent twice: as generated
(random slugs and ids, mostly answered 404) and with its path pointing at real objects (the
challenge, its open phase, the participant's own submission, a public file), so that the
generated query strings and bodies reach the code behind them. Server errors are propagated,
so a failure shows the traceback of the line that raised.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from fivesigma.challenges.engine import intake
from fivesigma.challenges.models import DataFile
from fivesigma.wsgi import application
from tests.builders.challenges import load_site_challenge
from tests.builders.higgsml_files import noisy_submission
from tests.builders.submissions import upload

MAX_EXAMPLES = 25


schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def in_process_requests(settings):
    """Server errors raise in the test; as with Django's test client, requests keep the
    test's database connection open."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, tmp_path):
    """The tiny challenge, a participant's token, and the real values of every path parameter."""
    site = load_site_challenge(tmp_path)
    mine = intake.submit(
        site.phase, site.alice, upload("alice.csv", noisy_submission(site.solution))
    )
    public_file = DataFile.objects.filter(challenge=site.challenge, phase=None).first()
    token = Token.objects.get_or_create(user=site.alice)[0].key
    real = {
        "slug": site.challenge.slug,
        "key": site.phase.key,
        "uid": str(mine.uid),
        "file_id": public_file.pk,
    }
    return {"Authorization": f"Token {token}"}, real


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_makes_a_server_error(case, world):
    headers, real = world
    cache.clear()  # rate limits would answer 429 before the code under test is reached
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
    generated = dict(case.path_parameters or {})
    if generated:
        case.path_parameters = {name: real.get(name, value) for name, value in generated.items()}
        case.call_and_validate(headers=headers, checks=[not_a_server_error])
