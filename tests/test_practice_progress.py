"""The practice space's progress numbers, as the academy reads them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cluetrain.organizations.models import Person
from cluetrain.practice.models import Author, Grade, Message, Outcome
from cluetrain.practice.progress import PracticeRecord, graded_work
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _submitted(cast: Cast, learner: Person, text: str = "Sorry about the delay") -> Message:
    return Message.objects.create(
        organization=cast.acme,
        learner=learner,
        author=Author.LEARNER,
        text=text,
        submitted_at=timezone.now(),
    )


def test_graded_work_counts_a_known_history_in_one_query(
    cast: Cast, django_assert_num_queries: object
) -> None:
    trainee, member = cast.trainee, cast.member
    first = _submitted(cast, trainee)
    second = _submitted(cast, trainee)
    _submitted(cast, trainee)  # waiting for feedback
    # Regraded: needs work first, then a pass; only the current grade counts.
    Grade.objects.create(
        message=first, mentor=cast.mentor, outcome=Outcome.NEEDS_WORK, is_current=False
    )
    Grade.objects.create(message=first, mentor=cast.mentor, outcome=Outcome.PASS)
    Grade.objects.create(message=second, mentor=cast.mentor, outcome=Outcome.NEEDS_WORK)
    graded = _submitted(cast, member)
    Grade.objects.create(message=graded, mentor=cast.mentor, outcome=Outcome.PASS)
    # Not submitted, and another organisation's work: neither counts.
    Message.objects.create(
        organization=cast.acme, learner=member, author=Author.LEARNER, text="just practising"
    )
    Message.objects.create(
        organization=cast.globex,
        learner=member,
        author=Author.LEARNER,
        text="elsewhere",
        submitted_at=timezone.now(),
    )
    with django_assert_num_queries(1):  # type: ignore[operator]
        records = graded_work(cast.acme, [trainee.pk, member.pk, cast.director.pk])
    assert records[trainee.pk] == PracticeRecord(trainee.pk, 3, 2, 1, 1)
    assert records[member.pk] == PracticeRecord(member.pk, 1, 1, 1, 0)
    assert records[cast.director.pk] == PracticeRecord(cast.director.pk, 0, 0, 0, 0)


def test_graded_work_for_nobody_asks_nothing(cast: Cast, django_assert_num_queries: object) -> None:
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert graded_work(cast.acme, []) == {}
