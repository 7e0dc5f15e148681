"""Who is calling: a personal API token (scripts) or a browser session (signed-in people)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from cluetrain.api import services
from cluetrain.organizations.models import Organization, Person


@dataclass(frozen=True)
class Caller:
    """The person an API request acts as, and the one organisation it acts in."""

    person: Person
    organization: Organization


# Requests that change nothing although they are POSTs: a read-only token may make them.
READING_POSTS = frozenset({"/api/guidelines/check"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerToken(HttpBearer):
    """``Authorization: Bearer ct_…``: a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = services.authenticate_token(token.strip())
        if found is None:
            # A token that was sent but refused is answered as such, not tried as a session.
            raise AuthenticationError(
                401,
                "That API token is not valid: it is unknown, revoked or expired, or its person "
                "is no longer a member of its organisation (or holds none of the token's roles).",
            )
        if (
            found.read_only
            and request.method not in SAFE_METHODS
            and request.path not in READING_POSTS
        ):
            raise AuthorizationError(
                403, "This API token may only read; use a token without the read-only scope."
            )
        return Caller(found.person, found.organization)


class Session(APIKeyCookie):
    """A signed-in person's browser session, in the organisation chosen in the switcher.

    The CSRF check applies to signed-in people only (a cookie-less script has no session to
    forge with), and only to unsafe methods, as Django's own middleware does.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(
                403,
                "The CSRF check failed: send the csrftoken cookie's value in an X-CSRFToken "
                "header, or use an API token instead of the session.",
            )
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if not request.user.is_authenticated:
            return None
        organization = getattr(request, "organization", None)
        if organization is None:
            raise AuthorizationError(403, "You are not a member of any organisation yet.")
        return Caller(request.user, organization)


def caller(request: HttpRequest) -> Caller:
    """The authenticated caller of an API view (every view requires one)."""
    return cast(Caller, request.auth)  # type: ignore[attr-defined]
