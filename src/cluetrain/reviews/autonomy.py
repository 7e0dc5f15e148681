"""Autonomy levels earned by evidence, promotions, and the organisation's review policy.

A person's level without an ``AutonomyLevel`` row follows from their roles: whoever may review
posts (directors, coordinators, mentors) is a *mentor*, everybody else is *supervised*. Nobody
becomes a *learner* by default: a coordinator sets it for someone who should start in the
practice space. The review lifecycle in ``cluetrain.reviews.services`` asks here for a
person's level and the organisation's policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person, RoleGrant
from cluetrain.organizations.policy import RULES, Permission
from cluetrain.organizations.roles import Role
from cluetrain.publishing.models import Category
from cluetrain.reviews.evidence import Evidence, evidence_of_many
from cluetrain.reviews.models import (
    AutonomyLevel,
    Level,
    PromotionProposal,
    ProposalStatus,
    ReviewPolicy,
)

# A declined proposal is not made again for this long, whatever the evidence says.
DECLINED_QUIET = timedelta(days=30)


# Levels and policy -----------------------------------------------------------------------


def policy_of(organization: Organization) -> ReviewPolicy:
    """The organisation's review policy; the defaults (unsaved) when it never set one."""
    found = ReviewPolicy.objects.filter(organization=organization).first()
    return found or ReviewPolicy(organization=organization)


def level_from_roles(roles: Iterable[str]) -> Level:
    """The level of a person without a row: reviewers are mentors, everyone else supervised."""
    if set(roles) & set(RULES[Permission.REVIEW_POSTS]):
        return Level.MENTOR
    return Level.SUPERVISED


def level_of(person: Person, organization: Organization) -> Level:
    stored = (
        AutonomyLevel.objects.filter(person=person, organization=organization)
        .values_list("level", flat=True)
        .first()
    )
    if stored:
        return Level(stored)
    return level_from_roles(policy.roles_of(person, organization))


def levels_of(organization: Organization, person_ids: Iterable[int]) -> dict[int, Level]:
    """Many people's levels in two queries (stored rows, then roles for the others)."""
    ids = list(person_ids)
    levels = {
        person_id: Level(level)
        for person_id, level in AutonomyLevel.objects.filter(
            organization=organization, person_id__in=ids
        ).values_list("person_id", "level")
    }
    missing = [pk for pk in ids if pk not in levels]
    roles: dict[int, set[str]] = {pk: set() for pk in missing}
    for person_id, role in RoleGrant.objects.filter(
        membership__organization=organization,
        membership__is_active=True,
        membership__person_id__in=missing,
    ).values_list("membership__person_id", "role"):
        roles[person_id].add(role)
    levels.update({pk: level_from_roles(found) for pk, found in roles.items()})
    return levels


# Evidence and promotions ----------------------------------------------------------------


def evidence_for(person: Person, organization: Organization) -> Evidence:
    """What the person has shown in the organisation, and what the next level still needs."""
    level = level_of(person, organization)
    return evidence_of_many(organization, {person.pk: level}, policy_of(organization))[person.pk]


def _leads(organization: Organization) -> QuerySet[Person]:
    return Person.objects.filter(
        is_active=True,
        memberships__organization=organization,
        memberships__is_active=True,
        memberships__role_grants__role__in=[Role.DIRECTOR, Role.COORDINATOR],
    ).distinct()


def propose_promotions(now: datetime | None = None) -> int:
    """Propose a promotion for each person who meets the organisation's criteria.

    One proposal is open per person at a time; a declined one is not made again for 30 days.
    """
    now = now or timezone.now()
    made = 0
    for organization in Organization.objects.all():
        member_ids = list(
            Person.objects.filter(
                is_active=True,
                memberships__organization=organization,
                memberships__is_active=True,
            ).values_list("pk", flat=True)
        )
        levels = {
            pk: level
            for pk, level in levels_of(organization, member_ids).items()
            if level in (Level.LEARNER, Level.SUPERVISED)
        }
        if not levels:
            continue
        busy = set(
            PromotionProposal.objects.filter(organization=organization, person_id__in=levels)
            .filter(
                status=ProposalStatus.PROPOSED,
            )
            .values_list("person_id", flat=True)
        ) | set(
            PromotionProposal.objects.filter(
                organization=organization,
                person_id__in=levels,
                status=ProposalStatus.DECLINED,
                decided_at__gte=now - DECLINED_QUIET,
            ).values_list("person_id", flat=True)
        )
        evidence = evidence_of_many(organization, levels, policy_of(organization), now=now)
        ready = [e for pk, e in evidence.items() if pk not in busy and e.ready]
        if not ready:
            continue
        leads = list(_leads(organization))
        with transaction.atomic():
            for shown in ready:
                proposal = PromotionProposal.objects.create(
                    person_id=shown.person_id,
                    organization=organization,
                    from_level=shown.level,
                    to_level=shown.next_level or shown.level,
                    evidence=shown.as_json(),
                )
                audit.record(
                    organization,
                    None,
                    "autonomy.proposed",
                    proposal.person,
                    from_level=shown.level,
                    to_level=shown.next_level or shown.level,
                )
                for lead in leads:
                    if lead.pk != shown.person_id:
                        notify(
                            lead,
                            "promotion_proposed",
                            f"{proposal.person} may be ready to become {shown.next_level}",
                            "Their evidence meets the organisation's criteria; confirm or decline.",
                            organization=organization,
                            url=reverse("reviews:autonomy"),
                        )
                made += 1
    return made


def can_manage_levels(person: Person, organization: Organization) -> bool:
    return policy.can(person, organization, Permission.MANAGE_ACADEMY)


def _require_manage(actor: Person, organization: Organization, person_id: int) -> None:
    policy.require(actor, organization, Permission.MANAGE_ACADEMY)
    if actor.pk == person_id:
        raise NotAllowed("Someone else has to change your own autonomy level.")


def _store_level(
    actor: Person, person: Person, organization: Organization, level: Level, reason: str
) -> Level:
    before = level_of(person, organization)
    AutonomyLevel.objects.update_or_create(
        person=person,
        organization=organization,
        defaults={"level": level, "changed_by": actor, "reason": reason},
    )
    audit.record(
        organization,
        actor,
        "autonomy.level_changed",
        person,
        from_level=before,
        to_level=level,
        reason=reason,
    )
    return before


def _decide(
    actor: Person, proposal: PromotionProposal, status: ProposalStatus
) -> PromotionProposal:
    proposal = (
        PromotionProposal.objects.select_for_update()
        .select_related("person", "organization")
        .get(pk=proposal.pk)
    )
    _require_manage(actor, proposal.organization, proposal.person_id)
    if proposal.status != ProposalStatus.PROPOSED:
        raise ServiceError(
            f"This proposal is already {proposal.get_status_display().lower()}.", code="decided"
        )
    proposal.status, proposal.decided_by, proposal.decided_at = status, actor, timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    return proposal


def do_confirm_promotion(actor: Person, proposal: PromotionProposal) -> PromotionProposal:
    """A coordinator confirms the proposal: the person moves to the proposed level."""
    with transaction.atomic():
        proposal = _decide(actor, proposal, ProposalStatus.CONFIRMED)
        level = Level(proposal.to_level)
        _store_level(actor, proposal.person, proposal.organization, level, "Promotion confirmed.")
        audit.record(proposal.organization, actor, "autonomy.promotion_confirmed", proposal.person)
        notify(
            proposal.person,
            "promotion_confirmed",
            f"You are now {level.label.lower()} in {proposal.organization.name}",
            _LEVEL_MEANS[level],
            organization=proposal.organization,
            url=reverse("reviews:autonomy"),
        )
    return proposal


def do_decline_promotion(
    actor: Person, proposal: PromotionProposal, reason: str = ""
) -> PromotionProposal:
    with transaction.atomic():
        proposal = _decide(actor, proposal, ProposalStatus.DECLINED)
        audit.record(
            proposal.organization,
            actor,
            "autonomy.promotion_declined",
            proposal.person,
            reason=reason.strip(),
        )
    return proposal


def do_set_level(
    actor: Person, person: Person, organization: Organization, level: str, reason: str
) -> Level:
    """Set a person's level by hand (up or down), saying why. Returns the level before."""
    if level not in Level.values:
        raise ServiceError(f"{level!r} is not an autonomy level.", code="level")
    if not reason.strip():
        raise ServiceError("Say why the level changes; the person sees it.", code="reason")
    _require_manage(actor, organization, person.pk)
    if not policy.is_member(person, organization):
        raise ServiceError(f"{person} is not a member of {organization.name}.", code="member")
    with transaction.atomic():
        before = _store_level(actor, person, organization, Level(level), reason.strip())
        # An open proposal no longer fits the level it was made from.
        PromotionProposal.objects.filter(
            person=person, organization=organization, status=ProposalStatus.PROPOSED
        ).update(status=ProposalStatus.DECLINED, decided_by=actor, decided_at=timezone.now())
        notify(
            person,
            "level_changed",
            f"Your autonomy level is now {Level(level).label.lower()}",
            f"{actor}: {reason.strip()}\n\n{_LEVEL_MEANS[Level(level)]}",
            organization=organization,
            url=reverse("reviews:autonomy"),
        )
    return before


_LEVEL_MEANS = {
    Level.LEARNER: "You post in the practice space only, while you learn.",
    Level.SUPERVISED: "A mentor reviews each of your posts before it goes out.",
    Level.AUTONOMOUS: (
        "Your posts go out without review, unless the guidelines or the post's category "
        "ask for one."
    ),
    Level.MENTOR: "Your posts go out like an autonomous person's, and you review others'.",
}


def level_means(level: Level) -> str:
    return _LEVEL_MEANS[level]


def organization_people(organization: Organization) -> list[dict[str, Any]]:
    """Every active member with their level, for the coordinator's list (three queries)."""
    people = list(
        Person.objects.filter(
            is_active=True, memberships__organization=organization, memberships__is_active=True
        )
        .distinct()
        .order_by("full_name", "email")
    )
    levels = levels_of(organization, [p.pk for p in people])
    return [{"person": p, "level": levels[p.pk]} for p in people]


def can_edit_policy(person: Person, organization: Organization) -> bool:
    return policy.can(person, organization, Permission.EDIT_GUIDELINES)


def do_save_policy(actor: Person, rules: ReviewPolicy) -> ReviewPolicy:
    """Store the organisation's review policy (directors and coordinators), audited."""
    policy.require(actor, rules.organization, Permission.EDIT_GUIDELINES)
    unknown = set(rules.reviewed_categories) - set(Category.values)
    if unknown:
        raise ServiceError(f"Unknown post categories: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        rules.save()
        audit.record(
            rules.organization,
            actor,
            "review.policy_changed",
            rules,
            reviewed_categories=rules.reviewed_categories,
            expiry_hours=rules.expiry_hours,
            min_reviewed_posts=rules.min_reviewed_posts,
            min_approval_rate=rules.min_approval_rate,
            block_free_days=rules.block_free_days,
            academy_modules_required=rules.academy_modules_required,
        )
    return rules
