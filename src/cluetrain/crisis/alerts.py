"""Paging the runbook's people: in the app, by e-mail, and in a Slack or Teams channel.

In-app notifications are written in the caller's transaction: they stand or fall with the
alert or the declaration. E-mail, Slack and Teams are a background job (``page_alert``,
``page_declaration``) enqueued in that same transaction: the job queue lives in the database,
so the job exists exactly when the alert or declaration does (a process dying just after the
commit loses no page, and nobody is paged about something rolled back), and no page waits for
a mail server or a webhook.

The job keeps, per channel, what happened (``Alert.delivered``, ``Incident.paged``) and may run
twice: a channel delivered, or refused for good, is not tried again, and each person is
e-mailed once. While a channel failed for a reason that may pass (a timeout, HTTP 5xx, the
mail server), the job fails and runs again with back-off. Paging never makes the alert or the
declaration itself fail.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cluetrain.core import crypto
from cluetrain.core.errors import ServiceError
from cluetrain.core.jobs import job
from cluetrain.core.urlguard import check_public_url
from cluetrain.crisis import scope, timeline
from cluetrain.crisis.models import CHANNELS, Alert, Incident, Runbook
from cluetrain.networks.base import ConnectorError, NetworkError, Outgoing
from cluetrain.networks.webhook.connector import WebhookConnector
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Person

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0
# A channel a run started sending on is left to it this long; after that (the worker died
# mid-way) another run takes it over. Well above the webhook timeout and a slow mail server.
CLAIM = timedelta(minutes=2)


class PagingIncomplete(Exception):
    """A channel failed for a reason that may pass: the job runs again, with back-off."""


@dataclass(frozen=True)
class Page:
    """What the paged people are told, wherever they are told it."""

    title: str
    body: str
    url: str
    key: str


def _paged(runbook: Runbook, *, with_responders: bool = False) -> list[Person]:
    people = {p.pk: p for p in runbook.paged_people.filter(is_active=True)}
    if with_responders:
        people.update({p.pk: p for p in runbook.responders.filter(is_active=True)})
    # Someone who left the organisation is not paged about it any more.
    return [p for p in people.values() if policy.is_member(p, runbook.organization)]


def _alert_page(alert: Alert) -> Page:
    return Page(
        title=f"Possible incident: {alert.headline}"[:200],
        body="Open the alert to declare an incident, or dismiss it.",
        url=reverse("crisis:alerts") + f"#alert-{alert.pk}",
        key=f"alert-{alert.pk}",
    )


def _declaration_page(incident: Incident) -> Page:
    declared_by = incident.declared_by.full_name if incident.declared_by else "Someone"
    return Page(
        title=f"Incident declared: {incident.title}"[:200],
        body=(
            f"{declared_by} declared it ({incident.get_severity_display()}), covering "
            f"{scope.describe(incident)}. Scheduled marketing in scope is paused."
        ),
        url=reverse("crisis:incident", args=[incident.pk]),
        key=f"incident-{incident.pk}",
    )


# -- in the app, in the caller's transaction ----------------------------------------------------


def page_alert_in_app(alert: Alert) -> int:
    """Notify the paged people of ``alert`` in the app; e-mail and chat follow in a job.

    Call inside the transaction that stores the alert.
    """
    runbook = scope.runbook_for(alert.organization)
    alert.delivered = {"at": timezone.now().isoformat(), "in_app": 0}
    alert.delivered["in_app"] = _notify(runbook, _paged(runbook), _alert_page(alert))
    Alert.objects.filter(pk=alert.pk).update(delivered=alert.delivered)
    page_alert.enqueue(alert.pk)
    return int(alert.delivered["in_app"])


def page_declaration_in_app(incident: Incident) -> int:
    """Notify the paged people and the responders in the app; e-mail and chat follow in a job.

    Call inside the transaction that declares the incident.
    """
    runbook = scope.runbook_for(incident.organization)
    people = _paged(runbook, with_responders=True)
    incident.paged = {"at": timezone.now().isoformat(), "in_app": 0}
    incident.paged["in_app"] = count = _notify(runbook, people, _declaration_page(incident))
    Incident.objects.filter(pk=incident.pk).update(paged=incident.paged)
    timeline.add(incident, "paged", f"Paged {count} in the app.", delivered=dict(incident.paged))
    page_declaration.enqueue(incident.pk)
    return count


def _notify(runbook: Runbook, people: list[Person], page: Page) -> int:
    count = 0
    for person in people:
        try:
            # A savepoint each: a broken notification must not stop the others, nor break
            # the caller's transaction.
            with transaction.atomic():
                notify(
                    person,
                    "crisis",
                    page.title,
                    page.body,
                    organization=runbook.organization,
                    url=page.url,
                    email=False,
                )
            count += 1
        except Exception:
            logger.exception("could not notify %s of %s", person.pk, page.key)
    return count


# -- e-mail, Slack and Teams, in a job ----------------------------------------------------------


@job(priority=10, backoff_seconds=30.0)
def page_alert(alert_id: int) -> dict[str, Any]:
    """E-mail the paged people and post to the runbook's channels about an alert."""
    alert = Alert.objects.select_related("organization").filter(pk=alert_id).first()
    if alert is None:  # deleted with its organisation meanwhile
        return {}
    runbook = scope.runbook_for(alert.organization)
    ledger = _Ledger(Alert, alert.pk, "delivered")
    _, state = _deliver(ledger, runbook, _paged(runbook), _alert_page(alert))
    return _finished(state)


@job(priority=10, backoff_seconds=30.0)
def page_declaration(incident_id: int) -> dict[str, Any]:
    """E-mail the paged people and responders and post to the runbook's channels that an
    incident was declared; each run that did something says so on the incident's timeline."""
    incident = (
        Incident.objects.select_related("organization", "declared_by")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        return {}
    runbook = scope.runbook_for(incident.organization)
    ledger = _Ledger(Incident, incident.pk, "paged")
    people = _paged(runbook, with_responders=True)
    tried, state = _deliver(ledger, runbook, people, _declaration_page(incident))
    if tried:
        delivered = {k: v for k, v in state.items() if k != "used"}
        timeline.add(incident, "paged", _summary(delivered), delivered=delivered)
    return _finished(state)


@dataclass(frozen=True)
class _Ledger:
    """Where one paging keeps its per-channel results: an alert's or an incident's JSON."""

    model: type[Alert] | type[Incident]
    pk: int
    field: str

    def read(self) -> dict[str, Any]:
        stored = self.model._default_manager.values_list(self.field, flat=True).get(pk=self.pk)
        return dict(stored or {})

    @contextmanager
    def editing(self) -> Iterator[dict[str, Any]]:
        """The results, locked for the block (short: no network call in it) and saved after."""
        with transaction.atomic():
            manager = self.model._default_manager
            stored = manager.select_for_update().values_list(self.field, flat=True).get(pk=self.pk)
            state = dict(stored or {})
            yield state
            manager.filter(pk=self.pk).update(**{self.field: state})


def _claim(ledger: _Ledger, channel: str) -> dict[str, Any] | None:
    """Start an attempt on ``channel``, or ``None``: delivered, refused for good, or being
    sent by another run right now."""
    now = timezone.now()
    with ledger.editing() as state:
        result = dict(state.get(channel) or {})
        if result.get("ok") or result.get("permanent"):
            return None
        since = result.get("sending_since")
        if since and datetime.fromisoformat(since) > now - CLAIM:
            return None
        result["sending_since"] = now.isoformat()
        result["attempts"] = int(result.get("attempts", 0)) + 1
        state[channel] = result
    return result


def _record(ledger: _Ledger, channel: str, result: dict[str, Any]) -> None:
    with ledger.editing() as state:
        state[channel] = result


def _deliver(
    ledger: _Ledger, runbook: Runbook, people: list[Person], page: Page
) -> tuple[bool, dict[str, Any]]:
    """Send what is still to send; returns whether anything was tried, and the results
    (``used`` names the channels the runbook asks for now)."""
    tried, used = False, []
    if runbook.alert_emails and any(p.email for p in people):
        used.append("email")
        tried |= _email(ledger, people, page)
    link = settings.BASE_URL + page.url
    text = f"{runbook.organization.name}: {page.title}\n{page.body}\n{link}"
    for channel in CHANNELS:
        if runbook.has_webhook(channel):
            used.append(channel)
            tried |= _chat(ledger, runbook, channel, text, f"{page.key}-{channel}")
    return tried, {**ledger.read(), "used": used}


def _email(ledger: _Ledger, people: list[Person], page: Page) -> bool:
    attempt = _claim(ledger, "email")
    if attempt is None:
        return False
    sent_to = set(attempt.get("sent_to", []))
    failed = []
    for person in people:
        if not person.email or person.pk in sent_to:
            continue
        try:
            # One message each: paged people do not see one another's addresses.
            sent = send_mail(
                f"[Cluetrain] {page.title}",
                f"{page.body}\n\n{settings.BASE_URL}{page.url}",
                None,
                [person.email],
            )
        except Exception as exc:  # SMTP errors come in many kinds; none may stop the paging
            logger.warning("could not e-mail %s: %s", person.pk, exc)
            failed.append({"person": person.pk, "error": str(exc)[:200]})
            continue
        if sent:
            sent_to.add(person.pk)
            # Kept at once: a run that dies after this does not e-mail them again.
            _record(ledger, "email", {**attempt, "sent": len(sent_to), "sent_to": sorted(sent_to)})
    _record(
        ledger,
        "email",
        {
            "ok": not failed,
            "sent": len(sent_to),
            "sent_to": sorted(sent_to),
            "failed": failed,
            "attempts": attempt["attempts"],
        },
    )
    return True


def _chat(ledger: _Ledger, runbook: Runbook, channel: str, text: str, key: str) -> bool:
    attempt = _claim(ledger, channel)
    if attempt is None:
        return False
    try:
        address = runbook.webhook(channel)
    except crypto.DecryptionFailed:
        result: dict[str, Any] = {
            "ok": False,
            "error": "The webhook address cannot be decrypted with the configured keys: "
            "give it again in the runbook.",
            "permanent": True,
        }
    else:
        result = post_to_channel(address, text, key)
    _record(ledger, channel, {**result, "attempts": attempt["attempts"]})
    return True


def post_to_channel(address: str, text: str, key: str) -> dict[str, Any]:
    """Post ``text`` to a Slack or Teams incoming webhook (their common ``{"text"}`` body).

    Never raises: returns ``{"ok": True}``, or what went wrong and whether it is ``permanent``
    (retrying will not help until someone changes the runbook).
    """
    try:
        url = check_public_url(address)
    except ServiceError as exc:
        return {"ok": False, "error": str(exc), "permanent": True}
    connector = None
    try:
        connector = WebhookConnector(url, "", payload_format="slack", timeout=WEBHOOK_TIMEOUT)
        connector.publish(
            Outgoing(parts=(text,), key=f"{key}-{uuid.uuid4().hex[:8]}", created_at=timezone.now())
        )
    except NetworkError as exc:
        return {"ok": False, "error": str(exc)[:300], "permanent": False}
    except ConnectorError as exc:  # refused: a wrong, revoked or moved address
        return {"ok": False, "error": str(exc)[:300], "permanent": True}
    except Exception as exc:  # never raised to the caller: the other channels go on
        logger.exception("paging through a webhook failed")
        return {
            "ok": False,
            "error": f"unexpected failure: {type(exc).__name__}",
            "permanent": False,
        }
    finally:
        if connector is not None:
            connector.close()
    return {"ok": True}


def _finished(state: dict[str, Any]) -> dict[str, Any]:
    """``state``, or ``PagingIncomplete`` while a channel failed for a reason that may pass.

    A channel the runbook no longer asks for (e-mail switched off, a webhook removed) is not
    waited for."""
    used = state.pop("used", [])
    waiting = [
        channel
        for channel in used
        if isinstance(state.get(channel), dict)
        and state[channel].get("ok") is False
        and not state[channel].get("permanent")
    ]
    if waiting:
        raise PagingIncomplete("still to page: " + ", ".join(waiting))
    return state


def _summary(delivered: dict[str, Any]) -> str:
    parts = []
    mail = delivered.get("email")
    if isinstance(mail, dict):
        parts.append(f"{mail.get('sent', 0)} by e-mail")
    for channel in CHANNELS:
        result = delivered.get(channel)
        if isinstance(result, dict):
            parts.append(f"{channel}: {'sent' if result.get('ok') else result.get('error', '')}")
    return "Paged " + ", ".join(parts) + "."


def check_channel(address: str) -> str:
    """A Slack or Teams address as the runbook stores it (empty allowed), or ``ServiceError``."""
    address = address.strip()
    if not address:
        return ""
    if len(address) > 500:
        raise ServiceError("A webhook address can be at most 500 characters.", code="webhook")
    return check_public_url(address)
