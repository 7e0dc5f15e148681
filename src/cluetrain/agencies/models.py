"""Agencies an organisation works with, who of their staff shadows whom, and the hand-over plan.

Whether a person is agency staff in an organisation is their ``agency`` role there (see
``organizations.roles``); an :class:`Agency` row names the firm they come from, so the badge can
say "Agency · Brightside Social" and the hand-over plan has somewhere to live.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Agency(models.Model):
    """An outside firm that does some of the organisation's social media for a while.

    The same firm serving two client organisations is two rows, one in each: each client keeps
    its own contract, contact and hand-over plan.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="agencies"
    )
    name = models.CharField(max_length=120)
    contact = models.CharField(max_length=200, blank=True, help_text="Who to call, and how.")
    contract_ends_on = models.DateField(null=True, blank=True)
    # When the organisation means to do without the agency: the hand-over plan's target.
    handover_target_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="agency_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AgencyMember(models.Model):
    """A person working for an agency on one client organisation's account."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="members")
    # Copied from the agency so "one agency per person per organisation" is a constraint.
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person"], name="agency_member_one_per_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} of {self.agency}"


class Shadowing(models.Model):
    """An in-house person paired with an agency person, to learn the work by watching it done."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="shadowings"
    )
    agency_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shadowed_by"
    )
    shadow = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shadowing"
    )
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    paired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paired_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agency_person", "shadow"], name="shadowing_unique"
            ),
            models.CheckConstraint(
                condition=~Q(agency_person=models.F("shadow")), name="shadowing_not_oneself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shadow} shadows {self.agency_person}"


class ShadowNotice(models.Model):
    """That a shadow was told about one published post (or reply) of their agency partner.

    The unique constraint is the job's claim: a notice is sent only by whoever inserts its row.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    shadow = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shadow", "post"], name="shadow_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.shadow} told of post {self.post_id}"


class Milestone(models.Model):
    """One step of an agency's hand-over plan, owned by an in-house person."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class AgencyPeriod(models.Model):
    """A span of time during which a person was agency staff in an organisation.

    Kept from the ``agency`` role's grants (``agencies.signals``): a role that came with joining
    counts from the start (``started_at`` empty), a role given later from that moment, and
    taking it away ends the span. The self-sufficiency index judges each post by the span its
    time falls in, so a consultant hired in-house keeps their agency past.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_periods"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person"],
                condition=Q(ended_at__isnull=True),
                name="agency_period_one_open",
            )
        ]
        indexes = [models.Index(fields=["organization", "person"], name="agency_period_person")]

    def __str__(self) -> str:
        return f"{self.person}: agency from {self.started_at} to {self.ended_at}"
