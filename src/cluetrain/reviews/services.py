"""Who must review a post, the review itself, and autonomy levels earned by evidence.

UI, API, CLI, publishing and the periodic jobs all come through here. Publishing asks
``review_reason`` when a post is scheduled and ``do_request_review`` when the answer is a
reason; a reviewer's decision is carried back to the post by publishing's ``release_reviewed``
and ``return_to_draft``.

A person's level without an ``AutonomyLevel`` row follows from their roles: whoever may review
posts (directors, coordinators, mentors) is a *mentor*, everybody else is *supervised*. Nobody
becomes a *learner* by default: a coordinator sets it for someone who should start in the
practice space.
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
from cluetrain.publishing.models import Category, Post, PostEvent, PostStatus
from cluetrain.reviews.evidence import Evidence, evidence_of_many
from cluetrain.reviews.models import (
    AutonomyLevel,
    Level,
    PromotionProposal,
    ProposalStatus,
    Review,
    ReviewComment,
    ReviewPolicy,
    ReviewStatus,
)
from cluetrain.voices.models import Network

MAX_COMMENT = 5000
# A declined proposal is not made again for this long, whatever the evidence says.
DECLINED_QUIET = timedelta(days=30)

SUPERVISED_REASON = "Your posts are reviewed by a mentor while you are supervised."
LEARNER_REASON = (
    "While you are learning you post in the practice space only; "
    "anything else is reviewed by a mentor."
)
FINDING_REASON = "The guidelines found something that needs a reviewer."
OVERRIDE_REASON = "A director published this despite a blocking finding; a reviewer checks it."
CATEGORY_REASONS = {
    Category.MARKETING: "Marketing posts are reviewed.",
    Category.OPERATIONAL: "Operational posts are reviewed.",
    Category.CUSTOMER_CARE: "Customer care posts are reviewed.",
    Category.ANNOUNCEMENT: "Announcements are reviewed.",
}


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


def may_publish_outside_practice(person: Person, organization: Organization) -> bool:
    """Learners post in the practice space only, until they are promoted."""
    return level_of(person, organization) != Level.LEARNER


def _practice_only(post: Post) -> bool:
    networks = set(post.deliveries.values_list("network", flat=True))
    return networks <= {Network.PRACTICE}


def review_reason(person: Person, post: Post, verdict: str) -> str | None:
    """Why a reviewer must approve ``post`` before it goes out, or None when it need not.

    ``verdict`` is the guideline verdict of the post's text: a ``block`` only gets here when a
    director overrode it, and such a post is reviewed anyway.
    """
    if _practice_only(post):
        return None
    if verdict == "block":
        return OVERRIDE_REASON
    level = level_of(person, post.organization)
    if level == Level.LEARNER:
        return LEARNER_REASON
    if verdict == "review":
        return FINDING_REASON
    if level == Level.SUPERVISED:
        return SUPERVISED_REASON
    if post.category in policy_of(post.organization).reviewed_categories:
        return CATEGORY_REASONS.get(Category(post.category), "Posts of this category are reviewed.")
    return None


# Reviews ---------------------------------------------------------------------------------


def reviewers_of(organization: Organization, *, excluding: int | None = None) -> QuerySet[Person]:
    """The active people who may review posts in the organisation."""
    queryset = Person.objects.filter(
        is_active=True,
        memberships__organization=organization,
        memberships__is_active=True,
        memberships__role_grants__role__in=RULES[Permission.REVIEW_POSTS],
    ).distinct()
    return queryset.exclude(pk=excluding) if excluding else queryset


def _event(post: Post, verb: str, message: str, actor: Person | None) -> None:
    PostEvent.objects.create(post=post, actor=actor, verb=verb, message=message[:2000])


QUEUE_URL = "/reviews/"


def do_request_review(post: Post, reason: str) -> Review:
    """Ask the organisation's reviewers to approve ``post``; call inside the post's transaction.

    A pending review of the same post (the author changed it while it waited) is withdrawn:
    the new text needs a fresh look, with a fresh deadline.
    """
    organization = post.organization
    now = timezone.now()
    with transaction.atomic():
        Review.objects.filter(post=post, status=ReviewStatus.PENDING).update(
            status=ReviewStatus.WITHDRAWN, decided_at=now
        )
        review = Review.objects.create(
            post=post,
            organization=organization,
            requested_at=now,
            due_at=now + timedelta(hours=policy_of(organization).expiry_hours),
            reason=reason[:300],
        )
        _event(post, "review_requested", reason, None)
        audit.record(organization, None, "review.requested", post, review=review.pk, reason=reason)
        author = post.author
        for reviewer in reviewers_of(organization, excluding=post.author_id):
            notify(
                reviewer,
                "review_requested",
                f"{author} asks for a review",
                f"{reason}\n\n{post.text[:280]}",
                organization=organization,
                url=QUEUE_URL,
            )
    return review


def do_withdraw_reviews(post: Post, actor: Person | None = None) -> int:
    """Withdraw the pending review of a post that was cancelled or sent back by its author."""
    count = Review.objects.filter(post=post, status=ReviewStatus.PENDING).update(
        status=ReviewStatus.WITHDRAWN, decided_at=timezone.now(), decided_by=actor
    )
    if count:
        _event(post, "review_withdrawn", "The review was withdrawn.", actor)
    return count


def can_decide(person: Person, review: Review) -> bool:
    """Whether ``person`` may approve or send back this review (for showing the buttons)."""
    return review.post.author_id != person.pk and policy.can(
        person, review.organization, Permission.REVIEW_POSTS
    )


def check_decide(reviewer: Person, review: Review) -> None:
    """Raise ``NotAllowed`` or ``ServiceError`` unless ``reviewer`` may decide this review now."""
    if review.post.author_id == reviewer.pk:
        raise NotAllowed("You cannot review your own post: another reviewer has to.")
    policy.require(reviewer, review.organization, Permission.REVIEW_POSTS)
    if review.status == ReviewStatus.EXPIRED or (
        review.status == ReviewStatus.PENDING and review.due_at <= timezone.now()
    ):
        raise ServiceError(
            "This review expired; the author has to send the post again.", code="expired"
        )
    if review.status != ReviewStatus.PENDING:
        raise ServiceError(
            f"This review is already decided ({review.get_status_display().lower()}).",
            code="decided",
        )
    if review.post.status != PostStatus.REVIEW:
        raise ServiceError(
            "This post no longer waits for a review (its author changed or cancelled it).",
            code="gone",
        )


def _locked(review: Review) -> Review:
    return (
        Review.objects.select_for_update().select_related("post", "post__author").get(pk=review.pk)
    )


def do_approve(reviewer: Person, review: Review) -> Review:
    """Approve the post: it goes out at its planned time, or now if that has passed."""
    from cluetrain.publishing.services import release_reviewed

    with transaction.atomic():
        review = _locked(review)
        check_decide(reviewer, review)
        review.status = ReviewStatus.APPROVED
        review.decided_by, review.decided_at = reviewer, timezone.now()
        review.save(update_fields=["status", "decided_by", "decided_at"])
        release_reviewed(review.post, reviewer)
        audit.record(review.organization, reviewer, "review.approved", review.post)
        notify(
            review.post.author,
            "review_approved",
            "Your post was approved",
            f"{reviewer} approved it; it goes out as planned.\n\n{review.post.text[:280]}",
            organization=review.organization,
            url=QUEUE_URL,
        )
    return review


def _clean_comment(text: str) -> str:
    text = text.strip()
    if not text:
        raise ServiceError("Write what should change.", code="comment")
    if len(text) > MAX_COMMENT:
        raise ServiceError(f"Keep it under {MAX_COMMENT} characters.", code="comment")
    return text


def do_request_changes(reviewer: Person, review: Review, comment: str) -> Review:
    """Send the post back to its author as a draft, saying what should change."""
    from cluetrain.publishing.services import return_to_draft

    comment = _clean_comment(comment)
    with transaction.atomic():
        review = _locked(review)
        check_decide(reviewer, review)
        review.status = ReviewStatus.CHANGES_REQUESTED
        review.decided_by, review.decided_at = reviewer, timezone.now()
        review.save(update_fields=["status", "decided_by", "decided_at"])
        ReviewComment.objects.create(review=review, author=reviewer, text=comment)
        return_to_draft(review.post, reviewer, comment)
        audit.record(
            review.organization, reviewer, "review.changes_requested", review.post, comment=comment
        )
        notify(
            review.post.author,
            "review_changes_requested",
            "Changes requested on your post",
            f"{reviewer}: {comment}",
            organization=review.organization,
            url=QUEUE_URL,
        )
    return review


def do_comment(person: Person, review: Review, text: str) -> ReviewComment:
    """Add a comment to a review: by its author or by someone who may review posts."""
    text = _clean_comment(text)
    review = Review.objects.select_related("post", "post__author").get(pk=review.pk)
    is_author = review.post.author_id == person.pk
    if not is_author:
        policy.require(person, review.organization, Permission.REVIEW_POSTS)
    elif not policy.is_member(person, review.organization):
        raise NotAllowed(f"You are not a member of {review.organization.name}.")
    with transaction.atomic():
        comment = ReviewComment.objects.create(review=review, author=person, text=text)
        _event(review.post, "review_comment", text, person)
        audit.record(review.organization, person, "review.comment", review.post, review=review.pk)
        if is_author:
            others = {c.author for c in review.comments.select_related("author")} - {person}
        else:
            others = {review.post.author}
        for other in others:
            notify(
                other,
                "review_comment",
                f"{person} commented on a post under review",
                text[:500],
                organization=review.organization,
                url=QUEUE_URL,
                email=False,
            )
    return comment


def pending_reviews(organization: Organization) -> QuerySet[Review]:
    """The queue: pending reviews, oldest first, with what the page shows in few queries."""
    return (
        Review.objects.filter(
            organization=organization,
            status=ReviewStatus.PENDING,
            # A post cancelled while it waited leaves the queue even before its review is
            # withdrawn.
            post__status=PostStatus.REVIEW,
        )
        .select_related("post", "post__author", "organization")
        .prefetch_related("post__deliveries__voice", "comments__author")
        .order_by("requested_at", "pk")
    )


def reviews_of_author(person: Person, organization: Organization, limit: int = 50) -> list[Review]:
    return list(
        Review.objects.filter(organization=organization, post__author=person)
        .select_related("post", "post__author", "decided_by", "organization")
        .prefetch_related("post__deliveries__voice", "comments__author")
        .order_by("-requested_at", "-pk")[:limit]
    )


# Jobs ------------------------------------------------------------------------------------


def expire_reviews(now: datetime | None = None) -> int:
    """Mark overdue reviews expired and tell each author once; safe to run twice."""
    from cluetrain.publishing.services import return_to_draft

    now = now or timezone.now()
    expired = 0
    overdue = Review.objects.filter(status=ReviewStatus.PENDING, due_at__lte=now).select_related(
        "post", "post__author", "organization"
    )
    for review in overdue:
        with transaction.atomic():
            # Claimed with a conditional update: a second run, or a reviewer deciding at the
            # same moment, finds it no longer pending and leaves it alone.
            gone = review.post.status != PostStatus.REVIEW
            won = Review.objects.filter(pk=review.pk, status=ReviewStatus.PENDING).update(
                status=ReviewStatus.WITHDRAWN if gone else ReviewStatus.EXPIRED, decided_at=now
            )
            if won != 1 or gone:
                continue
            message = "The review expired before a reviewer got to it."
            # Back to its author as a draft, with the reason in its history.
            return_to_draft(review.post, None, message, verb="review_expired")
            audit.record(review.organization, None, "review.expired", review.post)
            notify(
                review.post.author,
                "review_expired",
                "Nobody reviewed your post in time",
                f"{message} It is a draft again: schedule it to ask for a new review.\n\n"
                f"{review.post.text[:280]}",
                organization=review.organization,
                url=QUEUE_URL,
            )
            expired += 1
    return expired


def send_review_reminders(now: datetime | None = None) -> int:
    """Remind reviewers of reviews past half their window, once per review."""
    now = now or timezone.now()
    reminded = 0
    candidates = Review.objects.filter(
        status=ReviewStatus.PENDING, reminded_at__isnull=True, due_at__gt=now
    ).select_related("post", "post__author", "organization")
    reviewers: dict[int, list[Person]] = {}
    for review in candidates:
        if review.requested_at + (review.due_at - review.requested_at) / 2 > now:
            continue
        won = Review.objects.filter(pk=review.pk, reminded_at__isnull=True).update(reminded_at=now)
        if won != 1:
            continue  # Another run reminded them already.
        org_id = review.organization_id
        if org_id not in reviewers:
            reviewers[org_id] = list(reviewers_of(review.organization))
        hours = max(1, round((review.due_at - now).total_seconds() / 3600))
        for reviewer in reviewers[org_id]:
            if reviewer.pk == review.post.author_id:
                continue
            notify(
                reviewer,
                "review_reminder",
                f"A post by {review.post.author} still waits for a review",
                f"It expires in about {hours} h.\n\n{review.post.text[:280]}",
                organization=review.organization,
                url=QUEUE_URL,
            )
        reminded += 1
    return reminded


# Evidence and levels ---------------------------------------------------------------------


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
