from django.contrib import admin

from cluetrain.voices.models import Voice, VoiceAccess


class VoiceAccessInline(admin.TabularInline):
    model = VoiceAccess
    extra = 0
    fk_name = "voice"


@admin.register(Voice)
class VoiceAdmin(admin.ModelAdmin):
    """Read-mostly: owner and kind are fixed once a voice exists (the database enforces it)."""

    list_display = ["name", "handle", "network", "kind", "organization", "status"]
    list_filter = ["kind", "network", "status", "organization"]
    search_fields = ["name", "handle"]
    inlines = [VoiceAccessInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ["kind", "owner", "organization"] if obj else []
