"""Objectives the organisation sets itself, campaigns that group posts under them, and what
the effort costs: the minutes each activity takes and the hourly rates of the people doing it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cluetrain.organizations.roles import Role


class PeriodKind(models.TextChoices):
    ROLLING_30 = "rolling30", "Rolling 30 days"
    MONTH = "month", "Calendar month"
    QUARTER = "quarter", "Calendar quarter"


class Objective(models.Model):
    """A goal the organisation set itself, such as "first response under 30 minutes for 90 % of
    complaints" or "40 employees active monthly": a metric (one of ``campaigns.metrics``), its
    parameters, a target and the period it is read over.

    Its progress is computed on demand from the insights measures (see ``campaigns.progress``);
    nothing is stored per period, so a corrected conversation or a late engagement count shows
    at once in the history too.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="objectives"
    )
    name = models.CharField(max_length=120)
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
    )
    kind = models.CharField(max_length=30)
    params = models.JSONField(default=dict, blank=True)
    # In the metric's own unit: per cent for shares, a count, minutes, engagements.
    target = models.FloatField()
    period = models.CharField(
        max_length=10, choices=PeriodKind.choices, default=PeriodKind.ROLLING_30
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-active", "name", "pk"]
        indexes = [models.Index(fields=["organization", "active"], name="objective_org_active")]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A planned push: posts grouped under an objective, with dates, the voices meant to carry
    it, the effort budgeted and the results it aims for."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="campaigns"
    )
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    starts_on = models.DateField()
    ends_on = models.DateField()
    voices = models.ManyToManyField("voices.Voice", blank=True, related_name="+")
    budget_hours = models.DecimalField(
        max_digits=7, decimal_places=1, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    posts_planned = models.PositiveIntegerField(default=0)
    engagement_target = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name", "pk"]
        indexes = [models.Index(fields=["organization", "-starts_on"], name="campaign_org_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CampaignPost(models.Model):
    """A post counted in a campaign. A post belongs to one campaign at most, so its engagement
    and its cost are never counted twice."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries")
    post = models.OneToOneField(
        "publishing.Post", on_delete=models.CASCADE, related_name="campaign_entry"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return f"Post {self.post_id} in {self.campaign_id}"


class Activity(models.TextChoices):
    COMPOSING = "composing", "Composing"
    REVIEWING = "reviewing", "Reviewing"
    REPLYING = "replying", "Replying"


_MINUTES = [MinValueValidator(0), MaxValueValidator(480)]


class CostSettings(models.Model):
    """How an organisation counts the time its people spend: per activity, the minutes used when
    nothing was measured (or always, when it prefers a fixed figure), and the cap beyond which
    a measured span is not believed (a draft left open overnight is not 14 hours of work)."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="cost_settings"
    )
    currency = models.CharField(max_length=3, default="GBP")
    default_rate = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("40.00"), validators=[MinValueValidator(0)]
    )
    composing_minutes = models.PositiveIntegerField(default=15, validators=_MINUTES)
    reviewing_minutes = models.PositiveIntegerField(default=5, validators=_MINUTES)
    replying_minutes = models.PositiveIntegerField(default=6, validators=_MINUTES)
    composing_cap = models.PositiveIntegerField(default=60, validators=_MINUTES)
    reviewing_cap = models.PositiveIntegerField(default=30, validators=_MINUTES)
    replying_cap = models.PositiveIntegerField(default=30, validators=_MINUTES)
    composing_fixed = models.BooleanField(default=False)
    reviewing_fixed = models.BooleanField(default=False)
    replying_fixed = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "cost settings"

    def __str__(self) -> str:
        return f"Cost settings of {self.organization_id}"

    def minutes(self, activity: str) -> int:
        return int(getattr(self, f"{activity}_minutes"))

    def cap(self, activity: str) -> int:
        return int(getattr(self, f"{activity}_cap"))

    def fixed(self, activity: str) -> bool:
        return bool(getattr(self, f"{activity}_fixed"))


class HourlyRate(models.Model):
    """What an hour of one role's (or one person's) time costs the organisation.

    A person's own rate wins over their roles'; of their roles, the dearest counts (a director
    who also mentors is paid as a director).
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="hourly_rates"
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rate = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["role", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "role"],
                condition=Q(person__isnull=True),
                name="rate_one_per_role",
            ),
            models.UniqueConstraint(
                fields=["organization", "person"],
                condition=Q(person__isnull=False),
                name="rate_one_per_person",
            ),
            models.CheckConstraint(
                condition=(Q(person__isnull=True) & ~Q(role=""))
                | (Q(person__isnull=False) & Q(role="")),
                name="rate_role_or_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role or self.person_id}: {self.rate}"
