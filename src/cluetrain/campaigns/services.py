"""Defining objectives and campaigns, and putting posts into campaigns. Every change checks
``policy`` here, so pages, the CLI and jobs share one set of rules."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from cluetrain.campaigns import metrics
from cluetrain.campaigns.models import Campaign, CampaignPost, Objective, PeriodKind
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.publishing.models import Post
from cluetrain.voices.models import Voice

MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_TARGET = 1_000_000
MAX_BUDGET_HOURS = Decimal("100000")
MAX_CAMPAIGN_DAYS = 3660


def require_manager(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.MANAGE_CAMPAIGNS)


def clean_name(value: str, what: str = "name") -> str:
    """One line of visible text: control and format characters dropped (a right-to-left
    override would make a name read backwards in every list), emoji joiners kept."""
    visible = "".join(
        ch
        for ch in (value or "")
        if ch == "\u200d" or unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n\r"
    )
    text = " ".join(visible.split())
    if not text:
        raise ServiceError(f"Give the {what}.", code="name")
    if len(text) > MAX_NAME:
        raise ServiceError(f"Keep the {what} under {MAX_NAME} characters.", code="name")
    return text


def _department(organization: Organization, department: Department | None) -> Department | None:
    if department is not None and department.organization_id != organization.pk:
        raise ServiceError("That department is not in this organisation.", code="department")
    return department


def _owner(organization: Organization, owner: Person | None) -> Person | None:
    if owner is not None and not policy.is_member(owner, organization):
        raise ServiceError("The owner must be a member of this organisation.", code="owner")
    return owner


@dataclass
class ObjectiveFields:
    name: str
    kind: str
    target: float
    period: str = PeriodKind.ROLLING_30
    params: dict[str, Any] = field(default_factory=dict)
    department: Department | None = None
    owner: Person | None = None
    active: bool = True


def _clean_objective(organization: Organization, fields: ObjectiveFields) -> dict[str, Any]:
    found = metrics.metric(fields.kind)
    try:
        target = float(fields.target)
    except (TypeError, ValueError):
        raise ServiceError("The target must be a number.", code="target") from None
    if not math.isfinite(target) or target <= 0 or target > MAX_TARGET:
        raise ServiceError(f"The target must be above 0 and at most {MAX_TARGET:,}.", code="target")
    if found.unit == "%" and target > 100:
        raise ServiceError("A share cannot be more than 100 %.", code="target")
    if fields.period not in PeriodKind.values:
        raise ServiceError("Choose a period from the list.", code="period")
    return {
        "name": clean_name(fields.name),
        "kind": found.key,
        "target": target,
        "period": fields.period,
        "params": metrics.clean_params(found, fields.params),
        "department": _department(organization, fields.department),
        "owner": _owner(organization, fields.owner),
        "active": bool(fields.active),
    }


def do_create_objective(
    person: Person, organization: Organization, fields: ObjectiveFields
) -> Objective:
    require_manager(person, organization)
    values = _clean_objective(organization, fields)
    with transaction.atomic():
        objective = Objective.objects.create(organization=organization, **values)
        audit.record(organization, person, "objective.created", objective, kind=objective.kind)
    return objective


def do_update_objective(person: Person, objective: Objective, fields: ObjectiveFields) -> Objective:
    organization = objective.organization
    require_manager(person, organization)
    values = _clean_objective(organization, fields)
    with transaction.atomic():
        for name, value in values.items():
            setattr(objective, name, value)
        objective.save()
        audit.record(organization, person, "objective.updated", objective)
    return objective


@dataclass
class CampaignFields:
    name: str
    starts_on: date
    ends_on: date
    description: str = ""
    objective: Objective | None = None
    voices: list[Voice] = field(default_factory=list)
    budget_hours: Decimal | float | str = Decimal("0")
    posts_planned: int = 0
    engagement_target: int = 0


def _count(value: object, what: str) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise ServiceError(f"{what} must be a whole number.", code="count") from None
    if not 0 <= number <= MAX_TARGET:
        raise ServiceError(f"{what} must be between 0 and {MAX_TARGET:,}.", code="count")
    return number


def _clean_campaign(organization: Organization, fields: CampaignFields) -> dict[str, Any]:
    if not isinstance(fields.starts_on, date) or not isinstance(fields.ends_on, date):
        raise ServiceError("Give the start and end dates.", code="dates")
    if fields.ends_on < fields.starts_on:
        raise ServiceError("The campaign ends before it starts.", code="dates")
    if (fields.ends_on - fields.starts_on).days > MAX_CAMPAIGN_DAYS:
        raise ServiceError("A campaign runs for at most ten years.", code="dates")
    if fields.objective is not None and fields.objective.organization_id != organization.pk:
        raise ServiceError("That objective is not in this organisation.", code="objective")
    if any(voice.organization_id != organization.pk for voice in fields.voices):
        raise ServiceError("Plan only this organisation's voices.", code="voices")
    try:
        budget = Decimal(str(fields.budget_hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ServiceError(
            "The budgeted effort must be a number of hours.", code="budget"
        ) from None
    if not budget.is_finite() or budget < 0 or budget > MAX_BUDGET_HOURS:
        raise ServiceError(
            f"The budgeted effort must be between 0 and {MAX_BUDGET_HOURS:,} hours.", code="budget"
        )
    description = (fields.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(
            f"Keep the description under {MAX_DESCRIPTION} characters.", code="description"
        )
    return {
        "name": clean_name(fields.name),
        "description": description,
        "starts_on": fields.starts_on,
        "ends_on": fields.ends_on,
        "objective": fields.objective,
        "budget_hours": budget,
        "posts_planned": _count(fields.posts_planned, "Posts planned"),
        "engagement_target": _count(fields.engagement_target, "The engagement target"),
    }


def do_create_campaign(
    person: Person, organization: Organization, fields: CampaignFields
) -> Campaign:
    require_manager(person, organization)
    values = _clean_campaign(organization, fields)
    with transaction.atomic():
        campaign = Campaign.objects.create(organization=organization, created_by=person, **values)
        campaign.voices.set(fields.voices)
        audit.record(organization, person, "campaign.created", campaign)
    return campaign


def do_update_campaign(person: Person, campaign: Campaign, fields: CampaignFields) -> Campaign:
    organization = campaign.organization
    require_manager(person, organization)
    values = _clean_campaign(organization, fields)
    with transaction.atomic():
        for name, value in values.items():
            setattr(campaign, name, value)
        campaign.save()
        campaign.voices.set(fields.voices)
        audit.record(organization, person, "campaign.updated", campaign)
    return campaign


def do_attach_post(person: Person, campaign: Campaign, post: Post) -> CampaignPost:
    """Count ``post`` in ``campaign``; a post already in another campaign is refused."""
    organization = campaign.organization
    require_manager(person, organization)
    if post.organization_id != organization.pk:
        raise ServiceError("That post is not in this organisation.", code="post")
    existing = CampaignPost.objects.filter(post=post).select_related("campaign").first()
    if existing is not None:
        if existing.campaign_id == campaign.pk:
            return existing
        raise ServiceError(
            f"That post already counts in the campaign {existing.campaign.name}.", code="taken"
        )
    try:
        with transaction.atomic():
            entry = CampaignPost.objects.create(campaign=campaign, post=post, added_by=person)
            audit.record(organization, person, "campaign.post_added", campaign, post=post.pk)
    except IntegrityError:
        # Someone attached it at the same moment.
        raise ServiceError("That post was just put in a campaign.", code="taken") from None
    return entry


def do_detach_post(person: Person, campaign: Campaign, post: Post) -> bool:
    require_manager(person, campaign.organization)
    with transaction.atomic():
        deleted, _ = CampaignPost.objects.filter(campaign=campaign, post=post).delete()
        if deleted:
            audit.record(
                campaign.organization, person, "campaign.post_removed", campaign, post=post.pk
            )
    return bool(deleted)
