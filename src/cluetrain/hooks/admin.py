from django.contrib import admin

from cluetrain.hooks.models import Endpoint, HookDelivery


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "organization", "is_active", "created_at")
    list_filter = ("is_active",)
    exclude = ("secret_ciphertext",)


@admin.register(HookDelivery)
class HookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("delivery_id", "endpoint", "status", "attempts", "response_code")
    list_filter = ("status",)
    readonly_fields = ("delivery_id",)
