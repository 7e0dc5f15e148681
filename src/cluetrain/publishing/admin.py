from django.contrib import admin

from cluetrain.publishing.models import Delivery, Post, PostEvent


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("voice", "status", "due_at", "attempts", "called_at", "published_at", "url", "error")
    readonly_fields = fields


class EventInline(admin.TabularInline):
    model = PostEvent
    extra = 0
    can_delete = False
    fields = ("at", "verb", "actor", "message")
    readonly_fields = fields


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["created_at", "author", "category", "status", "scheduled_at"]
    list_filter = ["status", "category", "organization"]
    search_fields = ["text"]
    # Posts change through the product's services only; the admin is for looking.
    readonly_fields = [
        "organization",
        "author",
        "text",
        "variants",
        "category",
        "status",
        "scheduled_at",
        "published_at",
    ]
    inlines = [DeliveryInline, EventInline]

    def has_add_permission(self, request: object) -> bool:
        return False
