"""Who may do what in the practice space: any member practises, mentors grade, outsiders
and other organisations see nothing."""

from __future__ import annotations

import pytest

from cluetrain.core.errors import NotAllowed
from cluetrain.practice import reading, services
from cluetrain.practice.models import Exercise, ExerciseKind, Outcome
from tests.conftest import Cast
from tests.support.practice import LATE_TRAIN, submitted

pytestmark = pytest.mark.django_db


def test_agency_staff_and_trainees_may_practise(cast: Cast) -> None:
    for person in (cast.agency, cast.trainee, cast.operations):
        message = services.do_post(person, cast.acme, "Practising my tone")
        assert message.learner == person


def test_an_outsider_cannot_practise_here_nor_see_anyones_practice(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        services.do_post(cast.outsider, cast.acme, "Hello")
    with pytest.raises(NotAllowed):
        services.do_start_scenario(cast.outsider, cast.acme, LATE_TRAIN)
    with pytest.raises(NotAllowed):
        reading.feed(cast.outsider, cast.acme, cast.trainee)
    submitted(cast.trainee, cast.acme)
    response = cast.client(cast.outsider).get(f"/academy/practice/learners/{cast.trainee.pk}/")
    assert response.status_code in (403, 404)


def test_a_member_cannot_see_a_colleagues_practice_but_a_mentor_can(cast: Cast) -> None:
    submitted(cast.trainee, cast.acme, "Tess's private attempt")
    url = f"/academy/practice/learners/{cast.trainee.pk}/"
    assert cast.client(cast.member).get(url).status_code == 403
    page = cast.client(cast.mentor).get(url)
    assert page.status_code == 200
    assert "Tess&#x27;s private attempt" in page.content.decode()


def test_only_mentors_coordinators_and_directors_use_the_mentoring_page(cast: Cast) -> None:
    assert cast.client(cast.trainee).get("/academy/practice/mentoring/").status_code == 403
    assert cast.client(cast.agency).get("/academy/practice/mentoring/").status_code == 403
    for person in (cast.mentor, cast.coordinator, cast.director):
        assert cast.client(person).get("/academy/practice/mentoring/").status_code == 200


def test_another_organisations_mentor_cannot_grade_acmes_work(cast: Cast) -> None:
    message = submitted(cast.trainee, cast.acme)
    with pytest.raises(NotAllowed):
        services.do_grade(cast.outsider, message, outcome=Outcome.PASS)
    with pytest.raises(NotAllowed):
        services.do_comment_inline(cast.outsider, message, start=0, end=3, comment="Hm")
    # Nor find it by address: another organisation's message is not there.
    response = cast.client(cast.outsider).post(
        f"/academy/practice/messages/{message.pk}/grade/", {"outcome": "pass"}
    )
    assert response.status_code == 404


def test_only_mentors_set_exercises(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        services.do_create_exercise(
            cast.trainee, cast.acme, title="Mine", instructions="Do it", kind=ExerciseKind.POST
        )
    exercise = services.do_create_exercise(
        cast.mentor,
        cast.acme,
        title="Answer Kat",
        instructions="Reply to the late-train complaint.",
        kind=ExerciseKind.REPLY,
        scenario=LATE_TRAIN,
    )
    assert Exercise.objects.filter(pk=exercise.pk, organization=cast.acme).exists()


def test_another_organisations_exercise_cannot_be_used(cast: Cast) -> None:
    other = Exercise.objects.create(
        organization=cast.globex, title="Globex only", instructions="x", kind=ExerciseKind.POST
    )
    with pytest.raises(Exception, match="not open here"):
        services.do_post(cast.trainee, cast.acme, "Hi", exercise=other)


def test_mentors_follow_the_learners_they_gave_feedback_to_and_coordinators_everyone(
    cast: Cast,
) -> None:
    graded = submitted(cast.trainee, cast.acme)
    services.do_grade(cast.mentor, graded, outcome=Outcome.PASS)
    submitted(cast.member, cast.acme)
    followed_by_mentor = {row.person for row in reading.learners_to_follow(cast.mentor, cast.acme)}
    assert followed_by_mentor == {cast.trainee}
    followed_by_lead = {
        row.person for row in reading.learners_to_follow(cast.coordinator, cast.acme)
    }
    assert followed_by_lead == {cast.trainee, cast.member}
    with pytest.raises(NotAllowed):
        reading.learners_to_follow(cast.trainee, cast.acme)
