"""Quizzes: checking what an author wrote, and scoring what a learner answered.

A quiz is a list of questions; each question has choices, each choice says whether it is
right and *why* (the explanation a learner sees after answering). A question with more than
one right choice is a multiple-answer question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cluetrain.core.errors import ServiceError

MAX_QUESTIONS = 20
MAX_CHOICES = 6
MAX_PROMPT = 500
MAX_CHOICE = 300
MAX_EXPLANATION = 600


def clean_question(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One question in its stored form, or ``ServiceError`` saying what is wrong with it."""
    prompt = str(raw.get("prompt", "")).strip()
    if not prompt:
        raise ServiceError("A question needs its question text.", code="quiz")
    if len(prompt) > MAX_PROMPT:
        raise ServiceError(f"A question is at most {MAX_PROMPT} characters.", code="quiz")
    choices = []
    for choice in raw.get("choices", []):
        text = str(choice.get("text", "")).strip()
        explanation = str(choice.get("explanation", "")).strip()
        if not text and not explanation:
            continue
        if not text:
            raise ServiceError("Each explained choice needs its answer text.", code="quiz")
        if len(text) > MAX_CHOICE or len(explanation) > MAX_EXPLANATION:
            raise ServiceError(
                f"An answer is at most {MAX_CHOICE} characters and its explanation at most "
                f"{MAX_EXPLANATION}.",
                code="quiz",
            )
        if not explanation:
            raise ServiceError(
                f"Explain the answer “{text[:60]}”: learners see why each answer is right "
                "or wrong.",
                code="quiz",
            )
        choices.append(
            {"text": text, "correct": bool(choice.get("correct")), "explanation": explanation}
        )
    if len(choices) < 2:
        raise ServiceError("A question needs at least two answers.", code="quiz")
    if len(choices) > MAX_CHOICES:
        raise ServiceError(f"A question has at most {MAX_CHOICES} answers.", code="quiz")
    right = sum(1 for c in choices if c["correct"])
    if not right:
        raise ServiceError("Mark at least one answer as right.", code="quiz")
    return {"prompt": prompt, "multiple": right > 1, "choices": choices}


def clean_quiz(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if len(raw) > MAX_QUESTIONS:
        raise ServiceError(f"A lesson's quiz has at most {MAX_QUESTIONS} questions.", code="quiz")
    return [clean_question(question) for question in raw]


@dataclass(frozen=True)
class Marked:
    """One answered question: its score (0 to 1), and each choice with whether it was picked."""

    index: int
    question: dict[str, Any]
    picked: frozenset[int]
    score: float

    @property
    def choices(self) -> list[tuple[int, dict[str, Any], bool]]:
        return [(i, c, i in self.picked) for i, c in enumerate(self.question["choices"])]

    @property
    def right(self) -> bool:
        return self.score >= 1.0


def mark_question(index: int, question: Mapping[str, Any], picked: frozenset[int]) -> Marked:
    """Score one question.

    Single answer: 1 for the right choice, else 0. Multiple answers: each right choice picked
    earns its share, each wrong one picked takes a share away, never below 0, so ticking every
    box does not pass.
    """
    choices = question["choices"]
    right = {i for i, c in enumerate(choices) if c["correct"]}
    picked = frozenset(i for i in picked if 0 <= i < len(choices))
    if not question.get("multiple") and len(right) == 1:
        score = 1.0 if picked == right else 0.0
    else:
        wrong = len(picked - right)
        score = max(0.0, (len(picked & right) - wrong) / len(right))
    return Marked(index, dict(question), picked, score)


def score_quiz(
    quiz: Sequence[Mapping[str, Any]], answers: Mapping[str, Sequence[int]]
) -> tuple[int, list[Marked]]:
    """The score in per cent (rounded down) and each question marked."""
    marked = [
        mark_question(i, question, frozenset(int(a) for a in answers.get(str(i), [])))
        for i, question in enumerate(quiz)
    ]
    if not marked:
        return 100, []
    return int(100 * sum(m.score for m in marked) / len(marked) + 1e-9), marked
