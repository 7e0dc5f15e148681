"""The OpenID Connect relying party: discovery, the authorisation request, code for tokens,
and checking the ID token's signature and claims.

Every address Cluetrain calls comes from an administrator (the issuer) or from the issuer's
discovery document, so each one passes ``check_public_url`` before it is called and is called
through a pinned client (``core.pinned_http``: the socket goes to the address just checked),
and redirects are not followed: a provider cannot point Cluetrain at its own network.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from cluetrain.core.errors import ServiceError
from cluetrain.core.pinned_http import pinned_client, refused_address
from cluetrain.core.urlguard import check_public_url

TIMEOUT = httpx.Timeout(10.0)
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
# Clock difference tolerated between Cluetrain and the provider when checking exp/iat.
LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class Discovery:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Pending:
    """What the browser's round trip to the provider must come back with."""

    state: str
    nonce: str
    verifier: str


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        with pinned_client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.get(check_public_url(url))
    except httpx.HTTPError as exc:
        reason = refused_address(exc) or f"{type(exc).__name__}."
        raise ServiceError(f"The provider's {what} cannot be read: {reason}") from exc
    if response.status_code != 200:
        raise ServiceError(f"The provider's {what} answered {response.status_code}.")
    try:
        body = response.json()
    except ValueError as exc:
        raise ServiceError(f"The provider's {what} is not JSON.") from exc
    if not isinstance(body, dict):
        raise ServiceError(f"The provider's {what} is not a JSON object.")
    return body


def discover(issuer: str) -> Discovery:
    """Read ``issuer``'s /.well-known/openid-configuration and check it is about that issuer."""
    issuer = check_public_url(issuer).rstrip("/")
    document = _get_json(f"{issuer}/.well-known/openid-configuration", "discovery document")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        # OpenID Connect Discovery §4.3: a document for another issuer must not be used.
        raise ServiceError(
            f"The discovery document names issuer {str(document.get('issuer'))[:200]!r}, "
            "not the address given: give the issuer exactly as the provider names it."
        )
    endpoints = {}
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(key)
        if not isinstance(value, str) or not value:
            raise ServiceError(f"The discovery document has no {key}.")
        endpoints[key] = check_public_url(value)
    if "code" not in document.get("response_types_supported", ["code"]):
        raise ServiceError("The provider does not offer the authorisation-code flow.")
    return Discovery(**endpoints)


def new_pending() -> Pending:
    return Pending(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
    )


def authorization_url(
    endpoint: str, client_id: str, redirect_uri: str, pending: Pending, login_hint: str = ""
) -> str:
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(pending.verifier.encode("ascii")).digest())
        .rstrip(b"=")
        .decode("ascii")
    )
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if login_hint:
        params["login_hint"] = login_hint
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(params)}"


def exchange_code(
    token_endpoint: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    verifier: str,
) -> str:
    """Trade the authorisation code for tokens; the ID token (a JWT, not yet checked)."""
    try:
        with pinned_client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.post(
                check_public_url(token_endpoint),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(client_id, client_secret),  # client_secret_basic: every provider has it
                headers={"Accept": "application/json"},
            )
    except httpx.HTTPError as exc:
        reason = refused_address(exc) or f"{type(exc).__name__}."
        raise ServiceError(f"The provider cannot be reached: {reason}") from exc
    if response.status_code != 200:
        raise ServiceError(
            f"The provider refused the sign-in ({response.status_code}): "
            "ask your administrator to check the client id and secret."
        )
    try:
        id_token = response.json().get("id_token")
    except (ValueError, AttributeError) as exc:
        raise ServiceError("The provider's answer is not JSON.") from exc
    if not isinstance(id_token, str) or not id_token:
        raise ServiceError("The provider sent no ID token.")
    return id_token


def verify_id_token(
    id_token: str, *, jwks_uri: str, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce check out."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as exc:
        raise ServiceError("The provider's ID token cannot be read.") from exc
    keys = jwt.PyJWKSet.from_dict(_get_json(jwks_uri, "signing keys"))
    kid = header.get("kid")
    matching = [key for key in keys.keys if kid is None or key.key_id == kid]
    if not matching:
        raise ServiceError("The ID token is signed with a key the provider does not publish.")
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            matching[0].key,
            algorithms=SIGNING_ALGORITHMS,
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise ServiceError(f"The provider's ID token is not valid ({exc}).") from exc
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise ServiceError("The ID token was not made for this sign-in (nonce): start again.")
    return claims
