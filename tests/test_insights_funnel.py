"""The training funnel of the insights dashboards: counted from assignments and completions
alone, it says what each person's full academy progress says."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluetrain.academy.progress import progress_of_many, training_funnel
from cluetrain.reviews.models import AutonomyLevel, Level
from tests.conftest import Cast


def _from_progress(cast: Cast, ids: list[int]) -> list[tuple[str, int]]:
    progress = progress_of_many(cast.acme, ids, with_evidence=False)
    assigned = [p for p in progress.values() if p.courses]
    started = [p for p in assigned if p.lessons_done]
    completed = [p for p in started if any(c.done for c in p.courses)]
    promoted = [p for p in completed if str(p.level) in {"autonomous", "mentor"}]
    return [
        ("assigned", len(assigned)),
        ("started", len(started)),
        ("completed", len(completed)),
        ("promoted", len(promoted)),
    ]


def test_the_funnel_counts_what_each_persons_progress_says(cast: Cast) -> None:
    from cluetrain.academy.assignments import do_assign
    from cluetrain.academy.learners import do_complete_lesson
    from cluetrain.insights.forms import today_in
    from tests.support.academy import first_lesson, make_course

    short = make_course(cast.director, cast.acme, title="Short", lessons=1, quiz=False)
    long = make_course(cast.director, cast.acme, title="Long", lessons=2, quiz=False)
    due = today_in(cast.acme.time_zone) + timedelta(days=7)
    do_assign(cast.director, short, due, person=cast.trainee)
    do_assign(cast.director, short, due, person=cast.member)
    do_complete_lesson(cast.trainee, first_lesson(short))
    # Started without being assigned: the mentor took a lesson of their own accord.
    do_complete_lesson(cast.mentor, first_lesson(long))
    AutonomyLevel.objects.create(
        person=cast.trainee, organization=cast.acme, level=Level.AUTONOMOUS
    )
    ids = [cast.trainee.pk, cast.member.pk, cast.mentor.pk, cast.operations.pk]

    found = training_funnel(cast.acme, ids)

    assert found == [("assigned", 3), ("started", 2), ("completed", 1), ("promoted", 1)]
    assert found == _from_progress(cast, ids)


def test_the_funnel_of_nobody_is_all_zeros_without_a_query(cast: Cast) -> None:
    with CaptureQueriesContext(connection) as queries:
        found = training_funnel(cast.acme, [])
    assert found == [("assigned", 0), ("started", 0), ("completed", 0), ("promoted", 0)]
    assert len(queries) == 0


def test_the_funnel_takes_fewer_queries_than_the_full_progress(cast: Cast) -> None:
    ids = [cast.trainee.pk, cast.member.pk]
    with CaptureQueriesContext(connection) as full:
        _from_progress(cast, ids)
    with CaptureQueriesContext(connection) as funnel:
        training_funnel(cast.acme, ids)
    assert len(funnel) < len(full)
