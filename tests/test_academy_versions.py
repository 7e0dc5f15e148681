"""Lessons are versioned: each edit is a new version, and nobody's history is rewritten."""

from __future__ import annotations

import pytest

from cluetrain.academy.authoring import (
    LessonText,
    changes_between,
    do_delete_question,
    do_edit_lesson,
    do_save_question,
)
from cluetrain.academy.learners import do_complete_lesson, do_take_quiz
from cluetrain.academy.models import LessonCompletion, LessonVersion
from cluetrain.core.errors import NotAllowed, ServiceError
from tests.conftest import Cast
from tests.support.academy import RIGHT, SINGLE, choice, current, first_lesson, make_course


def _text(title: str = "Lesson 1", body: str = "## Part 1\n\nSay who you are.") -> LessonText:
    return LessonText(title=title, body=body, minutes=6)


def test_editing_a_lesson_makes_a_new_version_and_keeps_the_old_one_unchanged(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    first = lesson.current
    assert first is not None
    assert first.number == 1
    second = do_edit_lesson(cast.mentor, lesson, _text(body="Say who you are, always."), "Shorter.")
    lesson.refresh_from_db()
    assert (second.number, lesson.current_id, second.note) == (2, second.pk, "Shorter.")
    first.refresh_from_db()
    assert first.body == "## Part 1\n\nSay who you are."
    # The quiz carried over into the new version.
    assert len(second.questions) == 2


def test_saving_an_unchanged_lesson_makes_no_version(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    assert do_edit_lesson(cast.coordinator, lesson, _text()).number == 1
    assert LessonVersion.objects.filter(lesson=lesson).count() == 1


def test_a_completion_keeps_the_version_the_learner_took(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    current_pk = current(lesson).pk
    do_complete_lesson(cast.trainee, lesson)
    attempt = do_take_quiz(cast.trainee, lesson, RIGHT).attempt
    do_edit_lesson(cast.coordinator, lesson, _text(title="Lesson one, rewritten"))
    do_save_question(cast.coordinator, lesson, SINGLE)
    completion = LessonCompletion.objects.get(person=cast.trainee, lesson=lesson)
    attempt.refresh_from_db()
    assert completion.version_id == attempt.version_id == current_pk
    assert completion.version.title == "Lesson 1"
    lesson.refresh_from_db()
    assert current(lesson).number == 3
    assert len(current(lesson).questions) == 3


def test_changing_and_removing_questions_are_versions_too(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    changed = do_save_question(
        cast.coordinator,
        lesson,
        {"prompt": "Is it you who speaks?", "choices": [choice("Yes", True), choice("No")]},
        0,
    )
    assert changed.questions[0]["prompt"] == "Is it you who speaks?"
    assert changed.note == "Question 1 changed."
    removed = do_delete_question(cast.coordinator, lesson, 1)
    assert len(removed.questions) == 1
    assert removed.number == 3
    with pytest.raises(ServiceError, match="no such question"):
        do_delete_question(cast.coordinator, lesson, 7)


def test_what_changed_shows_added_and_removed_lines(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    older = current(lesson)
    newer = do_edit_lesson(cast.coordinator, lesson, _text(body="## Part 1\n\nSay your name."))
    changes = changes_between(older, newer)
    assert ("-", "Say who you are.") in changes
    assert ("+", "Say your name.") in changes


def test_a_trainee_cannot_edit_a_lesson(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    with pytest.raises(NotAllowed):
        do_edit_lesson(cast.trainee, lesson, _text(body="Mine now"))
    with pytest.raises(NotAllowed):
        do_save_question(cast.member, lesson, SINGLE)
    assert LessonVersion.objects.filter(lesson=lesson).count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LessonText(title="", body="x"), "title is empty"),
        (LessonText(title="T", body="   "), "lesson text is empty"),
        (LessonText(title="T", body="x" * 20_001), "at most 20,000"),
        (LessonText(title="T", body="x", minutes=0), "between 1 and 15 minutes"),
        (LessonText(title="T", body="x", minutes=45), "between 1 and 15 minutes"),
        (LessonText(title="T", body="nul \x00 byte"), "cannot be stored"),
    ],
)
def test_bad_lesson_text_is_refused_with_a_clear_reason(
    cast: Cast, text: LessonText, message: str
) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    with pytest.raises(ServiceError, match=message):
        do_edit_lesson(cast.coordinator, lesson, text)


def test_odd_unicode_is_kept_as_written(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    body = "Zoë says “ça va” — 你好 👋 \u200b"
    assert do_edit_lesson(cast.coordinator, lesson, _text(body=body)).body == body.strip()
