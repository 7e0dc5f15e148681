"""Engagement-centre rotations: a cohort of people immersed in the centre for six months to a
year, taking inbox shifts there, then dispersed into the business with a placement."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cluetrain.organizations.models import validate_time_zone


class CohortStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    ENDED = "ended", "Ended"


class MemberStatus(models.TextChoices):
    IMMERSED = "immersed", "Immersed in the centre"
    PLACED = "placed", "Placed in a department"
    LEFT = "left", "Left the rotation"


class Cohort(models.Model):
    """A group of people in an engagement-centre rotation: immersed in the centre (a
    department whose queue they work) from ``starts_on`` to ``ends_on``, then placed."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="cohorts"
    )
    name = models.CharField(max_length=120)
    centre = models.ForeignKey(
        "organizations.Department",
        on_delete=models.PROTECT,
        related_name="cohorts",
        help_text="The engagement centre: the department whose conversations members take.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Where the centre's shifts are counted (the rota's working day).",
    )
    status = models.CharField(
        max_length=10, choices=CohortStatus.choices, default=CohortStatus.PLANNED
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coordinated_cohorts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="cohort_name_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")), name="cohort_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CohortMember(models.Model):
    """One person's place in a cohort: where they came from, where they were placed and when,
    and the alumnus who mentors them."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="cohort_places"
    )
    home_department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placement_department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placements",
    )
    placement_on = models.DateField(null=True, blank=True)
    placed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the placement took effect."
    )
    status = models.CharField(
        max_length=10, choices=MemberStatus.choices, default=MemberStatus.IMMERSED
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cohort_mentees",
    )
    offers_mentoring = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cohort", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "membership"], name="cohort_member_unique")
        ]
        indexes = [models.Index(fields=["status", "placement_on"], name="cohort_member_due")]

    def __str__(self) -> str:
        return f"{self.membership} in {self.cohort}"


class Shift(models.Model):
    """A stretch of time a cohort member works the centre's inbox; while it is on, routing
    offers them the centre's conversations."""

    member = models.ForeignKey(CohortMember, on_delete=models.CASCADE, related_name="shifts")
    # Kept on the shift so routing finds who is on shift in one indexed query.
    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the start was handled (waiting work picked up)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "starts_at"], name="shift_start_unique"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["membership", "starts_at", "ends_at"], name="shift_person_time"),
            models.Index(fields=["starts_at", "ends_at"], name="shift_time"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.starts_at:%Y-%m-%d %H:%M}"
