"""Hostile and odd input in the practice space: refused with a plain reason, nothing stored."""

from __future__ import annotations

import pytest

from cluetrain.core.errors import ServiceError
from cluetrain.practice import scenarios, services
from cluetrain.practice.models import Author, Exercise, ExerciseKind, Message, Thread
from cluetrain.practice.text import clean_text
from tests.conftest import Cast
from tests.support.practice import LATE_TRAIN

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\u200b\u200d", "empty"),
        ("x" * 2001, "too_long"),
        ("refund\u202egnp.exe", "odd_unicode"),
        ("bell\x07", "odd_unicode"),
        ("lone \ud800 surrogate", "odd_unicode"),
        ("private \ue000 use", "odd_unicode"),
    ],
)
def test_a_bad_post_is_refused_with_a_reason(cast: Cast, text: str, code: str) -> None:
    with pytest.raises(ServiceError) as refused:
        services.do_post(cast.trainee, cast.acme, text)
    assert refused.value.code == code
    assert not Message.objects.filter(learner=cast.trainee).exists()


def test_emoji_accents_and_other_scripts_are_welcome_and_normalised(cast: Cast) -> None:
    decomposed = "Cafe\u0301 \U0001f686 Добрый день 日本語 \u05e9\u05dc\u05d5\u05dd"
    message = services.do_post(cast.trainee, cast.acme, decomposed)
    assert message.text.startswith("Café \U0001f686")  # NFC: one code point for é
    assert clean_text("line one\r\nline two", what="Text", limit=50) == "line one\nline two"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": "", "instructions": "Do it", "kind": "post"}, "title is empty"),
        ({"title": "T" * 201, "instructions": "Do it", "kind": "post"}, "at most 200"),
        ({"title": "Reply", "instructions": "Do it", "kind": "reply"}, "needs a scenario"),
        ({"title": "Odd", "instructions": "Do it", "kind": "poem"}, "a reply or a post"),
        ({"title": "Long", "instructions": "i" * 4001, "kind": "post"}, "at most 4000"),
    ],
)
def test_a_bad_exercise_is_refused(cast: Cast, fields: dict[str, str], error: str) -> None:
    with pytest.raises(ServiceError, match=error):
        services.do_create_exercise(cast.mentor, cast.acme, **fields)
    assert not Exercise.objects.filter(organization=cast.acme).exists()


def test_two_exercises_may_not_share_a_title(cast: Cast) -> None:
    fields = {"title": "Bikes", "instructions": "Post about bikes", "kind": ExerciseKind.POST}
    services.do_create_exercise(cast.mentor, cast.acme, **fields)
    with pytest.raises(ServiceError, match="already an exercise"):
        services.do_create_exercise(cast.coordinator, cast.acme, **fields)


def test_a_step_replayed_twice_arrives_once(cast: Cast) -> None:
    thread = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    scenario = scenarios.get(LATE_TRAIN)
    assert scenario is not None
    # A stale copy of the thread (another request read it before the first step went out).
    stale = Thread.objects.get(pk=thread.pk)
    stale.next_turn = 0
    services._deliver_step(stale, scenario)
    assert Message.objects.filter(thread=thread, author=Author.CUSTOMER).count() == 1


def test_replayed_customer_text_is_escaped_on_the_page(cast: Cast) -> None:
    thread = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    Message.objects.filter(thread=thread, author=Author.CUSTOMER).update(
        text='<a href="javascript:alert(1)">win a prize</a>'
    )
    page = cast.client(cast.trainee).get("/academy/practice/").content.decode()
    assert 'href="javascript:' not in page
    assert "&lt;a href=&quot;javascript:alert(1)&quot;&gt;" in page


def test_a_forged_next_address_is_not_followed(cast: Cast) -> None:
    response = cast.client(cast.trainee).post(
        "/academy/practice/post/", {"text": "Hi", "next": "https://evil.example/"}
    )
    assert response["Location"].startswith("/academy/practice/")
