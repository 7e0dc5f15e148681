"""Assigning courses to people, departments and roles, and reminding people before and after.

Who an assignment concerns is resolved each time it is asked (``assignees_of_many``), so a
person who joins the department or receives the role later is assigned too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cluetrain.academy.models import (
    Assignment,
    Course,
    CourseCompletion,
    Reminder,
    ReminderKind,
)
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Membership, Organization, Person, RoleGrant
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.roles import Role

# A reminder that a course is due goes out this long before the due time.
REMIND_BEFORE = timedelta(days=2)
# An assignment further away than this is almost certainly a typing mistake.
LONGEST_AHEAD = timedelta(days=3 * 366)


def due_at_of(organization: Organization, due_on: date) -> datetime:
    """The end of ``due_on`` in the organisation's time zone, as an aware datetime."""
    zone = ZoneInfo(organization.time_zone or "UTC")
    return datetime.combine(due_on, time(23, 59, 59), tzinfo=zone)


def do_assign(
    actor: Person,
    course: Course,
    due_on: date,
    *,
    person: Person | None = None,
    department: Department | None = None,
    role: str = "",
) -> Assignment:
    """Assign ``course`` to one person, a department or everyone with a role, due on a day."""
    organization = course.organization
    policy.require(actor, organization, Permission.MANAGE_ACADEMY)
    chosen = [x for x in (person, department, role) if x]
    if len(chosen) != 1:
        raise ServiceError("Assign the course to one person, one department or one role.")
    if person is not None and not policy.is_member(person, organization):
        raise ServiceError(f"{person} is not a member of {organization.name}.", code="member")
    if department is not None and department.organization_id != organization.pk:
        raise ServiceError(f"{department.name} is not part of {organization.name}.")
    if role and role not in Role.values:
        raise ServiceError(f"{role!r} is not a role.", code="role")
    due_at = due_at_of(organization, due_on)
    now = timezone.now()
    if due_at < now:
        raise ServiceError("The due date has passed already; choose today or a later day.")
    if due_at > now + LONGEST_AHEAD:
        raise ServiceError("The due date is more than three years away; check the year.")
    with transaction.atomic():
        assignment = Assignment.objects.create(
            organization=organization,
            course=course,
            person=person,
            department=department,
            role=role,
            due_on=due_on,
            due_at=due_at,
            assigned_by=actor,
        )
        audit.record(
            organization,
            actor,
            "academy.assigned",
            assignment,
            course=course.slug,
            due_on=due_on.isoformat(),
        )
        for pk in assignees_of_many(organization, [assignment]).get(assignment, set()):
            if pk != actor.pk:
                notify(
                    Person.objects.get(pk=pk),
                    "academy_assigned",
                    f"New course for you: {course.title}",
                    f"Please finish it by {due_on:%d %B %Y}.",
                    organization=organization,
                    url=reverse("academy:course", args=[course.slug]),
                )
    return assignment


def assignees_of_many(
    organization: Organization,
    assignments: Iterable[Assignment],
    person_ids: Iterable[int] | None = None,
) -> dict[Assignment, set[int]]:
    """The active members each assignment concerns today (three queries at most).

    ``person_ids`` narrows the answer to those people.
    """
    assignments = list(assignments)
    members = Membership.objects.filter(organization=organization, is_active=True)
    if person_ids is not None:
        members = members.filter(person_id__in=list(person_ids))
    members = members.filter(person__is_active=True)
    member_ids = set(members.values_list("person_id", flat=True))
    in_department: dict[int, set[int]] = defaultdict(set)
    if any(a.department_id for a in assignments):
        for person_id, department_id in Membership.departments.through.objects.filter(
            membership__in=members
        ).values_list("membership__person_id", "department_id"):
            in_department[department_id].add(person_id)
    with_role: dict[str, set[int]] = defaultdict(set)
    if any(a.role for a in assignments):
        for person_id, role in RoleGrant.objects.filter(membership__in=members).values_list(
            "membership__person_id", "role"
        ):
            with_role[role].add(person_id)
    found: dict[Assignment, set[int]] = {}
    for assignment in assignments:
        if assignment.person_id:
            found[assignment] = {assignment.person_id} & member_ids
        elif assignment.department_id:
            found[assignment] = set(in_department[assignment.department_id])
        else:
            found[assignment] = set(with_role[assignment.role])
    return found


def assignments_for(person: Person, organization: Organization) -> QuerySet[Assignment]:
    """The assignments that concern ``person`` in the organisation, earliest due first."""
    if not policy.is_member(person, organization):
        return Assignment.objects.none()
    departments = Membership.departments.through.objects.filter(
        membership__person=person, membership__organization=organization
    ).values("department_id")
    return (
        Assignment.objects.filter(organization=organization)
        .filter(
            Q(person=person)
            | Q(department_id__in=departments)
            | Q(role__in=list(policy.roles_of(person, organization)))
        )
        .select_related("course")
        .order_by("due_at", "pk")
    )


def _remind(assignment: Assignment, person: Person, kind: ReminderKind) -> bool:
    """Send one reminder unless it was sent already; the unique row is the claim."""
    try:
        with transaction.atomic():
            Reminder.objects.create(assignment=assignment, person=person, kind=kind)
            course = assignment.course
            zone = ZoneInfo(person.time_zone or assignment.organization.time_zone or "UTC")
            when = assignment.due_at.astimezone(zone)
            if kind == ReminderKind.SOON:
                title = f"{course.title} is due on {when:%d %B}"
                body = "A few short lessons are left; each takes 5 to 10 minutes."
            else:
                title = f"{course.title} was due on {when:%d %B}"
                body = "It is overdue. Pick it up where you left it; your progress is kept."
            notify(
                person,
                f"academy_{kind}",
                title,
                body,
                organization=assignment.organization,
                url=reverse("academy:course", args=[course.slug]),
            )
    except IntegrityError:
        # Another run (or an earlier one) sent this reminder already.
        return False
    return True


def send_reminders(now: datetime | None = None) -> int:
    """Remind each assignee once when a course is due soon and once when it is overdue.

    Safe to run twice, at once too: a reminder is claimed by its unique row before it is sent.
    """
    now = now or timezone.now()
    sent = 0
    open_assignments = (
        Assignment.objects.filter(due_at__lte=now + REMIND_BEFORE)
        .select_related("course", "organization")
        .order_by("organization_id", "pk")
    )
    by_org: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in open_assignments:
        by_org[assignment.organization_id].append(assignment)
    for assignments in by_org.values():
        organization = assignments[0].organization
        assignees = assignees_of_many(organization, assignments)
        everyone = set().union(*assignees.values())
        done = set(
            CourseCompletion.objects.filter(
                course_id__in={a.course_id for a in assignments}, person_id__in=everyone
            ).values_list("person_id", "course_id")
        )
        already = set(
            Reminder.objects.filter(assignment__in=assignments).values_list(
                "assignment_id", "person_id", "kind"
            )
        )
        people = {p.pk: p for p in Person.objects.filter(pk__in=everyone)}
        for assignment in assignments:
            kind = ReminderKind.OVERDUE if assignment.due_at < now else ReminderKind.SOON
            for pk in sorted(assignees[assignment]):
                if (pk, assignment.course_id) in done or (assignment.pk, pk, kind) in already:
                    continue
                sent += _remind(assignment, people[pk], kind)
    return sent


def do_delete_assignment(actor: Person, assignment: Assignment) -> None:
    policy.require(actor, assignment.organization, Permission.MANAGE_ACADEMY)
    with transaction.atomic():
        audit.record(assignment.organization, actor, "academy.unassigned", assignment)
        assignment.delete()
