from django.apps import AppConfig


class HooksConfig(AppConfig):
    name = "cluetrain.hooks"
    label = "hooks"
    verbose_name = "Outgoing webhooks"
    default_auto_field = "django.db.models.BigAutoField"
