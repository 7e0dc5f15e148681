"""Changes to agencies, their staff, shadow pairings and hand-over plans.

Every function checks who may do it (``agencies.access``), validates what it is given, writes
in one transaction and records the change in the organisation's audit log.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from cluetrain.agencies.access import is_agency, require_oversight
from cluetrain.agencies.models import Agency, AgencyMember, Milestone, Shadowing
from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person

NAME_MAX = 120
CONTACT_MAX = 200
TITLE_MAX = 200
DESCRIPTION_MAX = 4000
MILESTONES_MAX = 100


def clean_text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    """Trimmed text without control characters, refused when empty (if required) or too long."""
    text = "".join(
        ch for ch in value if ch in "\n\t" or not unicodedata.category(ch).startswith("C")
    ).strip()
    if required and not text:
        raise ServiceError(f"The {field} cannot be empty.", code="empty")
    if len(text) > limit:
        raise ServiceError(f"The {field} is too long (at most {limit} characters).", code="long")
    return text


def do_create_agency(
    actor: Person,
    organization: Organization,
    name: str,
    *,
    contact: str = "",
    contract_ends_on: date | None = None,
    handover_target_on: date | None = None,
) -> Agency:
    require_oversight(actor, organization, "record an agency")
    name = clean_text(name, field="agency's name", limit=NAME_MAX)
    contact = clean_text(contact, field="contact", limit=CONTACT_MAX, required=False)
    if Agency.objects.filter(organization=organization, name__iexact=name).exists():
        raise ServiceError(f"{name} is already recorded.", code="duplicate")
    with transaction.atomic():
        agency = Agency.objects.create(
            organization=organization,
            name=name,
            contact=contact,
            contract_ends_on=contract_ends_on,
            handover_target_on=handover_target_on,
        )
        audit.record(organization, actor, "agency.created", agency)
    return agency


def do_update_agency(
    actor: Person,
    agency: Agency,
    *,
    contact: str,
    contract_ends_on: date | None,
    handover_target_on: date | None,
) -> Agency:
    require_oversight(actor, agency.organization, "change an agency's record")
    agency.contact = clean_text(contact, field="contact", limit=CONTACT_MAX, required=False)
    agency.contract_ends_on = contract_ends_on
    agency.handover_target_on = handover_target_on
    with transaction.atomic():
        agency.save(update_fields=["contact", "contract_ends_on", "handover_target_on"])
        audit.record(agency.organization, actor, "agency.updated", agency)
    return agency


def do_add_agency_member(actor: Person, agency: Agency, person: Person) -> AgencyMember:
    """Name ``agency`` as the firm ``person`` (agency staff here) works for."""
    organization = agency.organization
    require_oversight(actor, organization, "say who works for an agency")
    if not is_agency(person, organization):
        raise ServiceError(
            f"{person} is not agency staff in {organization.name}; give them the agency role "
            "first.",
            code="not_agency",
        )
    with transaction.atomic():
        member, _ = AgencyMember.objects.update_or_create(
            organization=organization, person=person, defaults={"agency": agency}
        )
        audit.record(organization, actor, "agency.member_added", person, agency=agency.name)
    return member


def do_pair(
    actor: Person, organization: Organization, agency_person: Person, shadow: Person
) -> Shadowing:
    """Pair an in-house ``shadow`` with ``agency_person``, to learn by watching their work."""
    require_oversight(actor, organization, "pair a shadow with agency staff")
    if not is_agency(agency_person, organization):
        raise ServiceError(f"{agency_person} is not agency staff in {organization.name}.")
    if not policy.is_member(shadow, organization):
        raise ServiceError(f"{shadow} is not a member of {organization.name}.", code="outsider")
    if is_agency(shadow, organization):
        raise ServiceError(
            "Agency staff cannot shadow: shadowing is how in-house people learn the work.",
            code="agency_shadow",
        )
    try:
        with transaction.atomic():
            pairing = Shadowing.objects.create(
                organization=organization,
                agency_person=agency_person,
                shadow=shadow,
                paired_by=actor,
            )
            audit.record(
                organization, actor, "agency.paired", shadow, agency_person=agency_person.pk
            )
    except IntegrityError:
        raise ServiceError(f"{shadow} already shadows {agency_person}.", code="duplicate") from None
    return pairing


def do_unpair(actor: Person, pairing: Shadowing) -> None:
    organization = pairing.organization
    require_oversight(actor, organization, "end a shadow pairing")
    with transaction.atomic():
        audit.record(
            organization,
            actor,
            "agency.unpaired",
            pairing.shadow,
            agency_person=pairing.agency_person_id,
        )
        pairing.delete()


def _check_owner(organization: Organization, owner: Person | None) -> None:
    if owner is None:
        return
    if not policy.is_member(owner, organization):
        raise ServiceError(f"{owner} is not a member of {organization.name}.", code="owner")
    if is_agency(owner, organization):
        raise ServiceError(
            "A hand-over milestone is owned by an in-house person: it is what they take over.",
            code="owner",
        )


def do_add_milestone(
    actor: Person,
    agency: Agency,
    title: str,
    *,
    description: str = "",
    due_on: date | None = None,
    owner: Person | None = None,
) -> Milestone:
    organization = agency.organization
    require_oversight(actor, organization, "plan the hand-over")
    title = clean_text(title, field="title", limit=TITLE_MAX)
    description = clean_text(
        description, field="description", limit=DESCRIPTION_MAX, required=False
    )
    _check_owner(organization, owner)
    with transaction.atomic():
        count = Milestone.objects.select_for_update().filter(agency=agency).count()
        if count >= MILESTONES_MAX:
            raise ServiceError(f"A plan holds at most {MILESTONES_MAX} milestones.", code="full")
        milestone = Milestone.objects.create(
            agency=agency,
            title=title,
            description=description,
            due_on=due_on,
            owner=owner,
            position=count,
        )
        audit.record(organization, actor, "agency.milestone_added", milestone, agency=agency.name)
    return milestone


def do_set_milestone_done(actor: Person, milestone: Milestone, done: bool) -> Milestone:
    """Mark a milestone done (by whom and when) or undone again."""
    organization = milestone.agency.organization
    if not (
        milestone.owner_id == actor.pk and policy.is_member(actor, organization)
    ):  # the owner ticks their own step off
        require_oversight(actor, organization, "tick off a hand-over milestone")
    with transaction.atomic():
        if done and milestone.done_at is None:
            milestone.done_at, milestone.done_by = timezone.now(), actor
        elif not done:
            milestone.done_at, milestone.done_by = None, None
        milestone.save(update_fields=["done_at", "done_by"])
        audit.record(
            organization,
            actor,
            "agency.milestone_done" if done else "agency.milestone_undone",
            milestone,
        )
    return milestone


def do_delete_milestone(actor: Person, milestone: Milestone) -> None:
    organization = milestone.agency.organization
    require_oversight(actor, organization, "change the hand-over plan")
    with transaction.atomic():
        audit.record(organization, actor, "agency.milestone_deleted", milestone)
        milestone.delete()
