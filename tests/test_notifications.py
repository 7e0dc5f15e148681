"""Notifications in the app and by e-mail; a person's own profile and time zone."""

from __future__ import annotations

from typing import Any

from django.core import mail

from cluetrain.notifications.models import Notification
from cluetrain.notifications.services import notify, unread_count
from tests.conftest import Cast


def test_a_notification_is_shown_counted_and_emailed_after_commit(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            cast.member,
            "voice.needs_reconnect",
            "Milo on Bluesky needs reconnecting",
            "Bluesky refused the credentials <b>now</b>.",
            organization=cast.acme,
            url="/voices/",
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.member.email]
    assert "/voices/" in mail.outbox[0].body
    client = cast.client(cast.member)
    home = client.get("/").content.decode()
    assert 'aria-label="1 unread"' in home
    page = client.get("/notifications/").content.decode()
    assert "Milo on Bluesky needs reconnecting" in page
    assert "&lt;b&gt;now&lt;/b&gt;" in page  # escaped
    client.post("/notifications/read/")
    assert unread_count(cast.member) == 0
    # Nobody else sees it.
    assert (
        "needs reconnecting" not in cast.client(cast.mentor).get("/notifications/").content.decode()
    )


def test_marking_read_touches_only_ones_own(cast: Cast) -> None:
    mine = notify(cast.member, "x", "Mine", email=False)
    theirs = notify(cast.mentor, "x", "Theirs", email=False)
    cast.client(cast.member).post("/notifications/read/", {"id": [mine.pk, theirs.pk]})
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_a_person_sets_their_own_time_zone(cast: Cast) -> None:
    client = cast.client(cast.member)
    assert "Europe/Paris" in client.get("/me/").content.decode()
    response = client.post("/me/", {"full_name": "Milo Member", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    cast.member.refresh_from_db()
    assert cast.member.time_zone == "Asia/Tokyo"
    refused = client.post("/me/", {"full_name": "Milo", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    cast.member.refresh_from_db()
    assert cast.member.time_zone == "Asia/Tokyo"


def test_pages_need_sign_in(cast: Cast, client: Any) -> None:
    assert client.get("/notifications/").status_code == 302
    assert client.get("/me/").status_code == 302
