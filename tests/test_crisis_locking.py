"""A declaration and a worker's retry meet on the same delivery: no deadlock, and it stays paused.

The worker puts a claimed delivery back to be retried (``recording.later``) while a declaration
is half-way through its transaction. Both lock the organisation before any delivery, so the
worker waits for the declaration's commit instead of holding the delivery the declaration needs.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from cluetrain.crisis import pausing, services
from cluetrain.crisis.models import PauseStatus
from cluetrain.crisis.services import Declaration
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.publishing import dispatch, recording
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Category, Delivery, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind


def test_a_retry_during_a_declaration_waits_for_it_and_stays_paused(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    organization = Organization.objects.create(name="Lock Rail", slug="lock-rail")
    person = Person.objects.create_user("lock@example.com", full_name="Lee Lock")
    do_add_member(organization, person, [Role.DIRECTOR])
    voice = Voice.objects.create(
        organization=organization,
        kind=VoiceKind.OFFICIAL,
        network=Network.PRACTICE,
        handle="@lock",
        name="Lock Rail",
    )
    VoiceAccess.objects.create(voice=voice, person=person)
    post = do_create_post(
        person,
        organization,
        Draft(text="Cheap tickets", voices=[voice], category=Category.MARKETING),
        Schedule(When.NOW),
    )
    [pk] = dispatch.claim("worker-a")
    delivery = Delivery.objects.get(pk=pk)

    real_pause = pausing.pause
    locked = threading.Event()

    def slow_pause(*args: Any, **kwargs: Any) -> pausing.Paused:
        locked.set()  # the organisation is locked; the worker now comes along
        time.sleep(0.8)
        return real_pause(*args, **kwargs)

    monkeypatch.setattr(services.pausing, "pause", slow_pause)
    failures: list[BaseException] = []

    def declare() -> None:
        try:
            services.do_declare_incident(person, organization, Declaration(title="Storm"))
        except BaseException as exc:  # reported to the test below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=declare)
    thread.start()
    assert locked.wait(10)
    recording.later(delivery, "worker-a", 30, "Network hiccup.", attempt=True)
    thread.join(20)
    assert not failures, failures
    delivery.refresh_from_db()
    assert delivery.status == PostStatus.PAUSED
    assert delivery.post.deliveries.get().crisis_pauses.get().status == PauseStatus.PAUSED
    assert post.pk == delivery.post_id
