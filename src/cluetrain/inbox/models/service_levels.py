"""Service levels: how fast an organisation or a department promises to answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from cluetrain.organizations.models import validate_time_zone


class ServiceLevel(models.Model):
    """The answer-time promise of an organisation (no department) or of one department, counted
    in business hours: first response, each next response, and resolution; with a warning
    ahead of a breach and a re-route when a conversation waits unclaimed too long."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="service_levels"
    )
    department = models.OneToOneField(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_level",
    )
    first_response_minutes = models.PositiveIntegerField(default=60)
    next_response_minutes = models.PositiveIntegerField(default=240)
    resolution_minutes = models.PositiveIntegerField(default=24 * 60)
    warn_before_minutes = models.PositiveIntegerField(default=15)
    reroute_after_minutes = models.PositiveIntegerField(
        default=30, help_text="Re-route a conversation nobody has claimed after this long."
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    working_days = models.CharField(
        max_length=7, default="12345", help_text="ISO weekdays, 1 = Monday … 7 = Sunday."
    )
    day_starts = models.TimeField(default=dt.time(9, 0))
    day_ends = models.TimeField(default=dt.time(17, 0))
    holidays = models.TextField(blank=True, help_text="Dates off (YYYY-MM-DD), one a line.")
    holiday_country = models.CharField(
        max_length=10, blank=True, help_text="Also take this country's public holidays (e.g. GB)."
    )
    around_the_clock = models.BooleanField(
        default=False, help_text="Count every hour: no business hours."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(department__isnull=True),
                name="service_level_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"Service level of {self.department or self.organization}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Deadlines are computed from these hours by background jobs; a bad time zone or
        # holiday list must be refused here, where someone can fix it, not found there.
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from cluetrain.inbox.business_hours import InvalidBusinessHours, check

        super().clean()
        try:
            check(self)
        except InvalidBusinessHours as exc:
            raise ValidationError(str(exc)) from exc
