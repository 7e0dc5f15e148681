"""A worker killed at random moments never loses a post and never posts one twice.

1,000 posts go to the local Bluesky server while the worker publishing them is killed with
SIGKILL again and again (at least 20 times) and restarted each time. Afterwards the server holds
every post exactly once. This is what the outbox's idempotency key buys: a post whose worker died
between the network call and recording it is found on the server by its record key, not sent
again.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter

from atproto import Client
from django.db import transaction
from django.utils import timezone

from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
from cluetrain.publishing.text import fingerprint
from cluetrain.voices.models import Network
from cluetrain.voices.services import do_connect_personal_voice
from tests.test_workers import worker_env

POSTS = 1000
KILLS = 20


def server_posts(client: Client, did: str) -> list[str]:
    texts, cursor = [], None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = client.com.atproto.repo.list_records(params)
        texts += [record.value.text for record in page.records]
        cursor = page.cursor
        if not cursor or not page.records:
            return texts


def test_killing_the_worker_twenty_times_loses_nothing_and_doubles_nothing(
    transactional_db: None, pds: str
) -> None:
    anonymous = Client(base_url=f"{pds}/xrpc")
    handle = f"crash{random.randrange(10**8)}.test"
    account = anonymous.com.atproto.server.create_account(
        {"handle": handle, "email": f"{handle}@example.com", "password": "crash-pass-1"}
    )
    organization = Organization.objects.create(name="Crash Rail", slug="crash-rail")
    person = Person.objects.create_user("crash@example.com", full_name="Casey Crash")
    do_add_member(organization, person, [Role.MEMBER])
    voice = do_connect_personal_voice(
        person,
        organization,
        Network.BLUESKY,
        handle,
        credential={"handle": handle, "app_password": "crash-pass-1", "service": pds},
    )
    now = timezone.now()
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            Post(
                organization=organization,
                author=person,
                text=f"Service update {n:04d}",
                category=Category.OPERATIONAL,
                status=PostStatus.SCHEDULED,
            )
            for n in range(POSTS)
        )
        Delivery.objects.bulk_create(
            Delivery(
                post=post,
                voice=voice,
                organization=organization,
                network=Network.BLUESKY,
                status=PostStatus.SCHEDULED,
                due_at=now,
                text_hash=fingerprint(post.text),
            )
            for post in posts
        )

    env = worker_env() | {
        "CLUETRAIN_PUBLISH_LEASE": "2",
        "CLUETRAIN_PUBLISH_THREADS": "2",
        "CLUETRAIN_ALLOW_PRIVATE_URLS": "true",  # the local PDS is on loopback
    }
    command = [sys.executable, "-m", "cluetrain", "worker", "--interval", "0.05", "-v", "0"]
    rng = random.Random(20261122)
    kills = 0
    progress = []
    while kills < KILLS:
        worker = subprocess.Popen(command, env=env)
        time.sleep(rng.uniform(1.2, 2.6))  # start-up takes about a second: kill during work
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        kills += 1
        progress.append(Delivery.objects.filter(status=PostStatus.PUBLISHED).count())
    assert progress[-1] < POSTS, "the kills should land while posts are still going out"

    # A last worker finishes the job, recovering the claims of the killed ones.
    worker = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 240
        while Delivery.objects.exclude(status=PostStatus.PUBLISHED).exists():
            assert worker.poll() is None, "the last worker stopped"
            assert time.monotonic() < deadline, f"unfinished: {progress}"
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    texts = server_posts(anonymous, account.did)
    counts = Counter(texts)
    assert len(texts) == POSTS, f"{len(texts)} posts on the server, progress {progress}"
    assert [t for t, c in counts.items() if c > 1] == []
    assert set(counts) == {f"Service update {n:04d}" for n in range(POSTS)}
    deliveries = Delivery.objects.filter(voice=voice)
    assert all(len(d.refs) == 1 and d.refs[0]["id"].startswith("at://") for d in deliveries)
    # Some posts really were interrupted and recovered (or the test proves little).
    assert deliveries.filter(attempts__gt=1).exists()
