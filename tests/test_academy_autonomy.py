"""Finished academy modules are autonomy evidence: a learner who finished enough is proposed."""

from __future__ import annotations

from cluetrain.academy.learners import do_complete_lesson, do_take_quiz
from cluetrain.academy.progress import modules_done, progress_of_many
from cluetrain.reviews.autonomy import evidence_for, propose_promotions
from cluetrain.reviews.models import AutonomyLevel, Level, PromotionProposal, ReviewPolicy
from tests.conftest import Cast
from tests.support.academy import RIGHT, make_course


def _finish(cast: Cast, person_key: str, course_title: str, *, is_module: bool = True) -> None:
    course = make_course(cast.coordinator, cast.acme, title=course_title, is_module=is_module)
    person = getattr(cast, person_key)
    for lesson in course.lessons.all():
        do_complete_lesson(person, lesson)
        do_take_quiz(person, lesson, RIGHT)


def _learners(cast: Cast) -> None:
    ReviewPolicy.objects.update_or_create(
        organization=cast.acme, defaults={"academy_modules_required": 2}
    )
    for person in (cast.trainee, cast.member):
        AutonomyLevel.objects.update_or_create(
            person=person, organization=cast.acme, defaults={"level": Level.LEARNER}
        )


def test_a_learner_with_the_required_modules_done_gets_a_promotion_proposal(cast: Cast) -> None:
    _learners(cast)
    _finish(cast, "trainee", "Speak for yourself")
    _finish(cast, "trainee", "What not to say")
    _finish(cast, "member", "Speak for yourself, again")  # one module only
    _finish(cast, "member", "A course that does not count", is_module=False)
    assert modules_done(cast.acme, [cast.trainee.pk, cast.member.pk]) == {
        cast.trainee.pk: 2,
        cast.member.pk: 1,
    }
    assert evidence_for(cast.trainee, cast.acme).ready
    assert "1 more academy module" in evidence_for(cast.member, cast.acme).missing[0]
    assert propose_promotions() >= 1
    proposal = PromotionProposal.objects.get(person=cast.trainee, organization=cast.acme)
    assert (proposal.from_level, proposal.to_level) == (Level.LEARNER, Level.SUPERVISED)
    assert proposal.evidence["academy_modules_done"] == 2
    assert not PromotionProposal.objects.filter(person=cast.member).exists()


def test_modules_of_another_organisation_do_not_count(cast: Cast) -> None:
    _learners(cast)
    make_course(cast.outsider, cast.globex, title="Globex basics")
    assert modules_done(cast.acme, [cast.trainee.pk]) == {cast.trainee.pk: 0}


def test_progress_of_many_reads_many_people_in_a_fixed_number_of_queries(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    _learners(cast)
    _finish(cast, "trainee", "Speak for yourself")
    ids = [cast.trainee.pk, cast.member.pk, cast.mentor.pk, cast.director.pk]
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        found = progress_of_many(cast.acme, ids)
    mine = found[cast.trainee.pk]
    assert (mine.lessons_done, mine.modules_done, mine.quiz_average) == (2, 1, 100)
    assert mine.courses[0].percent == 100
    assert mine.evidence is not None
    assert found[cast.member.pk].quiz_average is None
    assert found[cast.mentor.pk].level == Level.MENTOR


def test_a_course_with_a_quiz_left_is_not_shown_as_complete(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme, lessons=2)
    for lesson in course.lessons.all():
        do_complete_lesson(cast.trainee, lesson)
    do_take_quiz(cast.trainee, course.lessons.all()[0], RIGHT)
    shown = progress_of_many(cast.acme, [cast.trainee.pk])[cast.trainee.pk].courses[0]
    assert (shown.lessons_done, shown.quizzes_passed, shown.quizzes_total) == (2, 1, 2)
    assert shown.percent == 75
    assert not shown.done
