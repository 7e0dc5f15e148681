"""Registering webhook endpoints, recording events and delivering them.

Administrators (``MANAGE_ORGANIZATION``) register an endpoint: an address that passes the
server-side request-forgery guard, the events it wants and a generated secret, shown once and
kept encrypted. Every event becomes one delivery per subscribed endpoint, created once; a
worker claims a delivery with a conditional UPDATE before it sends, so two workers (or a job
run again after its worker was put back) never send the same delivery at the same time.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from cluetrain import __version__
from cluetrain.core import audit, crypto
from cluetrain.core.errors import ServiceError
from cluetrain.core.pinned_http import pinned_client, refused_address
from cluetrain.core.urlguard import check_public_url
from cluetrain.hooks.models import DeliveryStatus, Endpoint, Event, HookDelivery, HookEvent
from cluetrain.networks.webhook.signing import sign
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)
MAX_ENDPOINTS = 20
# Delays before the 2nd, 3rd... attempt: doubling from the base, capped at a day.
MAX_DELAY = timedelta(hours=24)


def _settings() -> tuple[int, float, float, float]:
    return (
        int(getattr(settings, "HOOK_MAX_ATTEMPTS", 8)),
        float(getattr(settings, "HOOK_BACKOFF_SECONDS", 30.0)),
        float(getattr(settings, "HOOK_TIMEOUT", 10.0)),
        float(getattr(settings, "HOOK_STALE_AFTER", 120.0)),
    )


# -- Endpoints ---------------------------------------------------------------------------------


def require_manage(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.MANAGE_ORGANIZATION)


def endpoints_of(person: Person, organization: Organization) -> QuerySet[Endpoint]:
    require_manage(person, organization)
    return Endpoint.objects.filter(organization=organization).order_by("pk")


def _check_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    if not chosen:
        raise ServiceError("Choose at least one event to send.", code="events")
    unknown = [event for event in chosen if event not in Event.values]
    if unknown:
        known = ", ".join(Event.values)
        raise ServiceError(f"{unknown[0][:40]!r} is not an event. Events: {known}.", code="events")
    return chosen


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise ServiceError("An address can be at most 500 characters.", code="url")
    try:
        return check_public_url(url)
    except ServiceError as exc:
        raise ServiceError(exc.message, code="url") from exc


def secret_of(endpoint: Endpoint) -> str:
    return str(crypto.decrypt_json(endpoint.secret_ciphertext)["secret"])


def do_create_endpoint(
    person: Person,
    organization: Organization,
    url: str,
    events: Iterable[str],
    description: str = "",
) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it and its secret, which is never shown again."""
    require_manage(person, organization)
    url, chosen = _check_url(url), _check_events(events)
    description = " ".join((description or "").split())
    if len(description) > 200:
        raise ServiceError("A description can be at most 200 characters.", code="description")
    if Endpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS:
        raise ServiceError(f"An organisation can have at most {MAX_ENDPOINTS} webhooks.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            organization=organization,
            url=url,
            description=description,
            events=chosen,
            secret_ciphertext=crypto.encrypt_json({"secret": secret}),
            created_by=person,
        )
        audit.record(organization, person, "webhook.created", endpoint, events=chosen)
    return endpoint, secret


def do_update_endpoint(
    person: Person,
    endpoint: Endpoint,
    *,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> Endpoint:
    require_manage(person, endpoint.organization)
    if events is not None:
        endpoint.events = _check_events(events)
    if is_active is not None:
        endpoint.is_active = is_active
    with transaction.atomic():
        endpoint.save(update_fields=["events", "is_active"])
        audit.record(
            endpoint.organization,
            person,
            "webhook.updated",
            endpoint,
            events=endpoint.events,
            active=endpoint.is_active,
        )
    return endpoint


def do_delete_endpoint(person: Person, endpoint: Endpoint) -> None:
    require_manage(person, endpoint.organization)
    with transaction.atomic():
        audit.record(endpoint.organization, person, "webhook.deleted", endpoint, url=endpoint.url)
        endpoint.delete()


def do_redeliver(person: Person, delivery: HookDelivery) -> HookDelivery:
    """Send a delivery again now, with the same delivery id (the receiver may dedupe)."""
    endpoint = delivery.endpoint
    require_manage(person, endpoint.organization)
    if not endpoint.is_active:
        raise ServiceError("This webhook is switched off; switch it on first.", code="inactive")
    now = timezone.now()
    with transaction.atomic():
        changed = (
            HookDelivery.objects.filter(pk=delivery.pk)
            .exclude(status=DeliveryStatus.SENDING)
            .update(status=DeliveryStatus.PENDING, next_attempt_at=now, error="")
        )
        if not changed:
            raise ServiceError("This delivery is being sent right now.", code="sending")
        audit.record(endpoint.organization, person, "webhook.redelivered", delivery)
        transaction.on_commit(lambda: _enqueue([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


def do_rotate_secrets() -> int:
    """Re-encrypt every endpoint's secret with the primary key (``cluetrain rotate_keys``)."""
    endpoints = list(Endpoint.objects.only("pk", "secret_ciphertext"))
    for endpoint in endpoints:
        endpoint.secret_ciphertext = crypto.rotate(endpoint.secret_ciphertext)
    Endpoint.objects.bulk_update(endpoints, ["secret_ciphertext"], batch_size=500)
    return len(endpoints)


# -- Events ------------------------------------------------------------------------------------


def emit(
    event: str, organization_id: int, key: str, data: Callable[[], dict[str, Any] | None]
) -> None:
    """Record ``event`` once the current transaction commits (nothing if it rolls back).

    ``data`` is called then, and only when some endpoint wants the event, so emitting costs one
    query where nobody listens. It may return None: the event did not happen after all.
    A failure here is logged and never undoes the caller's work.
    """
    transaction.on_commit(lambda: record(event, organization_id, key, data), robust=True)


def listeners(event: str, organization_ids: set[int]) -> set[int]:
    """Which of these organisations have an active endpoint for ``event`` (one query)."""
    rows = Endpoint.objects.filter(organization_id__in=organization_ids, is_active=True)
    return {org for org, events in rows.values_list("organization_id", "events") if event in events}


def record(
    event: str, organization_id: int, key: str, data: Callable[[], dict[str, Any] | None]
) -> list[int]:
    """Store the event and one delivery per endpoint that wants it; enqueue their sending."""
    endpoints = [
        endpoint
        for endpoint in Endpoint.objects.filter(organization_id=organization_id, is_active=True)
        if event in endpoint.events
    ]
    if not endpoints:
        return []
    payload = data()
    if payload is None:
        return []
    with transaction.atomic():
        hook_event, _ = HookEvent.objects.get_or_create(
            organization_id=organization_id, event=event, key=key[:120], defaults={"data": payload}
        )
        now = timezone.now()
        HookDelivery.objects.bulk_create(
            [
                HookDelivery(endpoint=endpoint, hook_event=hook_event, next_attempt_at=now)
                for endpoint in endpoints
            ],
            ignore_conflicts=True,  # emitted again: each endpoint still gets it once
        )
        pks = list(
            HookDelivery.objects.filter(
                hook_event=hook_event, status=DeliveryStatus.PENDING, attempts=0
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue(pks))
    return pks


def _enqueue(pks: list[int]) -> None:
    from cluetrain.hooks.tasks import send_hook

    for pk in pks:
        send_hook.enqueue(pk)


# -- Delivering --------------------------------------------------------------------------------


def body_of(delivery: HookDelivery) -> bytes:
    hook_event = delivery.hook_event
    payload = {
        "event": hook_event.event,
        "id": str(delivery.delivery_id),
        "created_at": hook_event.created_at.astimezone(UTC).isoformat(),
        "organization": hook_event.organization_id,
        "data": hook_event.data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _claim(pk: int, now: datetime) -> bool:
    """Take the delivery for this worker: due and waiting, or left by a worker that died."""
    *_, stale = _settings()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    abandoned = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - timedelta(seconds=stale))
    return bool(
        HookDelivery.objects.filter(pk=pk)
        .filter(due | abandoned)
        .filter(endpoint__is_active=True)
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _post(delivery: HookDelivery, secret: str, timeout: float) -> tuple[int | None, str]:
    """Send once: (HTTP status or None, what went wrong or "")."""
    endpoint, body = delivery.endpoint, body_of(delivery)
    try:
        url = check_public_url(endpoint.url)  # again: a name may point elsewhere by now
    except ServiceError as exc:
        return None, exc.message
    timestamp = str(int(timezone.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Cluetrain/{__version__}",
        "X-Cluetrain-Event": delivery.hook_event.event,
        "X-Cluetrain-Delivery": str(delivery.delivery_id),
        "X-Cluetrain-Timestamp": timestamp,
        "X-Cluetrain-Signature": sign(secret, timestamp, body),
    }
    try:
        with pinned_client(timeout=timeout, follow_redirects=False) as client:
            answer = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return None, f"No answer within {timeout:g} seconds."
    except httpx.RequestError as exc:
        return None, refused_address(exc) or f"Could not connect: {type(exc).__name__}."
    if answer.is_success:
        return answer.status_code, ""
    return answer.status_code, f"The receiver answered HTTP {answer.status_code}."


def deliver(pk: int) -> str:
    """Send one delivery if it is this worker's to send; returns its status afterwards."""
    max_attempts, backoff, timeout, _ = _settings()
    now = timezone.now()
    if not _claim(pk, now):
        return "skipped"
    delivery = HookDelivery.objects.select_related("endpoint", "hook_event").get(pk=pk)
    try:
        code, error = _post(delivery, secret_of(delivery.endpoint), timeout)
    except crypto.DecryptionFailed:
        code, error = None, "The secret cannot be decrypted with the configured keys."
    done = timezone.now()
    mine = HookDelivery.objects.filter(pk=pk, status=DeliveryStatus.SENDING, claimed_at=now)
    if not error:
        mine.update(
            status=DeliveryStatus.DELIVERED,
            response_code=code,
            error="",
            delivered_at=done,
            next_attempt_at=None,
            claimed_at=None,
        )
        return DeliveryStatus.DELIVERED
    if delivery.attempts >= max_attempts:
        mine.update(
            status=DeliveryStatus.FAILED,
            response_code=code,
            error=error[:500],
            next_attempt_at=None,
            claimed_at=None,
        )
        return DeliveryStatus.FAILED
    delay = min(timedelta(seconds=backoff * 2 ** (delivery.attempts - 1)), MAX_DELAY)
    retry_at = done + delay
    mine.update(
        status=DeliveryStatus.PENDING,
        response_code=code,
        error=error[:500],
        next_attempt_at=retry_at,
        claimed_at=None,
    )
    from cluetrain.hooks.tasks import send_hook

    send_hook.using(run_after=retry_at).enqueue(pk)
    return DeliveryStatus.PENDING


def due_deliveries(now: datetime | None = None, limit: int = 200) -> list[int]:
    """Deliveries whose time has come, and those a dead worker left half-sent."""
    *_, stale = _settings()
    now = now or timezone.now()
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    abandoned = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - timedelta(seconds=stale))
    return list(
        HookDelivery.objects.filter(due | abandoned, endpoint__is_active=True)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due() -> dict[str, int]:
    counts: dict[str, int] = {}
    for pk in due_deliveries():
        outcome = deliver(pk)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
