"""Autonomy levels, the organisation's review policy, reviews of posts and promotion proposals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Level(models.TextChoices):
    """How much review a person's posts need in one organisation, earned by evidence."""

    LEARNER = "learner", "Learner"
    SUPERVISED = "supervised", "Supervised"
    AUTONOMOUS = "autonomous", "Autonomous"
    MENTOR = "mentor", "Mentor"


# The order in which levels are earned.
LADDER = [Level.LEARNER, Level.SUPERVISED, Level.AUTONOMOUS, Level.MENTOR]


class AutonomyLevel(models.Model):
    """A person's autonomy level in one organisation, as last set by a person.

    Most people have no row: their level follows from their roles (see
    ``services.default_level``). A row is written the first time someone's level is set or a
    promotion is confirmed, and from then on it is the level, whatever their roles.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="autonomy_levels"
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="autonomy_levels"
    )
    level = models.CharField(max_length=12, choices=Level.choices)
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "organization"], name="autonomy_one_per_org"),
            models.CheckConstraint(
                condition=Q(level__in=Level.values), name="autonomy_known_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.organization}: {self.get_level_display()}"


class ReviewPolicy(models.Model):
    """How one organisation reviews posts and when it proposes promotions.

    An organisation without a row uses the defaults below (``autonomy.policy_of``).
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="review_policy"
    )
    # Categories of ``publishing.Category`` whose posts are always reviewed.
    reviewed_categories = models.JSONField(default=list, blank=True)
    expiry_hours = models.PositiveIntegerField(default=48)
    min_reviewed_posts = models.PositiveIntegerField(default=10)
    min_approval_rate = models.FloatField(default=0.9)
    block_free_days = models.PositiveIntegerField(default=30)
    # How many academy modules (courses that count) a learner or supervised person must finish.
    academy_modules_required = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "review policies"

    def __str__(self) -> str:
        return f"Review policy of {self.organization}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a reviewer"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Review(models.Model):
    """One request that a reviewer approve a post before it goes out.

    A post may be reviewed several times (changes requested, then sent again); at most one of
    its reviews is pending at a time.
    """

    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="reviews")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="reviews"
    )
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set when the reviewers were reminded, so they are reminded once.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post"],
                condition=Q(status="pending"),
                name="review_one_pending_per_post",
            ),
        ]
        indexes = [
            # The queue: an organisation's pending reviews, oldest first.
            models.Index(fields=["organization", "status", "requested_at"], name="review_queue"),
            # The expiry and reminder jobs.
            models.Index(
                fields=["due_at"], name="review_pending_due", condition=Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"Review of post {self.post_id} ({self.status})"


class ReviewComment(models.Model):
    """Something a reviewer or the author said about a post under review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_comments"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


class PromotionProposal(models.Model):
    """The product's suggestion that a person has earned the next level, for a coordinator.

    ``evidence`` keeps what the person had shown when the proposal was made.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="promotion_proposals"
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="promotion_proposals"
    )
    from_level = models.CharField(max_length=12, choices=Level.choices)
    to_level = models.CharField(max_length=12, choices=Level.choices)
    evidence = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization"],
                condition=Q(status="proposed"),
                name="promotion_one_open_per_person",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="promotion_org_status")]

    def __str__(self) -> str:
        return f"{self.person}: {self.from_level} → {self.to_level} ({self.status})"
