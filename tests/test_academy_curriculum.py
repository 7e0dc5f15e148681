"""The default curriculum: installed per organisation, idempotent, never overwriting edits;
"What not to say" teaches the organisation's own rules and checks drafts with the real engine."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cluetrain.academy.authoring import LessonText, do_edit_lesson
from cluetrain.academy.curriculum import do_install_curriculum, shipped_courses
from cluetrain.academy.learners import do_complete_lesson, do_try_exercise, required_words
from cluetrain.academy.models import Course, Lesson, LessonVersion
from cluetrain.academy.quizzes import clean_quiz
from cluetrain.academy.rulebook import expand
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.guidelines.services import do_import_yaml
from tests.conftest import Cast
from tests.support.academy import current
from tests.support.guidelines import FALCON_AND_Q3

TITLES = {
    "Speak for yourself: first steps",
    "What not to say: our guidelines",
    "Answering customers in public",
    "When things go wrong",
    "Social media literacy for leaders",
}


def test_the_shipped_curriculum_has_short_lessons_and_explained_quizzes() -> None:
    courses = shipped_courses()
    assert {c["title"] for c in courses} == TITLES
    for course in courses:
        for lesson in course["lessons"]:
            assert 5 <= lesson["minutes"] <= 10, lesson["title"]
            clean_quiz(lesson.get("quiz") or [])  # raises if an answer lacks its explanation
    leaders = next(c for c in courses if c["key"] == "leaders")
    assert leaders["audience"] == "leaders"


def test_installing_twice_adds_nothing_the_second_time(cast: Cast) -> None:
    first = do_install_curriculum(cast.coordinator, cast.acme)
    assert set(first.courses_added) == TITLES
    assert first.lessons_added >= 15
    counts = (Course.objects.count(), Lesson.objects.count(), LessonVersion.objects.count())
    second = do_install_curriculum(cast.coordinator, cast.acme)
    assert (second.courses_added, second.lessons_added, second.lessons_updated) == ([], 0, 0)
    assert counts == (Course.objects.count(), Lesson.objects.count(), LessonVersion.objects.count())


def test_a_reinstall_never_overwrites_a_lesson_the_organisation_edited(cast: Cast) -> None:
    do_install_curriculum(None, cast.acme)
    lesson = Lesson.objects.get(course__organization=cast.acme, source_key="why-your-voice")
    do_edit_lesson(
        cast.coordinator, lesson, LessonText(title="Our own words", body="Written here.", minutes=6)
    )
    done = do_install_curriculum(None, cast.acme)
    lesson.refresh_from_db()
    assert current(lesson).title == "Our own words"
    assert done.lessons_kept == 1


def test_a_trainee_cannot_install_and_each_organisation_has_its_own_copy(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        do_install_curriculum(cast.trainee, cast.acme)
    call_command("academy", "install-curriculum", "--organization", "globex", verbosity=0)
    assert Course.objects.filter(organization=cast.globex).count() == 5
    assert not Course.objects.filter(organization=cast.acme).exists()


def test_what_not_to_say_lists_the_organisations_own_rules(cast: Cast) -> None:
    do_import_yaml(cast.director, cast.acme, FALCON_AND_Q3)
    text = expand(cast.acme, "Intro\n\n{{ guidelines:block }}\n\n{{ guidelines:review }}")
    assert "**falcon-codename**: Falcon is unannounced." in text
    assert "“Project Falcon”" in text
    assert "our next product" in text
    assert "payment card" in text  # built-in detectors are listed too
    assert "q3-numbers" in text.split("falcon")[-1]
    assert "Globex" not in expand(cast.globex, "{{ guidelines:block }}")
    assert "falcon" not in expand(cast.globex, "{{ guidelines:block }}")


def _live_lesson(cast: Cast) -> Lesson:
    do_install_curriculum(None, cast.acme)
    return Lesson.objects.select_related("current", "course").get(
        course__organization=cast.acme, source_key="live-exercise"
    )


def test_the_live_exercise_passes_a_clean_reply_and_refuses_one_with_a_card_number(
    cast: Cast,
) -> None:
    lesson = _live_lesson(cast)
    assert required_words(current(lesson).exercise) == ["refund"]
    with pytest.raises(ServiceError, match="guidelines let through"):
        do_complete_lesson(cast.trainee, lesson)
    bad = do_try_exercise(
        cast.trainee, lesson, "Sorry! We will refund card 4111 1111 1111 1111 today."
    )
    assert not bad.attempt.passed
    assert bad.attempt.verdict == "block"
    vague = do_try_exercise(cast.trainee, lesson, "Sorry about this morning, we will help you.")
    assert not vague.attempt.passed
    assert vague.missing == ["refund"]
    good = do_try_exercise(
        cast.trainee,
        lesson,
        "I'm so sorry you missed your interview. Please delete your post with the card number, "
        "and send us a private message: we will arrange your refund today.",
    )
    assert good.attempt.passed, good.result.findings
    do_complete_lesson(cast.trainee, lesson)


def test_the_live_exercise_uses_the_organisations_own_rules(cast: Cast) -> None:
    lesson = _live_lesson(cast)
    do_import_yaml(cast.director, cast.acme, FALCON_AND_Q3)
    tried = do_try_exercise(
        cast.trainee, lesson, "Your refund comes with a Project Falcon voucher."
    )
    assert tried.attempt.verdict == "block"
    assert not tried.attempt.passed


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "at least 20"), ("short", "at least 20"), ("x" * 2001, "at most 2,000")],
)
def test_the_live_exercise_refuses_empty_and_oversized_drafts(
    cast: Cast, text: str, message: str
) -> None:
    lesson = _live_lesson(cast)
    with pytest.raises(ServiceError, match=message):
        do_try_exercise(cast.trainee, lesson, text)


def test_the_command_line_lists_the_curriculum_and_refuses_an_unknown_organisation(
    cast: Cast,
) -> None:
    from io import StringIO

    from django.core.management.base import CommandError

    out = StringIO()
    call_command("academy", "curriculum", stdout=out)
    assert "Social media literacy for leaders (leaders)" in out.getvalue()
    with pytest.raises(CommandError, match="No organisation"):
        call_command("academy", "install-curriculum", "--organization", "nope")
    out = StringIO()
    call_command("academy", "remind", stdout=out)
    assert "reminder(s) sent" in out.getvalue()
