"""Rate limits: the API answers 429 in its own error shape; sign-in locks out after failures."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from cluetrain.api.services import do_create_token
from tests.conftest import PASSWORD, Cast


@pytest.fixture(autouse=True)
def fresh_counts(settings: Any, db: None) -> None:
    settings.API_RATE = "3/min"
    settings.API_ANON_RATE = "2/min"
    caches["ratelimit"].clear()


def get(path: str, secret: str | None = None, address: str = "203.0.113.5") -> Any:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return Client(REMOTE_ADDR=address).get(path, headers=headers)


def test_a_token_holder_gets_429_with_retry_after_past_the_rate(cast: Cast) -> None:
    secret = do_create_token(cast.member, cast.acme, "tests")[1]
    assert [get("/api/voices", secret).status_code for _ in range(3)] == [200, 200, 200]
    refused = get("/api/voices", secret)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "Too many requests" in error["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_one_persons_limit_does_not_slow_down_another(cast: Cast) -> None:
    first = do_create_token(cast.member, cast.acme, "tests")[1]
    second = do_create_token(cast.mentor, cast.acme, "tests")[1]
    for _ in range(3):
        get("/api/voices", first)
    assert get("/api/voices", first).status_code == 429
    assert get("/api/voices", second).status_code == 200


def test_a_persons_tokens_share_one_allowance(cast: Cast) -> None:
    first = do_create_token(cast.member, cast.acme, "one")[1]
    second = do_create_token(cast.member, cast.acme, "two")[1]
    for _ in range(3):
        get("/api/voices", first)
    assert get("/api/voices", second).status_code == 429


def test_the_session_counts_against_the_same_allowance(cast: Cast) -> None:
    browser = cast.client(cast.member)
    assert [browser.get("/api/voices").status_code for _ in range(3)] == [200, 200, 200]
    assert browser.get("/api/voices").status_code == 429


def test_sign_in_locks_out_after_the_failure_limit_even_with_the_right_password(
    cast: Cast, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        response = client.post(
            "/accounts/login/", {"username": cast.member.email, "password": "wrong"}
        )
    assert response.status_code == 429
    right = client.post("/accounts/login/", {"username": cast.member.email, "password": PASSWORD})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_per_person_and_address(cast: Cast, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        attacker.post("/accounts/login/", {"username": cast.member.email, "password": "wrong"})
    # The real person, from their own address, can still sign in: a stranger cannot lock
    # everyone out by guessing at their e-mail address.
    colleague = Client(REMOTE_ADDR="198.51.100.7")
    response = colleague.post(
        "/accounts/login/", {"username": cast.member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
