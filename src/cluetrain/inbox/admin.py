"""The inbox in Django's admin: for instance staff to look into a conversation's history, not
to work the inbox (people do that on the inbox page, through the services)."""

from __future__ import annotations

from django.contrib import admin

from cluetrain.inbox.models import (
    Availability,
    Conversation,
    ConversationEvent,
    Expertise,
    Note,
    Question,
    SavedReply,
    SavedView,
    ServiceLevel,
    Tag,
)


class NoteInline(admin.TabularInline):
    model = Note
    extra = 0
    fields = ("author", "body", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("author",)


class EventInline(admin.TabularInline):
    model = ConversationEvent
    extra = 0
    fields = ("created_at", "actor", "kind", "detail")
    readonly_fields = fields
    can_delete = False
    ordering = ("-created_at",)

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "organization",
        "network",
        "subject",
        "status",
        "assignee",
        "department",
        "intent",
        "urgency",
        "last_message_at",
        "due_at",
    )
    list_filter = ("status", "network", "intent", "urgency", "incident", "organization")
    search_fields = ("subject", "root_external_id", "author__handle", "author__display_name")
    raw_id_fields = ("author", "assignee", "department", "organization")
    filter_horizontal = ("tags",)
    readonly_fields = ("created_at", "updated_at", "search_text")
    date_hierarchy = "last_message_at"
    list_select_related = ("organization", "assignee", "department")
    inlines = [NoteInline, EventInline]


@admin.register(ConversationEvent)
class ConversationEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "conversation", "kind", "actor")
    list_filter = ("kind",)
    raw_id_fields = ("conversation", "actor")
    list_select_related = ("conversation", "actor")


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "conversation", "author", "body")
    search_fields = ("body",)
    raw_id_fields = ("conversation", "author", "mentions")
    list_select_related = ("conversation", "author")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "organization")
    list_filter = ("organization",)
    search_fields = ("name",)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "owner", "shared")
    list_filter = ("shared", "organization")
    raw_id_fields = ("owner",)


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "department", "created_by")
    list_filter = ("organization",)
    search_fields = ("name", "text")
    raw_id_fields = ("created_by",)


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "department",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "time_zone",
        "around_the_clock",
    )
    list_filter = ("organization",)


@admin.register(Expertise)
class ExpertiseAdmin(admin.ModelAdmin):
    list_display = ("membership", "topic", "declared", "weight")
    list_filter = ("declared",)
    search_fields = ("topic",)
    raw_id_fields = ("membership",)


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("membership", "takes_conversations", "capacity", "last_seen_at")
    raw_id_fields = ("membership",)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "organization", "asked_by", "routed_to", "answered_at")
    search_fields = ("text", "answer")
    raw_id_fields = ("conversation", "asked_by", "routed_to", "answered_by", "department")
