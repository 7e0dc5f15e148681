"""Quizzes: scoring single and multiple answers, partial credit, the pass mark, bad questions."""

from __future__ import annotations

import pytest

from cluetrain.academy.learners import do_complete_lesson, do_take_quiz
from cluetrain.academy.models import CourseCompletion, QuizAttempt
from cluetrain.academy.quizzes import clean_question, mark_question, score_quiz
from cluetrain.core.errors import ServiceError
from tests.conftest import Cast
from tests.support.academy import MULTIPLE, RIGHT, SINGLE, choice, first_lesson, make_course

QUIZ = [clean_question(SINGLE), clean_question(MULTIPLE)]


def test_a_single_answer_question_scores_one_for_the_right_choice_and_nothing_else() -> None:
    assert mark_question(0, QUIZ[0], frozenset({0})).score == 1.0
    assert mark_question(0, QUIZ[0], frozenset({1})).score == 0.0
    assert mark_question(0, QUIZ[0], frozenset({0, 1})).score == 0.0


def test_a_multiple_answer_question_gives_partial_credit_and_takes_it_back_for_wrong_ones() -> None:
    assert mark_question(1, QUIZ[1], frozenset({0, 1})).score == 1.0
    assert mark_question(1, QUIZ[1], frozenset({0})).score == 0.5
    assert mark_question(1, QUIZ[1], frozenset({0, 2})).score == 0.0
    # Ticking every box does not pass.
    assert mark_question(1, QUIZ[1], frozenset({0, 1, 2, 3})).score == 0.0


def test_a_quiz_score_is_the_average_in_per_cent_and_ignores_choices_that_do_not_exist() -> None:
    assert score_quiz(QUIZ, RIGHT)[0] == 100
    assert score_quiz(QUIZ, {"0": [0], "1": [1]})[0] == 75
    assert score_quiz(QUIZ, {"0": [99], "1": [-1]})[0] == 0


def test_a_question_must_explain_every_answer_and_have_a_right_one() -> None:
    with pytest.raises(ServiceError, match="Explain the answer"):
        clean_question({"prompt": "Q?", "choices": [{"text": "a", "correct": True}, choice("b")]})
    with pytest.raises(ServiceError, match="at least one answer as right"):
        clean_question({"prompt": "Q?", "choices": [choice("a"), choice("b")]})
    with pytest.raises(ServiceError, match="at least two answers"):
        clean_question({"prompt": "Q?", "choices": [choice("a", True)]})
    with pytest.raises(ServiceError, match="at most 500"):
        clean_question({"prompt": "Q" * 501, "choices": [choice("a", True), choice("b")]})
    assert clean_question(MULTIPLE)["multiple"] is True
    assert clean_question(SINGLE)["multiple"] is False


def test_passing_the_quiz_at_the_pass_mark_finishes_the_course_once(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme, lessons=1, pass_mark=75)
    lesson = first_lesson(course)
    do_complete_lesson(cast.trainee, lesson)
    failed = do_take_quiz(cast.trainee, lesson, {"0": [1], "1": [0, 1]})
    assert (failed.attempt.score, failed.attempt.passed) == (50, False)
    assert not CourseCompletion.objects.filter(person=cast.trainee, course=course).exists()
    passed = do_take_quiz(cast.trainee, lesson, {"0": [0], "1": [1]})
    assert (passed.attempt.score, passed.attempt.passed, passed.course_finished) == (75, True, True)
    again = do_take_quiz(cast.trainee, lesson, RIGHT)
    assert again.course_finished is False
    assert CourseCompletion.objects.filter(person=cast.trainee, course=course).count() == 1
    assert QuizAttempt.objects.filter(person=cast.trainee, lesson=lesson).count() == 3


def test_a_course_is_not_finished_while_a_lesson_is_not_done(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme, lessons=2)
    one, two = list(course.lessons.all())
    do_complete_lesson(cast.trainee, one)
    assert do_take_quiz(cast.trainee, one, RIGHT).course_finished is False
    assert do_take_quiz(cast.trainee, two, RIGHT).course_finished is False
    do_complete_lesson(cast.trainee, two)
    assert CourseCompletion.objects.filter(person=cast.trainee, course=course).exists()


def test_an_empty_answer_sheet_is_refused_and_an_outsider_cannot_take_the_quiz(
    cast: Cast,
) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    with pytest.raises(ServiceError, match="Answer at least one"):
        do_take_quiz(cast.trainee, lesson, {})
    from cluetrain.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        do_take_quiz(cast.outsider, lesson, RIGHT)
