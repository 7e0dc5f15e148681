"""Who must review a post, and the review itself: request, decisions, comments, expiry.

UI, API, CLI, publishing and the periodic jobs all come through here. Publishing asks
``review_reason`` when a post is scheduled and ``do_request_review`` when the answer is a
reason; a reviewer's decision is carried back to the post by publishing's ``release_reviewed``
and ``return_to_draft``. Autonomy levels, promotions and the review policy live in
``cluetrain.reviews.autonomy``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import RULES, Permission
from cluetrain.publishing.models import Category, Post, PostEvent, PostStatus
from cluetrain.reviews.autonomy import level_of, policy_of
from cluetrain.reviews.models import Level, Review, ReviewComment, ReviewStatus
from cluetrain.voices.models import Network

MAX_COMMENT = 5000

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


# Who must review ------------------------------------------------------------------------


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
