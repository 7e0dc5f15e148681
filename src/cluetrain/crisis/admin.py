from django.contrib import admin

from cluetrain.crisis.models import Alert, Incident, PausedDelivery, TimelineEvent


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0
    can_delete = False
    fields = ("at", "verb", "actor", "message")
    readonly_fields = fields


class PausedInline(admin.TabularInline):
    model = PausedDelivery
    extra = 0
    can_delete = False
    fields = ("delivery", "status", "was_status", "was_due_at", "called_at", "decided_by")
    readonly_fields = fields


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    # Read-only: declaring, changing and ending go through the services (pauses, timeline).
    list_display = ("title", "organization", "severity", "status", "declared_at", "ended_at")
    list_filter = ("status", "severity")
    readonly_fields = [f.name for f in Incident._meta.fields]
    inlines = [PausedInline, TimelineInline]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("headline", "organization", "kind", "status", "created_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in Alert._meta.fields]
