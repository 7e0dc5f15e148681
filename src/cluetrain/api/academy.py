"""The academy endpoints: courses, my assignments and progress, a person's progress.

A person reads their own progress; mentors, coordinators and directors read anyone's in their
organisation (``cluetrain.academy.access``). Figures come from ``progress_of_many``, a fixed
number of queries however many courses there are.
"""

from django.db.models import Count
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router

from cluetrain.academy import access, assignments
from cluetrain.academy.models import Course
from cluetrain.academy.progress import PersonProgress, progress_of_many
from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import ErrorOut
from cluetrain.api.schemas import PersonRef
from cluetrain.api.schemas_b import AssignmentOut, CourseOut, CourseProgressOut, ProgressOut
from cluetrain.organizations import policy
from cluetrain.organizations.models import Membership, Person
from cluetrain.organizations.policy import Permission

router = Router(tags=["academy"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _member(who: Caller) -> None:
    policy.require(who.person, who.organization, Permission.VIEW_ORGANIZATION)


def _progress(who: Caller, person: Person) -> ProgressOut:
    found: PersonProgress = progress_of_many(who.organization, [person.pk], with_evidence=False)[
        person.pk
    ]
    now = timezone.now()
    return ProgressOut(
        person=PersonRef(id=person.pk, name=person.full_name),
        level=str(found.level),
        lessons_done=found.lessons_done,
        courses_done=found.courses_done,
        modules_done=found.modules_done,
        quiz_average=found.quiz_average,
        overdue=len(found.overdue(now)),
        courses=[
            CourseProgressOut(
                course_id=c.course_id,
                title=c.title,
                lessons_total=c.lessons_total,
                lessons_done=c.lessons_done,
                quizzes_total=c.quizzes_total,
                quizzes_passed=c.quizzes_passed,
                done=c.done,
                percent=c.percent,
                due_at=c.due_at,
            )
            for c in found.courses
        ],
    )


@router.get("/academy/courses", response={200: list[CourseOut], **ERRORS})
def list_courses(request: HttpRequest) -> list[CourseOut]:
    """The organisation's courses, in their order."""
    who = caller(request)
    _member(who)
    courses = (
        Course.objects.filter(organization=who.organization)
        .annotate(lesson_count=Count("lessons"))
        .order_by("position", "pk")
    )
    return [
        CourseOut(
            id=c.pk,
            slug=c.slug,
            title=c.title,
            summary=c.summary,
            audience=c.audience,
            is_module=c.is_module,
            lessons=c.lesson_count,
        )
        for c in courses
    ]


@router.get("/academy/me", response={200: ProgressOut, **ERRORS})
def my_progress(request: HttpRequest) -> ProgressOut:
    """The caller's own progress: every course, lessons and quizzes done, what is due."""
    who = caller(request)
    _member(who)
    return _progress(who, who.person)


@router.get("/academy/me/assignments", response={200: list[AssignmentOut], **ERRORS})
def my_assignments(request: HttpRequest) -> list[AssignmentOut]:
    """The courses assigned to the caller (in person, by department or by role), due first."""
    who = caller(request)
    _member(who)
    mine = list(assignments.assignments_for(who.person, who.organization))
    found = progress_of_many(who.organization, [who.person.pk], with_evidence=False)[who.person.pk]
    done = {c.course_id for c in found.courses if c.done}
    return [
        AssignmentOut(
            id=a.pk,
            course_id=a.course_id,
            course=a.course.title,
            due_at=a.due_at,
            done=a.course_id in done,
        )
        for a in mine
    ]


@router.get("/academy/people/{person_id}", response={200: ProgressOut, **ERRORS})
def person_progress(request: HttpRequest, person_id: int) -> ProgressOut:
    """A member's progress: for the person themselves, their mentors and coordinators."""
    who = caller(request)
    _member(who)
    membership = (
        Membership.objects.select_related("person")
        .filter(organization=who.organization, person_id=person_id, is_active=True)
        .first()
    )
    if membership is None:
        raise Http404(f"There is no member {person_id} in {who.organization.name}.")
    access.require_view_progress(who.person, who.organization, membership.person)
    return _progress(who, membership.person)
