"""Paging the runbook's people: in the app, by e-mail, and in a Slack or Teams channel.

Paging must never be the reason an alert or a declaration fails: every channel is tried, and
what each one answered is kept on the alert (``delivered``) or on the incident's timeline.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from cluetrain.core.errors import ServiceError
from cluetrain.core.urlguard import check_public_url
from cluetrain.crisis import scope, timeline
from cluetrain.crisis.models import Alert, Incident, Runbook
from cluetrain.networks.base import ConnectorError, Outgoing
from cluetrain.networks.webhook.connector import WebhookConnector
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Person

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0


def _paged(runbook: Runbook, *, with_responders: bool = False) -> list[Person]:
    people = {p.pk: p for p in runbook.paged_people.filter(is_active=True)}
    if with_responders:
        people.update({p.pk: p for p in runbook.responders.filter(is_active=True)})
    # Someone who left the organisation is not paged about it any more.
    return [p for p in people.values() if policy.is_member(p, runbook.organization)]


def deliver_alert(alert: Alert) -> dict[str, Any]:
    """Page the runbook's people about ``alert``; stores and returns what each channel said."""
    runbook = scope.runbook_for(alert.organization)
    url = reverse("crisis:alerts") + f"#alert-{alert.pk}"
    title = f"Possible incident: {alert.headline}"[:200]
    body = "Open the alert to declare an incident, or dismiss it."
    delivered = _page(runbook, title, body, url, key=f"alert-{alert.pk}")
    Alert.objects.filter(pk=alert.pk).update(delivered=delivered)
    alert.delivered = delivered
    return delivered


def page_declared(incident: Incident, declared_by: Person) -> dict[str, Any]:
    """Tell the paged people and the responders that an incident was declared."""
    runbook = scope.runbook_for(incident.organization)
    url = reverse("crisis:incident", args=[incident.pk])
    title = f"Incident declared: {incident.title}"[:200]
    body = (
        f"{declared_by.full_name} declared it ({incident.get_severity_display()}), covering "
        f"{scope.describe(incident)}. Scheduled marketing in scope is paused."
    )
    delivered = _page(
        runbook, title, body, url, key=f"incident-{incident.pk}", with_responders=True
    )
    timeline.add(incident, "paged", _summary(delivered), delivered=delivered)
    return delivered


def _summary(delivered: dict[str, Any]) -> str:
    parts = [f"{delivered.get('in_app', 0)} in the app"]
    mail = delivered.get("email")
    if isinstance(mail, dict):
        parts.append(f"{mail.get('sent', 0)} by e-mail")
    for channel in ("slack", "teams"):
        result = delivered.get(channel)
        if isinstance(result, dict):
            parts.append(f"{channel}: {'sent' if result.get('ok') else result.get('error', '')}")
    return "Paged " + ", ".join(parts) + "."


def _page(
    runbook: Runbook,
    title: str,
    body: str,
    url: str,
    *,
    key: str,
    with_responders: bool = False,
) -> dict[str, Any]:
    people = _paged(runbook, with_responders=with_responders)
    delivered: dict[str, Any] = {"at": timezone.now().isoformat(), "in_app": 0}
    for person in people:
        try:
            notify(
                person,
                "crisis",
                title,
                body,
                organization=runbook.organization,
                url=url,
                email=False,
            )
            delivered["in_app"] += 1
        except Exception:  # a broken notification must not stop the others
            logger.exception("could not notify %s of %s", person.pk, key)
    if runbook.alert_emails and people:
        delivered["email"] = _email(people, title, body, url)
    link = settings.BASE_URL + url
    text = f"{runbook.organization.name}: {title}\n{body}\n{link}"
    for channel, address in (
        ("slack", runbook.slack_webhook_url),
        ("teams", runbook.teams_webhook_url),
    ):
        if address:
            delivered[channel] = _post_to_channel(address, text, f"{key}-{channel}")
    return delivered


def _email(people: list[Person], title: str, body: str, url: str) -> dict[str, Any]:
    sent, failed = 0, []
    for person in people:
        if not person.email:
            continue
        try:
            # One message each: paged people do not see one another's addresses.
            sent += send_mail(
                f"[Cluetrain] {title}",
                f"{body}\n\n{settings.BASE_URL}{url}",
                None,
                [person.email],
            )
        except Exception as exc:  # SMTP errors come in many kinds; none may stop the paging
            logger.warning("could not e-mail %s: %s", person.pk, exc)
            failed.append({"person": person.pk, "error": str(exc)[:200]})
    return {"sent": sent, "failed": failed}


def _post_to_channel(address: str, text: str, key: str) -> dict[str, Any]:
    """Post ``text`` to a Slack or Teams incoming webhook (their common ``{"text"}`` body)."""
    try:
        url = check_public_url(address)
    except ServiceError as exc:
        return {"ok": False, "error": str(exc)}
    connector = None
    try:
        connector = WebhookConnector(url, "", payload_format="slack", timeout=WEBHOOK_TIMEOUT)
        connector.publish(
            Outgoing(parts=(text,), key=f"{key}-{uuid.uuid4().hex[:8]}", created_at=timezone.now())
        )
    except ConnectorError as exc:
        return {"ok": False, "error": str(exc)[:300]}
    except Exception as exc:  # never raised to the caller: an alert must be stored regardless
        logger.exception("paging through a webhook failed")
        return {"ok": False, "error": f"unexpected failure: {type(exc).__name__}"}
    finally:
        if connector is not None:
            connector.close()
    return {"ok": True}


def check_channel(address: str) -> str:
    """A Slack or Teams address as the runbook stores it (empty allowed), or ``ServiceError``."""
    address = address.strip()
    if not address:
        return ""
    if len(address) > 500:
        raise ServiceError("A webhook address can be at most 500 characters.", code="webhook")
    return check_public_url(address)
