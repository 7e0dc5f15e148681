"""Connecting voices to real networks, and reconnecting them when a network stops accepting them.

Every function checks who may do it first, then checks the account with the network (a login,
an OAuth exchange, a signed ping), and only then stores the credential, encrypted, through
``voices.services``. When anything fails nothing is stored, and the ``ServiceError`` says what
to do about it. Addresses people type go through ``core.urlguard`` before the server calls them.

A personal voice is always the caller's own: no function here takes another owner.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.text import slugify

from cluetrain.core import crypto
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.urlguard import check_public_url
from cluetrain.networks import registry
from cluetrain.networks.base import (
    Account,
    Connector,
    ConnectorError,
    CredentialsRejected,
    NetworkError,
)
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.voices import services
from cluetrain.voices.models import Network, Voice

BLUESKY_SERVICE = "https://bsky.social"
WEBHOOK_FORMATS = ("json", "slack")
# Long enough that it cannot be guessed from the deliveries it signs.
WEBHOOK_SECRET_MIN_LENGTH = 16
# A person waits for the answer, so give up sooner than a worker would.
CONNECT_TIMEOUT = 15.0
# How long a person may take to approve Cluetrain on their Mastodon instance.
MASTODON_PENDING_SECONDS = 15 * 60
# Bluesky's scope for a session opened with the account's own password rather than an app
# password: that password also changes the e-mail address and deletes the account.
_BLUESKY_FULL_ACCESS = "com.atproto.access"


# -- who may ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """Whose voice it will be: the person's own, or an official one with its name."""

    official: bool = False
    department: Department | None = None
    name: str = ""


def _check_may_connect(person: Person, organization: Organization, plan: _Plan) -> None:
    if not plan.official:
        policy.require(person, organization, Permission.CONNECT_PERSONAL_VOICE)
        if plan.department is not None or plan.name.strip():
            raise ServiceError(
                "A personal voice carries its owner's name and belongs to no department."
            )
        return
    policy.require(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    department = plan.department
    if department is not None and department.organization_id != organization.pk:
        raise ServiceError(f"{department.name} is not part of {organization.name}.")


# -- storing ----------------------------------------------------------------------------------


def _create(
    person: Person,
    organization: Organization,
    network: str,
    handle: str,
    credential: dict[str, Any],
    plan: _Plan,
) -> Voice:
    if plan.official:
        return services.do_create_official_voice(
            person,
            organization,
            network,
            handle,
            department=plan.department,
            name=plan.name,
            credential=credential,
        )
    return services.do_connect_personal_voice(
        person, organization, network, handle, credential=credential
    )


def _stored(voice: Voice) -> dict[str, Any]:
    """The voice's credential, or {} when it cannot be read (a key that is gone)."""
    try:
        return voice.get_credential()
    except crypto.DecryptionFailed:
        return {}


def _check_same_account(voice: Voice, stored: dict[str, Any], account: Account) -> None:
    # Reconnecting renews access to the same account; another account would post under this
    # voice's name and history, so it is a new voice instead.
    known = str(stored.get("account_id") or "")
    same = (
        account.id == known
        if known
        else account.handle.removeprefix("@").casefold()
        == voice.handle.removeprefix("@").casefold()
    )
    if not same:
        raise ServiceError(
            f"Those credentials belong to {account.handle}, not to {voice.handle}. "
            "Connect that account as a voice of its own instead."
        )


def _reconnect(person: Person, voice: Voice, credential: dict[str, Any]) -> Voice:
    services.do_update_credential(person, voice, credential)
    return voice


def _free_handle(organization: Organization, network: str, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever no voice of this network uses yet."""
    base = base[:190] or network
    taken = set(
        Voice.objects.filter(
            organization=organization, network=network, handle__startswith=base
        ).values_list("handle", flat=True)
    )
    handle, number = base, 1
    while handle in taken:
        number += 1
        handle = f"{base}-{number}"
    return handle


# -- verifying with the network ---------------------------------------------------------------


def _refusal(exc: ConnectorError, network: str) -> ServiceError:
    if isinstance(exc, NetworkError):
        return ServiceError(f"{exc} Check the address, or try again in a moment.")
    if isinstance(exc, CredentialsRejected):
        return ServiceError(f"{network} refused the credentials: {exc}")
    return ServiceError(str(exc))


def _verify(connector: Connector, network: str) -> Account:
    try:
        return connector.verify()
    except ConnectorError as exc:
        raise _refusal(exc, network) from exc
    finally:
        close = getattr(connector, "close", None)
        if callable(close):
            close()


def _context(stored: list[dict[str, Any]] | None = None) -> registry.Context:
    return registry.Context(
        timeout=CONNECT_TIMEOUT, on_credential=stored.append if stored is not None else None
    )


def _address(text: str) -> str:
    """An address as people type it ("bsky.social"), as a URL."""
    text = text.strip().rstrip("/")
    return text if "://" in text else f"https://{text}"


# -- Bluesky ----------------------------------------------------------------------------------


def _check_session(session: str) -> None:
    """Refuse a Bluesky login that Cluetrain should not keep.

    The account's own password (rather than an app password) could also change the account's
    e-mail address or delete it. And the server names, in its answer, the server the account
    lives on (bsky.social hands each account to one of its hosts): that address has to pass
    the same guard as the one typed, or every later post would go where the answer said.
    """
    from atproto import Session
    from atproto_server.auth.jwt import get_jwt_payload

    try:
        parsed = Session.decode(session)
        scope = get_jwt_payload(parsed.access_jwt).scope
    except Exception:  # a session we cannot read is not evidence either way
        return
    if scope == _BLUESKY_FULL_ACCESS:
        raise ServiceError(
            "That is the account's own password. Cluetrain keeps only an app password, which "
            "can post but cannot change or delete the account: make one in Bluesky under "
            "Settings → App passwords."
        )
    if parsed.pds_endpoint:
        try:
            check_public_url(parsed.pds_endpoint)
        except ServiceError as exc:
            raise ServiceError(f"Bluesky placed this account on another server: {exc}") from exc


def _verify_bluesky(handle: str, app_password: str, service: str) -> tuple[Account, dict[str, Any]]:
    """Log in and return the account and the credential to store, with its new session."""
    handle = handle.strip().removeprefix("@")
    if not handle or any(ch.isspace() for ch in handle):
        raise ServiceError("Give the account's handle, such as alice.bsky.social.")
    if not app_password.strip():
        raise ServiceError("Give an app password: Bluesky → Settings → App passwords.")
    service = check_public_url(_address(service or BLUESKY_SERVICE)).rstrip("/")
    credential: dict[str, Any] = {
        "handle": handle,
        "app_password": app_password.strip(),
        "service": service,
    }
    sessions: list[dict[str, Any]] = []
    connector = registry.build("bluesky", credential, _context(sessions))
    try:
        account = connector.verify()
    except CredentialsRejected as exc:
        raise ServiceError(
            f"Bluesky refused {handle} with this password ({exc}); "
            "use an app password from Settings → App passwords."
        ) from exc
    except ConnectorError as exc:
        raise _refusal(exc, "Bluesky") from exc
    if sessions:
        credential = sessions[-1]
    _check_session(str(credential.get("session") or ""))
    return account, {**credential, "handle": account.handle, "account_id": account.id}


def do_connect_bluesky(
    person: Person,
    organization: Organization,
    handle: str,
    app_password: str,
    service: str = BLUESKY_SERVICE,
    *,
    official: bool = False,
    department: Department | None = None,
    name: str = "",
) -> Voice:
    """Connect a Bluesky account: logs in on ``service`` first, stores only what worked.

    The voice takes the handle the server confirms, and the credential keeps the session the
    login opened, so that the first post does not log in again.
    """
    plan = _Plan(official, department, name)
    _check_may_connect(person, organization, plan)
    account, credential = _verify_bluesky(handle, app_password, service)
    return _create(person, organization, Network.BLUESKY, account.handle, credential, plan)


def do_reconnect_bluesky(
    person: Person, voice: Voice, app_password: str, service: str = ""
) -> Voice:
    """Give a Bluesky voice a new app password; the account must stay the same.

    ``service`` defaults to the server the voice was connected through.
    """
    services.check_can_reconnect(person, voice)
    if voice.network != Network.BLUESKY:
        raise ServiceError(f"{voice.name} is not a Bluesky voice.")
    stored = _stored(voice)
    handle = str(stored.get("handle") or voice.handle)
    account, credential = _verify_bluesky(
        handle, app_password, service or str(stored.get("service") or BLUESKY_SERVICE)
    )
    _check_same_account(voice, stored, account)
    return _reconnect(person, voice, credential)


# -- Mastodon ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MastodonStart:
    """Where to send the person, and what to keep in their session until they come back.

    ``pending`` is encrypted and authenticated: it holds the app's client secret and the OAuth
    state, which must never reach the page, and cannot be altered on the way.
    """

    authorize_url: str
    pending: str


def mastodon_redirect_uri() -> str:
    """Where Mastodon instances send people back to (registered with each instance)."""
    return settings.BASE_URL + reverse("voices:mastodon_callback")


def _start_mastodon(
    person: Person, organization: Organization, instance: str, redirect_uri: str, **plan: Any
) -> MastodonStart:
    from cluetrain.networks.mastodon.client import instance_url
    from cluetrain.networks.mastodon.oauth import authorize_url, register_app

    try:
        base = instance_url(instance)
    except ConnectorError as exc:
        raise ServiceError(
            f"{exc} Give the address of the Mastodon server, such as mastodon.social."
        ) from exc
    check_public_url(base)
    try:
        app = register_app(base, redirect_uri, timeout=CONNECT_TIMEOUT)
    except ConnectorError as exc:
        raise _refusal(exc, "The Mastodon server") from exc
    state = secrets.token_urlsafe(32)
    pending = {
        "state": state,
        "person": person.pk,
        "organization": organization.pk,
        "api_base_url": app.api_base_url,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": redirect_uri,
        "expires": int(time.time()) + MASTODON_PENDING_SECONDS,
        **plan,
    }
    return MastodonStart(
        authorize_url=authorize_url(app, redirect_uri, state),
        pending=crypto.encrypt_json(pending),
    )


def start_mastodon(
    person: Person,
    organization: Organization,
    instance_url: str,
    redirect_uri: str,
    *,
    official: bool = False,
    department: Department | None = None,
    name: str = "",
) -> MastodonStart:
    """Register Cluetrain on the instance and say where the person approves it.

    Keep ``pending`` in the person's session and hand it to ``finish_mastodon`` with the
    ``code`` and ``state`` the instance sends back to ``redirect_uri``.
    """
    plan = _Plan(official, department, name)
    _check_may_connect(person, organization, plan)
    return _start_mastodon(
        person,
        organization,
        instance_url,
        redirect_uri,
        official=official,
        department=department.pk if department else None,
        name=name,
    )


def start_mastodon_reconnect(person: Person, voice: Voice, redirect_uri: str) -> MastodonStart:
    """Send the person through OAuth again for ``voice``'s instance (a revoked token)."""
    services.check_can_reconnect(person, voice)
    if voice.network != Network.MASTODON:
        raise ServiceError(f"{voice.name} is not a Mastodon voice.")
    # The API may live elsewhere than the handle's domain, so the stored address comes first.
    instance = str(_stored(voice).get("api_base_url") or voice.handle.rpartition("@")[2])
    return _start_mastodon(person, voice.organization, instance, redirect_uri, voice=voice.pk)


def _open_pending(person: Person, organization: Organization, pending: str) -> dict[str, Any]:
    try:
        data = crypto.decrypt_json(pending)
    except (crypto.DecryptionFailed, ValueError) as exc:
        raise ServiceError("This Mastodon connection cannot be read; start again.") from exc
    if data.get("person") != person.pk or data.get("organization") != organization.pk:
        raise NotAllowed("This Mastodon connection was started by someone else.")
    if int(data.get("expires", 0)) < time.time():
        raise ServiceError("This Mastodon connection took too long and has expired; start again.")
    return data


def _pending_plan(organization: Organization, data: dict[str, Any]) -> _Plan:
    department = None
    if data.get("department"):
        department = Department.objects.filter(
            pk=data["department"], organization=organization
        ).first()
        if department is None:
            raise ServiceError("The department this voice was for no longer exists.")
    return _Plan(bool(data.get("official")), department, str(data.get("name") or ""))


def finish_mastodon(
    person: Person, organization: Organization, pending: str, code: str, state: str
) -> Voice:
    """Check the instance's answer, get the token, and create or reconnect the voice.

    ``state`` must be the one ``start_mastodon`` made: a different one means the answer is
    not for the connection this person started (someone may be slipping their account in).
    """
    from cluetrain.networks.mastodon.oauth import RegisteredApp, exchange_code

    data = _open_pending(person, organization, pending)
    expected = str(data.get("state") or "").encode()
    if not expected or not hmac.compare_digest(expected, state.encode()):
        raise ServiceError(
            "The answer from Mastodon does not belong to the connection you started; "
            "nothing was connected. Start again."
        )
    if not code:
        raise ServiceError("Mastodon sent no authorisation code; start again.")
    # Roles may have changed while the person was away on the instance: ask again.
    voice, plan = None, _pending_plan(organization, data)
    if data.get("voice"):
        voice = Voice.objects.filter(pk=data["voice"], organization=organization).first()
        if voice is None:
            raise ServiceError("The voice to reconnect no longer exists.")
        services.check_can_reconnect(person, voice)
    else:
        _check_may_connect(person, organization, plan)
    app = RegisteredApp(
        api_base_url=str(data["api_base_url"]),
        client_id=str(data["client_id"]),
        client_secret=str(data["client_secret"]),
    )
    try:
        credential: dict[str, Any] = dict(
            exchange_code(app, str(data["redirect_uri"]), code, timeout=CONNECT_TIMEOUT)
        )
    except ConnectorError as exc:
        raise _refusal(exc, "The Mastodon server") from exc
    account = _verify(registry.build("mastodon", credential, _context()), "The Mastodon server")
    credential["account_id"] = account.id
    if voice is not None:
        _check_same_account(voice, _stored(voice), account)
        return _reconnect(person, voice, credential)
    return _create(person, organization, Network.MASTODON, account.handle, credential, plan)


# -- webhooks ---------------------------------------------------------------------------------


def new_webhook_secret() -> str:
    """A random secret to offer for signing a webhook's deliveries."""
    return secrets.token_urlsafe(32)


def _verify_webhook(url: str, secret: str, payload_format: str) -> tuple[str, dict[str, Any]]:
    """Ping the receiver; return its host and the credential to store."""
    if payload_format not in WEBHOOK_FORMATS:
        raise ServiceError(f"A webhook sends {' or '.join(WEBHOOK_FORMATS)}.")
    if payload_format == "json" and len(secret) < WEBHOOK_SECRET_MIN_LENGTH:
        raise ServiceError(
            f"A webhook's secret needs at least {WEBHOOK_SECRET_MIN_LENGTH} characters: "
            "use the one Cluetrain suggests, or one of your own as long."
        )
    url = check_public_url(url)
    credential = {"url": url, "secret": secret, "format": payload_format}
    try:
        connector = registry.build("webhook", credential, _context())
    except ConnectorError as exc:
        raise ServiceError(str(exc)) from exc
    account = _verify(connector, "The webhook receiver")
    return account.handle, credential


def webhook_host(voice: Voice) -> str:
    """The host a webhook voice delivers to: all a page may show of its address."""
    return voice.handle.rpartition("#")[0] or voice.handle


def do_connect_webhook(
    actor: Person,
    organization: Organization,
    url: str,
    secret: str,
    format: str = "json",  # the word people use for it
    *,
    department: Department | None = None,
    name: str = "",
) -> Voice:
    """Create an official voice that sends each post, signed, to ``url``.

    A webhook is a channel of the organisation (a chat room, an intranet), never a person's:
    so it is always an official voice. The receiver must answer a signed ping first.
    """
    plan = _Plan(True, department, name)
    _check_may_connect(actor, organization, plan)
    host, credential = _verify_webhook(url, secret, format)
    # Many webhooks share a host (hooks.slack.com): a digest of the address tells them apart
    # without showing it, which for Slack is itself the secret.
    digest = hashlib.sha256(credential["url"].encode()).hexdigest()[:8]
    return _create(actor, organization, Network.WEBHOOK, f"{host}#{digest}", credential, plan)


def do_reconnect_webhook(
    actor: Person,
    voice: Voice,
    url: str,
    secret: str,
    format: str = "json",
) -> Voice:
    """Give a webhook voice a new address or secret, once the receiver answers the ping."""
    services.check_can_reconnect(actor, voice)
    if voice.network != Network.WEBHOOK:
        raise ServiceError(f"{voice.name} is not a webhook.")
    _, credential = _verify_webhook(url, secret, format)
    return _reconnect(actor, voice, credential)


# -- voices Cluetrain serves itself -----------------------------------------------------------


def do_create_feed_voice(
    actor: Person,
    organization: Organization,
    *,
    department: Department | None = None,
    name: str = "",
) -> Voice:
    """An official Atom/RSS feed that Cluetrain serves (see ``public_feed_urls``)."""
    plan = _Plan(True, department, name)
    _check_may_connect(actor, organization, plan)
    shown = name.strip() or services.official_name(organization, department)
    handle = _free_handle(organization, Network.FEED, slugify(shown))
    return _create(actor, organization, Network.FEED, handle, {}, plan)


def do_create_practice_voice(
    person: Person,
    organization: Organization,
    *,
    official: bool = False,
    department: Department | None = None,
    name: str = "",
) -> Voice:
    """A voice in the practice space, where posts never leave Cluetrain.

    A person has at most one personal practice voice per organisation; managers may make
    official ones to rehearse a department's feed.
    """
    plan = _Plan(official, department, name)
    _check_may_connect(person, organization, plan)
    if official:
        base = slugify(name.strip() or services.official_name(organization, department))
    else:
        own = Voice.objects.filter(
            organization=organization, network=Network.PRACTICE, owner=person
        ).first()
        if own is not None:
            raise ServiceError(f"You already have a practice voice here: {own.name}.")
        base = slugify(person.full_name) or f"person-{person.pk}"
    handle = _free_handle(organization, Network.PRACTICE, base)
    return _create(person, organization, Network.PRACTICE, handle, {}, plan)


def public_feed_urls(voice: Voice) -> dict[str, str]:
    """The public Atom and RSS addresses of what ``voice`` published; none for practice."""
    if voice.network == Network.PRACTICE:
        return {}
    return {
        kind: settings.BASE_URL
        + reverse("public:voice_feed", args=[voice.organization.slug, voice.pk, kind])
        for kind in ("atom", "rss")
    }
