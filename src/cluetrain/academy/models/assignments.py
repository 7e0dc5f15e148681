"""Courses assigned to people, departments or roles, and the reminders sent about them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cluetrain.organizations.roles import Role


class Assignment(models.Model):
    """A course someone must finish by a date: one person, everyone in a department, or a role.

    Who it concerns is worked out when asked, so people who join the department or get the
    role later are assigned too. The due date is a day in the organisation's time zone; the
    course is due by the end of that day there.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="assignments"
    )
    course = models.ForeignKey(
        "academy.Course", on_delete=models.CASCADE, related_name="assignments"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="academy_assignments",
    )
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="academy_assignments",
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    due_on = models.DateField()
    # The end of ``due_on`` in the organisation's time zone, kept so queries can compare.
    due_at = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            # Exactly one kind of assignee.
            models.CheckConstraint(
                condition=(
                    Q(person__isnull=False, department__isnull=True, role="")
                    | Q(person__isnull=True, department__isnull=False, role="")
                    | (Q(person__isnull=True, department__isnull=True) & ~Q(role=""))
                ),
                name="academy_assignment_one_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} for {self.assignee_label} by {self.due_on:%Y-%m-%d}"

    @property
    def assignee_label(self) -> str:
        if self.person_id:
            return str(self.person)
        if self.department_id:
            return f"everyone in {self.department}"
        return f"every {Role(self.role).label.lower()}"


class ReminderKind(models.TextChoices):
    SOON = "soon", "Due soon"
    OVERDUE = "overdue", "Overdue"


class Reminder(models.Model):
    """A reminder sent to one person about one assignment; each kind is sent once."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "person", "kind"], name="academy_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder of {self.assignment} to {self.person}"
