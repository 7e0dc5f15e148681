"""Token scopes: a token limited to reading, or to some of its person's roles, never more."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from cluetrain.api.models import ApiToken
from cluetrain.api.services import do_create_token, parse_scope
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Membership
from cluetrain.organizations.services import do_set_roles
from tests.conftest import Cast
from tests.support.api_work import assert_error, call, token
from tests.support.inbox_ui import make_conversation


def test_a_read_only_token_reads_but_changes_nothing(cast: Cast) -> None:
    secret = token(cast.director, cast.acme, read_only=True)
    c = make_conversation(cast.acme)
    assert call("get", "/api/people", secret).status_code == 200
    assert call("get", f"/api/conversations/{c.pk}", secret).status_code == 200
    # Checking a text changes nothing, although it is a POST.
    assert call("post", "/api/guidelines/check", secret, {"text": "Hello"}).status_code == 200
    refused = call("post", f"/api/conversations/{c.pk}/status", secret, {"status": "resolved"})
    assert_error(refused, 403, "not_allowed")
    c.refresh_from_db()
    assert c.status != "resolved"


def test_a_token_limited_to_a_role_acts_with_that_role_only(cast: Cast) -> None:
    mentor_only = token(cast.mentor, cast.acme, roles=["member"])
    # Reviewing is a mentor's right, not a member's.
    assert call("get", "/api/people", mentor_only).status_code == 200
    me = call("get", f"/api/people/{cast.mentor.pk}", mentor_only).json()
    assert me["roles"] == ["member", "mentor"]  # the person's roles, not the token's
    refused = call("put", f"/api/people/{cast.member.pk}/roles", mentor_only, {"roles": ["mentor"]})
    assert_error(refused, 403, "not_allowed")


def test_a_token_without_the_editing_role_cannot_read_the_rules(cast: Cast) -> None:
    # The coordinator's token may read the rules (editors only); the mentor's token limited to
    # the member role may not, whatever else the mentor holds.
    assert (
        call("get", "/api/guidelines/rules", token(cast.coordinator, cast.acme)).status_code == 200
    )
    limited = token(cast.mentor, cast.acme, roles=["member"])
    assert_error(call("get", "/api/guidelines/rules", limited), 403, "not_allowed")


def test_a_token_never_holds_more_than_its_person_at_the_moment(cast: Cast) -> None:
    secret = token(cast.mentor, cast.acme, roles=["mentor"])
    assert call("get", "/api/people", secret).status_code == 200
    membership = Membership.objects.get(person=cast.mentor, organization=cast.acme)
    do_set_roles(cast.director, membership, ["member"])
    # The token's only role is gone: it has nothing left to act with.
    assert_error(call("get", "/api/people", secret), 401, "unauthenticated")


def test_a_token_cannot_be_limited_to_roles_its_person_does_not_hold(cast: Cast) -> None:
    with pytest.raises(NotAllowed, match="director"):
        do_create_token(cast.member, cast.acme, "bot", roles=["director"])
    with pytest.raises(ServiceError, match="not a role"):
        do_create_token(cast.member, cast.acme, "bot", roles=["wizard"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", (False, [])),
        ("", (False, [])),
        ("read", (True, [])),
        ("read,member", (True, ["member"])),
        ("mentor, member", (False, ["member", "mentor"])),
    ],
)
def test_scopes_are_written_as_words(text: str, expected: tuple[bool, list[str]]) -> None:
    assert parse_scope(text) == expected


def test_an_unknown_scope_word_is_refused() -> None:
    with pytest.raises(ServiceError, match="not a scope"):
        parse_scope("read,write")


def test_the_token_command_creates_a_scoped_token_and_lists_its_scope(cast: Cast) -> None:
    out = StringIO()
    call_command(
        "token",
        "create",
        "--email",
        cast.mentor.email,
        "--org",
        "acme",
        "--name",
        "reader",
        "--scope",
        "read,member",
        stdout=out,
    )
    assert "scope read,member" in out.getvalue()
    made = ApiToken.objects.get(name="reader")
    assert (made.read_only, made.roles) == (True, ["member"])
    listing = StringIO()
    call_command("token", "list", "--org", "acme", stdout=listing)
    assert "SCOPE" in listing.getvalue()
    assert "read,member" in listing.getvalue()
