"""Nothing leaves Cluetrain: the whole practice flow runs with every real connector and every
outside socket refusing to work."""

from __future__ import annotations

import pytest

from cluetrain.practice import reading, services
from cluetrain.practice.models import ExerciseKind, Outcome
from cluetrain.publishing import dispatch
from cluetrain.publishing.models import Delivery, PostStatus
from cluetrain.publishing.services import do_publish
from cluetrain.reviews.autonomy import do_set_level, level_of
from cluetrain.reviews.models import Level
from cluetrain.voices.connect import do_create_practice_voice
from tests.conftest import Cast
from tests.support.practice import LATE_TRAIN, NetworkCalled, no_network

__all__ = ["no_network"]

pytestmark = pytest.mark.django_db


def test_the_practice_space_never_calls_a_real_connector(cast: Cast, no_network: list[str]) -> None:
    do_set_level(cast.coordinator, cast.trainee, cast.acme, "learner", reason="Just started.")
    assert level_of(cast.trainee, cast.acme) == Level.LEARNER
    exercise = services.do_create_exercise(
        cast.coordinator,
        cast.acme,
        title="Answer the late-train complaint",
        instructions="Apologise, explain, say what the customer can do.",
        kind=ExerciseKind.REPLY,
        scenario=LATE_TRAIN,
    )
    # The learner and the coordinator both practise: posts, a whole replayed conversation.
    for person in (cast.trainee, cast.coordinator):
        services.do_post(person, cast.acme, "Our new trains have six bike spaces #iworkatacme")
        thread = services.do_start_scenario(person, cast.acme, LATE_TRAIN, exercise=exercise)
        for text in ("Sorry, Kat: claim Delay Repay.", "Yes, app tickets count.", "Thanks!"):
            services.do_reply(person, thread, text)
    # Through the pages too.
    client = cast.client(cast.trainee)
    assert client.get("/academy/practice/").status_code == 200
    client.post("/academy/practice/post/", {"text": "A post from the practice page"})
    client.post("/academy/practice/check/", {"text": "Is Project Falcon ready?"})
    # A mentor grades and comments; the coordinator regrades.
    for work in reading.to_give(cast.mentor, cast.acme):
        services.do_grade(cast.mentor, work, outcome=Outcome.NEEDS_WORK, feedback="More warmth")
        services.do_comment_inline(cast.mentor, work, start=0, end=3, comment="Open warmer")
        if work.learner_id != cast.coordinator.pk:
            services.do_grade(cast.coordinator, work, outcome=Outcome.PASS, score=80)
    assert cast.client(cast.mentor).get("/academy/practice/mentoring/").status_code == 200
    # The regular composer to the learner's practice voice: published by the dispatcher,
    # through the in-house practice connector only.
    voice = do_create_practice_voice(cast.trainee, cast.acme)
    post = do_publish(cast.trainee, voice, "From the composer to my practice voice")
    dispatch.run_due()
    delivery = Delivery.objects.get(post=post)
    assert delivery.status == PostStatus.PUBLISHED
    assert delivery.refs[0]["id"].startswith("practice:")
    page = client.get("/academy/practice/").content.decode()
    assert "From the composer to my practice voice" in page
    assert no_network == []


def test_the_guard_itself_refuses_a_real_connector_and_an_outside_socket(
    no_network: list[str],
) -> None:
    import socket

    from cluetrain.networks import registry

    with pytest.raises(NetworkCalled):
        registry.build("mastodon", {"base_url": "https://example.social", "token": "x"})
    with pytest.raises(NetworkCalled), socket.socket() as sock:
        sock.connect(("93.184.216.34", 443))
    assert len(no_network) == 2
