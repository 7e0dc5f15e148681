"""Changing how effort is costed: the minutes per activity and the hourly rates. Directors
decide these (``Permission.MANAGE_ORGANIZATION``): they are pay, not campaign planning."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from cluetrain.campaigns.models import Activity, CostSettings, HourlyRate
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.roles import Role

MAX_RATE = Decimal("10000")
MAX_MINUTES = 480
CURRENCIES = ("GBP", "EUR", "USD", "CHF", "SEK", "NOK", "DKK", "PLN", "CAD", "AUD", "JPY")


def require_rates(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.MANAGE_ORGANIZATION)


def clean_rate(value: object) -> Decimal:
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError("An hourly rate must be a number.", code="rate") from None
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE:
        raise ServiceError(f"An hourly rate must be between 0 and {MAX_RATE:,}.", code="rate")
    return rate.quantize(Decimal("0.01"))


def _clean_minutes(value: object, what: str) -> int:
    try:
        minutes = int(str(value))
    except (TypeError, ValueError):
        raise ServiceError(f"{what} must be a whole number of minutes.", code="minutes") from None
    if not 0 <= minutes <= MAX_MINUTES:
        raise ServiceError(f"{what} must be between 0 and {MAX_MINUTES} minutes.", code="minutes")
    return minutes


@dataclass
class ActivityRule:
    minutes: int
    cap: int
    fixed: bool = False


def do_save_cost_settings(
    person: Person,
    organization: Organization,
    *,
    currency: str,
    default_rate: object,
    rules: dict[str, ActivityRule],
) -> CostSettings:
    require_rates(person, organization)
    if currency not in CURRENCIES:
        raise ServiceError("Choose a currency from the list.", code="currency")
    rate = clean_rate(default_rate)
    with transaction.atomic():
        settings, _ = CostSettings.objects.select_for_update().get_or_create(
            organization=organization
        )
        settings.currency, settings.default_rate = currency, rate
        for activity in Activity.values:
            rule = rules.get(activity)
            if rule is None:
                continue
            label = Activity(activity).label
            setattr(settings, f"{activity}_minutes", _clean_minutes(rule.minutes, label))
            cap = _clean_minutes(rule.cap, f"{label}'s cap")
            if cap < 1:
                raise ServiceError(f"{label}'s cap must be at least one minute.", code="minutes")
            setattr(settings, f"{activity}_cap", cap)
            setattr(settings, f"{activity}_fixed", bool(rule.fixed))
        settings.save()
        audit.record(organization, person, "costs.settings_saved", "cost settings")
    return settings


def do_set_rate(
    person: Person,
    organization: Organization,
    rate: object,
    *,
    role: str = "",
    member: Person | None = None,
) -> HourlyRate:
    """The hourly rate of a role, or (with ``member``) of one person."""
    require_rates(person, organization)
    amount = clean_rate(rate)
    if member is not None:
        if not policy.is_member(member, organization):
            raise ServiceError("That person is not a member of this organisation.", code="person")
        lookup: dict[str, Any] = {"person": member, "role": ""}
    elif role in Role.values:
        lookup = {"person": None, "role": role}
    else:
        raise ServiceError("Choose a role or a person.", code="role")
    with transaction.atomic():
        found, _ = HourlyRate.objects.update_or_create(
            organization=organization, **lookup, defaults={"rate": amount}
        )
        audit.record(
            organization,
            person,
            "costs.rate_set",
            role or (member.full_name if member else ""),
            rate=str(amount),
        )
    return found


def do_remove_rate(person: Person, rate: HourlyRate) -> None:
    require_rates(person, rate.organization)
    with transaction.atomic():
        audit.record(rate.organization, person, "costs.rate_removed", rate)
        rate.delete()
