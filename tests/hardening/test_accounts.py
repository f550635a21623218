"""Accounts under attack: password guessing through the token API, the login page and the
admin's login (per account and per address, whatever X-Forwarded-For says), and ``next=``
pointing to other sites."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.builders.users import make_user

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def fresh_counts():
    """Throttles and failure counts live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return make_user("alice", password=PASSWORD)


def address(i: int) -> str:
    return f"198.51.100.{i % 250 + 1}"


def token_attempt(username: str, password: str, **headers):
    return APIClient().post(
        "/api/token/", {"username": username, "password": password}, format="json", **headers
    )


def login_attempt(client: Client, username: str, password: str, path="/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


# --- the token API and X-Forwarded-For -------------------------------------------------------


def test_a_new_forwarded_for_header_each_time_does_not_escape_the_token_throttle(alice):
    """Without trusted proxies (the default) the address is the connection's: 30 guesses, each
    with a new X-Forwarded-For, from one connection are throttled after 10."""
    answers = [
        token_attempt("alice", f"guess-{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(30)
    ]
    assert answers[:10] == [400] * 10
    assert answers[10:] == [429] * 20


def test_behind_one_trusted_proxy_the_address_is_the_one_the_proxy_wrote(alice, settings):
    """With one proxy of ours, only the last X-Forwarded-For entry (the one it appended)
    counts: entries the client wrote before it change nothing; two real clients behind the
    proxy are counted apart."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    forged = [
        token_attempt(
            "alice", f"guess-{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}, 192.0.2.7"
        ).status_code
        for i in range(12)
    ]
    assert forged[:10] == [400] * 10
    assert forged[10:] == [429] * 2
    # another client behind the proxy, guessing another account: counted on its own
    other_client = token_attempt("bob", "guess", HTTP_X_FORWARDED_FOR="192.0.2.8")
    assert other_client.status_code == 400


def test_token_guessing_on_one_account_from_many_addresses_is_stopped(alice, settings):
    """Per account: past 10 failures, from 10 addresses, even the right password is refused
    (429), from a new address too; the window over, it works again."""
    settings.FIVESIGMA_LOGIN_WINDOW_S = 2
    for i in range(10):
        assert token_attempt("alice", f"guess-{i}", REMOTE_ADDR=address(i)).status_code == 400
    refused = token_attempt("alice", PASSWORD, REMOTE_ADDR=address(99))
    assert refused.status_code == 429
    assert "token" not in refused.json()
    time.sleep(2.2)
    accepted = token_attempt("alice", PASSWORD, REMOTE_ADDR=address(100))
    assert accepted.status_code == 200 and accepted.json()["token"]


# --- the login page -------------------------------------------------------------------------


def test_login_page_guessing_on_one_account_is_stopped_even_with_the_right_password(alice):
    for i in range(10):
        answer = login_attempt(Client(REMOTE_ADDR=address(i)), "alice", f"guess-{i}")
        assert answer.status_code == 200 and "correct username and password" in answer.text
    client = Client(REMOTE_ADDR=address(50))
    refused = login_attempt(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.text
    assert "_auth_user_id" not in client.session
    # another account from the same addresses is not affected
    make_user("bob", password=PASSWORD)
    assert login_attempt(Client(REMOTE_ADDR=address(0)), "bob", PASSWORD).status_code == 302


def test_login_page_guessing_from_one_address_across_accounts_is_stopped(alice, settings):
    """Per address: 50 failures over 50 usernames, then alice's right password from that
    address is refused, while alice from elsewhere logs in."""
    client = Client(REMOTE_ADDR="192.0.2.44", HTTP_X_FORWARDED_FOR="10.9.9.9")
    for i in range(settings.FIVESIGMA_LOGIN_FAILURES_PER_ADDRESS):
        assert login_attempt(client, f"user{i}", "guess").status_code == 200
    assert login_attempt(client, "alice", PASSWORD).status_code == 429
    assert login_attempt(Client(REMOTE_ADDR="192.0.2.45"), "alice", PASSWORD).status_code == 302


def test_the_admin_login_counts_and_refuses_like_the_login_page(alice):
    alice.is_staff = True
    alice.save()
    for i in range(10):
        login_attempt(Client(REMOTE_ADDR=address(i)), "alice", f"guess-{i}", path="/admin/login/")
    client = Client(REMOTE_ADDR=address(77))
    login_attempt(client, "alice", PASSWORD, path="/admin/login/")
    assert "_auth_user_id" not in client.session
    assert login_attempt(Client(), "alice", PASSWORD).status_code == 429


def test_a_right_password_under_the_limits_logs_in(alice):
    for i in range(3):
        login_attempt(Client(REMOTE_ADDR=address(i)), "alice", f"guess-{i}")
    client = Client()
    answer = login_attempt(client, "alice", PASSWORD)
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


# --- next= ----------------------------------------------------------------------------------

ELSEWHERE = [
    "https://elsewhere.example/steal",
    "//elsewhere.example/steal",
    "http:/\\elsewhere.example",
    "\\\\elsewhere.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_login_follows_next_only_to_this_site(alice, target):
    client = Client()
    page = client.get("/accounts/login/", {"next": target})
    assert "elsewhere" not in page.text and "javascript" not in page.text
    answer = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": target}
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/"


def test_login_follows_next_to_a_path_of_this_site(alice):
    answer = Client().post(
        "/accounts/login/?next=/c/tiny/leaderboard/main/",
        {"username": "alice", "password": PASSWORD},
    )
    assert answer["Location"] == "/c/tiny/leaderboard/main/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_signup_follows_next_only_to_this_site(db, target, mailoutbox):
    """Sign-up sends the activation link; the link carries ``next`` only to this site's
    paths, so following it lands on the home page."""
    answer = Client().post(
        f"/accounts/signup/?next={target}",
        {
            "username": "carol",
            "email": "carol@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert answer.status_code == 200, answer.content
    (message,) = mailoutbox
    link = re.search(r"https?://\S+", message.body).group(0)
    assert "elsewhere" not in link and "javascript" not in link, link
    followed = Client().get(link)
    assert followed.status_code == 302
    assert followed["Location"] == "/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_logout_follows_next_only_to_this_site(alice, target):
    client = Client()
    client.force_login(alice)
    answer = client.post("/accounts/logout/", {"next": target})
    assert answer.status_code == 302
    assert "elsewhere" not in answer["Location"] and "javascript" not in answer["Location"]
