"""Telling people things: an in-app notification, and an e-mail once the change is committed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from cluetrain.notifications.models import Notification
from cluetrain.organizations.models import Organization, Person

logger = logging.getLogger(__name__)


def notify(
    person: Person,
    kind: str,
    title: str,
    body: str = "",
    *,
    organization: Organization | None = None,
    url: str = "",
    email: bool = True,
) -> Notification:
    """Record a notification for ``person`` and, when ``email``, send it after commit."""
    notification = Notification.objects.create(
        person=person, organization=organization, kind=kind, title=title, body=body, url=url
    )
    if email and person.email:
        link = f"{settings.BASE_URL}{url}" if url.startswith("/") else url

        def send() -> None:
            try:
                send_mail(
                    f"[Cluetrain] {title}",
                    f"{body}\n\n{link}".strip(),
                    None,
                    [person.email],
                )
            except OSError:
                # The in-app notification stands; the mail server's trouble is logged.
                logger.exception("could not e-mail notification %s", notification.pk)

        transaction.on_commit(send)
    return notification


def do_mark_read(person: Person, ids: list[int] | None = None) -> int:
    queryset = Notification.objects.filter(person=person, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())


def unread_count(person: Person) -> int:
    return Notification.objects.filter(person=person, read_at__isnull=True).count()
