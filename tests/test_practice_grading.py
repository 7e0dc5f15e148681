"""Grading practice: by the guideline engine as it is written, and by mentors, inline too."""

from __future__ import annotations

import pytest

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.guidelines.services import do_import_yaml
from cluetrain.notifications.models import Notification
from cluetrain.practice import services
from cluetrain.practice.models import Grade, InlineComment, Outcome
from tests.conftest import Cast
from tests.support.guidelines import FALCON_AND_Q3
from tests.support.practice import LATE_TRAIN, submitted

pytestmark = pytest.mark.django_db


def test_the_engine_grades_each_message_as_written_with_its_spans(cast: Cast) -> None:
    do_import_yaml(cast.director, cast.acme, FALCON_AND_Q3)
    message = services.do_post(cast.trainee, cast.acme, "Coming soon: Project Falcon!")
    assert message.verdict == "block"
    [finding] = message.findings
    assert finding["rule"] == "falcon-codename"
    assert message.text[finding["start"] : finding["end"]] == "Project Falcon"
    assert message.check_version
    clean = services.do_post(cast.trainee, cast.acme, "The new trains run from Monday.")
    assert clean.verdict == "ok"
    assert clean.findings == []


def test_a_reply_with_a_customers_email_needs_review_by_the_engine(cast: Cast) -> None:
    thread = services.do_start_scenario(cast.trainee, cast.acme, LATE_TRAIN)
    reply = services.do_reply(cast.trainee, thread, "Kat, write to kat.smith@example.org please")
    assert reply.verdict == "review"
    assert any(item["rule"] == "email" for item in reply.findings)


def test_a_mentor_grades_and_the_learner_is_told(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme)
    grade = services.do_grade(
        cast.mentor, message, outcome=Outcome.PASS, score=85, feedback="Warm and clear."
    )
    assert (grade.outcome, grade.score, grade.is_current) == ("pass", 85, True)
    note = Notification.objects.get(person=cast.trainee, kind="practice_feedback")
    assert "pass" in note.title
    assert note.body == "Warm and clear."
    assert note.url.endswith(f"#message-{message.pk}")


def test_regrading_keeps_history_and_the_last_grade_wins(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme)
    services.do_grade(cast.mentor, message, outcome=Outcome.NEEDS_WORK, score=40)
    services.do_grade(cast.coordinator, message, outcome=Outcome.PASS, score=90)
    grades = list(Grade.objects.filter(message=message).order_by("pk"))
    assert [(g.outcome, g.is_current) for g in grades] == [("needs_work", False), ("pass", True)]


def test_the_same_grade_given_twice_is_given_once(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme)
    first = services.do_grade(cast.mentor, message, outcome=Outcome.PASS, feedback="Good")
    again = services.do_grade(cast.mentor, message, outcome=Outcome.PASS, feedback="Good")
    assert first.pk == again.pk
    assert Grade.objects.filter(message=message).count() == 1
    assert Notification.objects.filter(person=cast.trainee, kind="practice_feedback").count() == 1


@pytest.mark.parametrize("score", [-1, 101])
def test_a_score_outside_0_to_100_is_refused(cast: Cast, score: int) -> None:
    message = submitted(cast.trainee, cast.acme)
    with pytest.raises(ServiceError, match="between 0 and 100"):
        services.do_grade(cast.mentor, message, outcome=Outcome.PASS, score=score)


def test_work_not_submitted_is_not_graded(cast: Cast) -> None:
    message = services.do_post(cast.trainee, cast.acme, "Just trying things out")
    with pytest.raises(ServiceError, match="not asked for feedback"):
        services.do_grade(cast.mentor, message, outcome=Outcome.PASS)


def test_an_unknown_outcome_is_refused(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme)
    with pytest.raises(ServiceError, match="pass or needs work"):
        services.do_grade(cast.mentor, message, outcome="excellent")


def test_a_trainee_cannot_grade_and_nobody_grades_their_own_work(cast: Cast) -> None:
    message = submitted(cast.member, cast.acme)
    with pytest.raises(NotAllowed):
        services.do_grade(cast.trainee, message, outcome=Outcome.PASS)
    own = submitted(cast.mentor, cast.acme)
    with pytest.raises(NotAllowed, match="own practice"):
        services.do_grade(cast.mentor, own, outcome=Outcome.PASS)


def test_inline_feedback_is_anchored_to_the_span_and_notifies(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme, "Sorry for the delay this morning.")
    start = message.text.index("delay")
    comment = services.do_comment_inline(
        cast.mentor, message, start=start, end=start + 5, comment="Say why it was late."
    )
    assert comment.quote == "delay"
    assert Notification.objects.filter(
        person=cast.trainee, kind="practice_feedback", body__contains="delay"
    ).exists()
    # Sent twice (a retried request): kept once.
    services.do_comment_inline(
        cast.mentor, message, start=start, end=start + 5, comment="Say why it was late."
    )
    assert InlineComment.objects.filter(message=message).count() == 1


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 5), (6, 2), (0, 10_000)])
def test_inline_feedback_outside_the_text_is_refused(cast: Cast, start: int, end: int) -> None:
    message = submitted(cast.trainee, cast.acme, "Sorry for the delay this morning.")
    with pytest.raises(ServiceError, match="not within the text"):
        services.do_comment_inline(cast.mentor, message, start=start, end=end, comment="Hm")
    assert not InlineComment.objects.filter(message=message).exists()


def test_submitting_twice_is_submitting_once(cast: Cast) -> None:
    message = services.do_post(cast.trainee, cast.acme, "Our new trains have bike spaces.")
    first = services.do_submit(cast.trainee, message).submitted_at
    assert first is not None
    assert services.do_submit(cast.trainee, message).submitted_at == first
    with pytest.raises(NotAllowed):
        services.do_submit(cast.member, message)


def test_a_post_about_the_organisation_without_its_disclosure_is_blocked_as_in_the_composer(
    cast: Cast,
) -> None:
    message = services.do_post(cast.trainee, cast.acme, "The Acme trains are new and shiny")
    assert message.verdict == "block"
    [finding] = [item for item in message.findings if item["rule"] == "disclosure"]
    assert message.text[finding["start"] : finding["end"]] == "Acme"
    assert "#iworkatacme" in finding["explanation"]
    disclosed = services.do_post(cast.trainee, cast.acme, "The Acme trains are new #iworkatacme")
    assert disclosed.verdict == "ok"
