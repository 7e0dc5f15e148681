"""Connecting a Mastodon account through OAuth: register Cluetrain, send the person, get a token.

The flow, for the web views that drive it:

1. ``register_app(instance, redirect_uri)`` once per instance; store the client id and secret
   (they are secrets, like passwords).
2. ``authorize_url(...)`` with a fresh random ``state`` kept in the person's session; send the
   person there. The instance asks them to log in and approve, then redirects to
   ``redirect_uri`` with ``code`` and ``state``.
3. Check ``state``, then ``exchange_code(...)`` turns the code into the credential to store for
   the voice (what ``from_credential`` takes).

Each function raises the connector errors: ``NetworkError`` when the instance cannot be
reached or fails for now, ``CredentialsRejected`` when it refuses the app or the code,
``ContentRejected`` when it refuses what was sent (a malformed redirect URI), and
``ConnectorError`` when the address does not answer like a Mastodon server.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonError, MastodonIllegalArgumentError

from cluetrain.networks.base import ConnectorError, CredentialsRejected, NetworkError
from cluetrain.networks.mastodon.client import (
    USER_AGENT,
    Client,
    answer_error,
    error_text,
    plain_secret,
)
from cluetrain.networks.mastodon.connector import MastodonConnector

# Reading to check the account and limits, writing to post: nothing more is asked of a person.
SCOPES = ["read", "write"]
CLIENT_NAME = "Cluetrain"


@dataclass(frozen=True)
class RegisteredApp:
    """Cluetrain's registration on one instance: what the OAuth steps need."""

    api_base_url: str
    client_id: str
    client_secret: str


def register_app(
    instance: str,
    redirect_uri: str,
    *,
    client_name: str = CLIENT_NAME,
    website: str | None = None,
    timeout: float = 20.0,
) -> RegisteredApp:
    """Register Cluetrain as an app on ``instance`` (POST /api/v1/apps), scopes "read write".

    ``redirect_uri`` is where the instance sends the person back after approval; the same
    value must be given to ``authorize_url`` and ``exchange_code``. Registering again is
    harmless (it creates another app), but one registration per instance is enough.
    """
    client = Client(instance, timeout=timeout)
    try:
        # create_app neither checks the HTTP status nor keeps the answer, so the kept answer
        # is what tells a refusal (422 for a bad redirect URI) from an outage.
        client_id, client_secret = Mastodon.create_app(
            client_name,
            scopes=SCOPES,
            redirect_uris=redirect_uri,
            website=website,
            api_base_url=client.base_url,
            request_timeout=timeout,
            session=client.session,
            user_agent=USER_AGENT,
        )
    except (MastodonError, KeyError, TypeError) as exc:
        answer = client.last
        if answer is None:
            raise NetworkError(
                f"Could not reach the Mastodon server {client.host} to register Cluetrain."
            ) from exc
        raise answer_error(answer, client.host) from exc
    answer = client.last
    if answer is not None and not answer.ok:
        # A JSON body that happened to hold both keys: still not a registration.
        raise answer_error(answer, client.host)
    return RegisteredApp(
        api_base_url=client.base_url,
        client_id=plain_secret(client_id, "client id"),
        client_secret=plain_secret(client_secret, "client secret"),
    )


def authorize_url(
    app: RegisteredApp,
    redirect_uri: str,
    state: str,
    *,
    force_login: bool = True,
    language: str | None = None,
) -> str:
    """The page on the instance where the person approves Cluetrain (GET /oauth/authorize).

    ``state`` is a random value the caller keeps in the person's session and checks when they
    come back, so that nobody else's approval can be slipped in. ``force_login`` makes the
    instance ask who is logging in even if the browser is already logged in there: one person
    often connects several accounts (their own and an organisation's) on the same instance.
    ``language`` (ISO 639-1) is the language of that page; without it, the instance chooses.
    Makes no network call.
    """
    if not state:
        raise ConnectorError("An OAuth state is required to connect a Mastodon account.")
    api = Client(app.api_base_url).api
    # Mastodon serves its authorization page at /oauth/authorize in every version; skipping
    # the discovery document keeps this a pure function the views can call freely.
    url = api.auth_request_url(
        client_id=plain_secret(app.client_id, "client id"),
        redirect_uris=redirect_uri,
        scopes=SCOPES,
        force_login=force_login,
        state=state,
        lang=language,
        skip_server_info=True,
    )
    # Mastodon.py writes a missing language as the word "None"; leave the choice to Mastodon.
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not (k == "lang" and v == "None")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def exchange_code(
    app: RegisteredApp, redirect_uri: str, code: str, *, timeout: float = 20.0
) -> dict[str, str | int]:
    """Trade the ``code`` the instance sent back for an access token (POST /oauth/token).

    Returns the credential to store for the voice: ``api_base_url``, ``access_token``,
    ``client_id``, ``client_secret`` and, when the instance says, its ``max_characters`` and
    ``max_media``. A code that is wrong, expired or already used raises
    ``CredentialsRejected``; the person has to start again from ``authorize_url``.
    """
    client = Client(
        app.api_base_url,
        client_id=plain_secret(app.client_id, "client id"),
        client_secret=plain_secret(app.client_secret, "client secret"),
        timeout=timeout,
    )

    def log_in(api: Mastodon) -> str:
        try:
            return str(api.log_in(code=code, redirect_uri=redirect_uri, scopes=SCOPES))
        except MastodonIllegalArgumentError as exc:
            # log_in wraps every failure of the token request in this one error, so the
            # answer to that request (the last POST) says what actually happened.
            posted = [r for r in client.answers if r.request.method == "POST"]
            if not posted:
                raise NetworkError(
                    f"Could not reach the Mastodon server {client.host} to finish connecting."
                ) from exc
            answer = posted[-1]
            if answer.status_code in (400, 401):
                raise CredentialsRejected(_refused(error_text(answer), client.host)) from exc
            raise answer_error(answer, client.host) from exc
        except MastodonAPIError as exc:
            if "Granted scopes" not in str(exc):
                raise
            raise CredentialsRejected(
                f"The account on {client.host} did not grant Cluetrain permission to read and "
                "write; connect it again and approve both."
            ) from exc
        except (KeyError, TypeError, AttributeError) as exc:
            # A token answer without its "scope": not what a Mastodon server sends.
            raise ConnectorError(
                f"{client.host} answered the token request with something that is not an "
                "OAuth token."
            ) from exc

    token = plain_secret(client.run(log_in), "access token")
    credential: dict[str, str | int] = {
        "api_base_url": client.base_url,
        "access_token": token,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    # The composer counts characters on every keystroke without calling the network, so the
    # instance's limits travel with the credential. They are a convenience: if the instance
    # cannot say now, the defaults apply until the account is connected again.
    connector = MastodonConnector(client.base_url, token, timeout=timeout)
    try:
        rules = connector.rules()
    except CredentialsRejected:
        raise
    except ConnectorError:
        return credential
    credential["max_characters"] = rules.max_length
    credential["max_media"] = rules.max_media
    return credential


def _refused(words: str, host: str) -> str:
    said = f" ({words})" if words else ""
    return (
        f"{host} did not accept the authorisation{said}. It may have expired or been used "
        "already: connect the account again."
    )
