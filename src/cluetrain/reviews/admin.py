from __future__ import annotations

from django.contrib import admin

from cluetrain.reviews.models import (
    AutonomyLevel,
    PromotionProposal,
    Review,
    ReviewComment,
    ReviewPolicy,
)


@admin.register(AutonomyLevel)
class AutonomyLevelAdmin(admin.ModelAdmin):
    list_display = ("person", "organization", "level", "changed_at", "changed_by")
    list_filter = ("level", "organization")
    raw_id_fields = ("person", "changed_by")


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(admin.ModelAdmin):
    list_display = ("organization", "expiry_hours", "min_reviewed_posts", "min_approval_rate")


class CommentInline(admin.TabularInline):
    model = ReviewComment
    extra = 0
    raw_id_fields = ("author",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("post", "organization", "status", "requested_at", "due_at", "decided_by")
    list_filter = ("status", "organization")
    raw_id_fields = ("post", "decided_by")
    inlines = [CommentInline]


@admin.register(PromotionProposal)
class PromotionProposalAdmin(admin.ModelAdmin):
    list_display = ("person", "organization", "from_level", "to_level", "status", "created_at")
    list_filter = ("status", "organization")
    raw_id_fields = ("person", "decided_by")
