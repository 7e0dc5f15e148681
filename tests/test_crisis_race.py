"""The race: two worker processes publish due marketing while an incident is declared.

Each round puts due posts in the outbox of a webhook voice whose receiver (a real HTTP server on
loopback) counts every delivery it gets and answers slowly, so that at the moment of the
declaration some posts are still waiting, some are claimed by a worker and not yet sent, and
some are in flight. After many rounds (60 on PostgreSQL): no post the incident paused ever
reached the receiver, every post that did reach it had its network call started before the
declaration committed, and the operational posts, which crisis mode does not pause, all went
out.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cluetrain.crisis import services
from cluetrain.crisis.models import PausedDelivery, PauseStatus
from cluetrain.crisis.services import Declaration
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.publishing.models import WAITING, Category, Delivery, Post, PostStatus
from cluetrain.publishing.text import fingerprint
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind
from tests.test_workers import worker_env

POSTS_PER_ROUND = 6


def rounds() -> int:
    return 60 if connection.vendor == "postgresql" else 15


class Receiver:
    """Counts deliveries by their X-Cluetrain-Delivery key; answers after 15 ms."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        time.sleep(0.015)
        with self.lock:
            self.keys.append(request.headers.get("X-Cluetrain-Delivery", ""))
        return Response("ok")


def due_posts(organization: Organization, person: Person, voice: Voice, n: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            Post(
                organization=organization,
                author=person,
                text=f"Round {n} post {i}",
                category=Category.OPERATIONAL if i == 0 else Category.MARKETING,
                status=PostStatus.SCHEDULED,
                scheduled_at=now,
            )
            for i in range(POSTS_PER_ROUND)
        )
        Delivery.objects.bulk_create(
            Delivery(
                post=post,
                voice=voice,
                organization=organization,
                network=Network.WEBHOOK,
                status=PostStatus.SCHEDULED,
                due_at=now,
                text_hash=fingerprint(post.text),
            )
            for post in posts
        )


def test_no_paused_post_is_ever_sent_while_workers_race_the_declaration(
    transactional_db: None, httpserver: HTTPServer
) -> None:
    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    organization = Organization.objects.create(name="Race Rail", slug="race-rail")
    person = Person.objects.create_user("race@example.com", full_name="Rae Race")
    do_add_member(organization, person, [Role.DIRECTOR])
    # The receiver is on loopback, which the workers' address guard refuses unless allowed.
    env = worker_env() | {"CLUETRAIN_PUBLISH_THREADS": "2", "CLUETRAIN_ALLOW_PRIVATE_URLS": "true"}
    command = [sys.executable, "-m", "cluetrain", "worker", "--interval", "0.05", "-v", "0"]
    workers = [subprocess.Popen(command, env=env) for _ in range(2)]
    rng = random.Random(20261202)
    committed: dict[int, datetime] = {}  # incident id -> a moment just after its commit
    try:
        time.sleep(2.5)  # both workers are polling before the first post is due
        for n in range(rounds()):
            # A voice per round keeps the webhook rate limit (60 a minute) out of the race.
            voice = Voice.objects.create(
                organization=organization,
                kind=VoiceKind.OFFICIAL,
                network=Network.WEBHOOK,
                handle=f"race-{n}",
                name=f"Race {n}",
            )
            voice.set_credential({"url": httpserver.url_for("/hook"), "secret": "s3cret"})
            voice.save()
            VoiceAccess.objects.create(voice=voice, person=person)
            due_posts(organization, person, voice, n)
            time.sleep(rng.uniform(0.0, 0.25))
            incident, _ = services.do_declare_incident(
                person, organization, Declaration(title=f"Round {n}")
            )
            committed[incident.pk] = timezone.now()
            services.do_end_incident(person, incident)
        deadline = time.monotonic() + 90
        while Delivery.objects.filter(organization=organization, status__in=WAITING).exists():
            assert time.monotonic() < deadline, "the workers did not finish in time"
            time.sleep(0.1)
        time.sleep(1.0)  # anything that would still leak has had its chance
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            assert worker.wait(timeout=30) == 0

    received = set(receiver.keys)
    deliveries = {
        d.key: d for d in Delivery.objects.filter(organization=organization).select_related("post")
    }
    assert len(receiver.keys) == len(received), "a post reached the receiver twice"
    pauses = list(PausedDelivery.objects.filter(incident__organization=organization))
    stopped = [p for p in pauses if p.status == PauseStatus.PAUSED]
    claimed_then_paused = [p for p in stopped if p.was_status == PostStatus.PUBLISHING]
    for pause in stopped:
        delivery = Delivery.objects.get(pk=pause.delivery_id)
        assert delivery.key not in received, f"paused delivery {delivery.pk} was sent"
        assert delivery.status == PostStatus.PAUSED
        assert delivery.called_at is None
    for pause in pauses:
        if pause.status == PauseStatus.SENT_BEFORE_PAUSE:
            assert pause.called_at is not None
            assert pause.called_at < committed[pause.incident_id]
    round_of = {pause.delivery_id: pause.incident_id for pause in pauses}
    for key in received:
        delivery = deliveries[key]
        assert delivery.status == PostStatus.PUBLISHED
        if delivery.post.category == Category.MARKETING and delivery.pk in round_of:
            assert delivery.called_at is not None
            assert delivery.called_at < committed[round_of[delivery.pk]]
    operational = [d for d in deliveries.values() if d.post.category == Category.OPERATIONAL]
    assert len(operational) == rounds()
    assert all(d.key in received for d in operational), "crisis mode paused an operational post"
    marketing_sent = [
        d
        for d in deliveries.values()
        if d.post.category == Category.MARKETING and d.key in received
    ]
    print(
        f"\n{rounds()} rounds: {len(stopped)} paused ({len(claimed_then_paused)} while claimed), "
        f"{sum(p.status == PauseStatus.SENT_BEFORE_PAUSE for p in pauses)} sent before the pause, "
        f"{len(marketing_sent)} marketing posts out before the declaration"
    )
    assert stopped
    if connection.vendor == "postgresql":
        # The race really ran: posts were paused while a worker held them. (On SQLite the
        # workers and the declaration queue on one write lock, and fewer rounds overlap.)
        assert claimed_then_paused, "no round paused a post a worker had claimed"
