"""The practice space's pages: a feed that looks like a network, mentors' queue, and forms."""

from __future__ import annotations

import pytest

from cluetrain.practice import services
from cluetrain.practice.models import Grade, InlineComment, Message, Thread
from tests.conftest import Cast
from tests.support.practice import LATE_TRAIN, submitted

pytestmark = pytest.mark.django_db


def test_the_feed_shows_posts_threads_and_the_composer(cast: Cast) -> None:
    services.do_post(cast.trainee, cast.acme, "First try at a post")
    services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    page = cast.client(cast.trainee).get("/academy/practice/").content.decode()
    assert "First try at a post" in page
    assert "07:42 from Brookfield" in page
    assert 'name="text"' in page
    assert "Reply as yourself" in page
    assert "/static/practice/practice." in page


def test_a_learner_posts_replies_and_submits_through_the_pages(cast: Cast) -> None:
    client = cast.client(cast.trainee)
    response = client.post(
        "/academy/practice/post/", {"text": "Bikes travel free on the coast line"}
    )
    assert response.status_code == 302
    message = Message.objects.get(learner=cast.trainee, text__startswith="Bikes")
    client.post("/academy/practice/scenarios/start/", {"scenario": LATE_TRAIN})
    thread = Thread.objects.get(learner=cast.trainee, scenario=LATE_TRAIN)
    client.post(f"/academy/practice/threads/{thread.pk}/reply/", {"text": "Sorry, Kat."})
    assert Message.objects.filter(thread=thread).count() == 3
    client.post(f"/academy/practice/messages/{message.pk}/submit/")
    message.refresh_from_db()
    assert message.submitted_at is not None


def test_an_empty_or_oversized_reply_is_refused_with_a_clear_message(cast: Cast) -> None:
    client = cast.client(cast.trainee)
    thread = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    for text, error in [
        ("   \u200b ", "is empty"),
        ("x" * 2001, "at most 2000"),
        ("a\u202eb", "direction"),
    ]:
        response = client.post(
            f"/academy/practice/threads/{thread.pk}/reply/", {"text": text}, follow=True
        )
        assert error in response.content.decode()
    assert Message.objects.filter(thread=thread, author="learner").count() == 0


def test_hostile_html_is_shown_as_text_everywhere(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme, "<script>alert(1)</script> hello")
    services.do_comment_inline(
        cast.mentor, message, start=0, end=8, comment='<img src=x onerror="alert(2)">'
    )
    page = cast.client(cast.trainee).get("/academy/practice/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page
    assert "<img src=x" not in page


def test_the_live_check_shows_the_engine_findings(cast: Cast) -> None:
    response = cast.client(cast.trainee).post(
        "/academy/practice/check/", {"text": "mail me at tess@example.org"}
    )
    assert response.status_code == 200
    assert "guideline-findings" in response.content.decode()
    assert "<mark" in response.content.decode()


def test_a_mentor_grades_and_comments_from_the_learners_page(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme, "Sorry for the delay this morning.")
    client = cast.client(cast.mentor)
    page = client.get(f"/academy/practice/learners/{cast.trainee.pk}/").content.decode()
    assert "Give feedback" in page
    client.post(
        f"/academy/practice/messages/{message.pk}/grade/",
        {"outcome": "needs_work", "score": "55", "feedback": "Say why."},
    )
    assert Grade.objects.get(message=message).score == 55
    # Typed words, without the page's offsets.
    client.post(
        f"/academy/practice/messages/{message.pk}/comment/", {"quote": "delay", "comment": "Why?"}
    )
    comment = InlineComment.objects.get(message=message)
    assert (comment.start, comment.end) == (14, 19)
    # Offsets that miss the selected words fall back to the words.
    client.post(
        f"/academy/practice/messages/{message.pk}/comment/",
        {"start": "0", "end": "5", "quote": "morning", "comment": "Which train?"},
    )
    assert InlineComment.objects.filter(message=message, quote="morning").exists()
    page = cast.client(cast.trainee).get("/academy/practice/").content.decode()
    assert 'class="inline-comment"' in page
    assert "Needs work" in page
    assert "55/100" in page


def test_a_bad_score_is_refused_on_the_page(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme)
    response = cast.client(cast.mentor).post(
        f"/academy/practice/messages/{message.pk}/grade/",
        {"outcome": "pass", "score": "eleventy"},
        follow=True,
    )
    assert "whole number" in response.content.decode()
    assert not Grade.objects.filter(message=message).exists()


def test_the_mentoring_page_lists_feedback_to_give_in_few_queries(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    for index in range(12):
        submitted(cast.trainee if index % 2 else cast.member, cast.acme, f"Attempt {index}")
    client = cast.client(cast.coordinator)
    client.get("/academy/practice/mentoring/")  # warm the session and caches
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        page = client.get("/academy/practice/mentoring/").content.decode()
    assert page.count("Attempt ") == 12
    assert "Learners to follow" in page
    assert str(cast.trainee) in page


def test_the_feed_asks_a_bounded_number_of_queries(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    for index in range(8):
        message = submitted(cast.trainee, cast.acme, f"Post {index}")
        services.do_grade(cast.mentor, message, outcome="pass")
        services.do_comment_inline(cast.mentor, message, start=0, end=4, comment="Nice")
    for slug in ("rail-bike-reservation", "rail-strike-rumour", LATE_TRAIN):
        services.do_start_scenario(cast.trainee, cast.acme, slug)
    client = cast.client(cast.trainee)
    client.get("/academy/practice/")
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        page = client.get("/academy/practice/").content.decode()
    assert page.count('class="practice-grade pass"') == 8


def test_the_scenarios_page_lists_rail_and_replayed_conversations(cast: Cast) -> None:
    page = cast.client(cast.agency).get("/academy/practice/scenarios/").content.decode()
    assert "Rail customers" in page
    assert "Replayed from public conversations" in page


def test_a_mentor_closes_an_exercise_and_learners_no_longer_see_it(cast: Cast) -> None:
    exercise = services.do_create_exercise(
        cast.mentor, cast.acme, title="Bikes post", instructions="Post about bikes", kind="post"
    )
    assert "Bikes post" in cast.client(cast.trainee).get("/academy/practice/").content.decode()
    url = f"/academy/practice/mentoring/exercises/{exercise.pk}/close/"
    assert cast.client(cast.trainee).post(url).status_code == 403
    cast.client(cast.mentor).post(url)
    exercise.refresh_from_db()
    assert not exercise.is_active
    assert "Bikes post" not in cast.client(cast.trainee).get("/academy/practice/").content.decode()


def test_the_learner_sees_their_own_numbers(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme)
    services.do_grade(cast.mentor, message, outcome="pass")
    submitted(cast.trainee, cast.acme, "Second attempt")
    page = cast.client(cast.trainee).get("/academy/practice/").content.decode()
    assert "<dt>Passed</dt><dd>1</dd>" in page
    assert "<dt>Waiting</dt><dd>1</dd>" in page
