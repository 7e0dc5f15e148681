from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cluetrain.core"
    label = "core"
    verbose_name = "Cluetrain core"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Importing every app's tasks module registers its periodic jobs.
        autodiscover_modules("tasks")
        # Connects the sign-in, sign-out and failed sign-in receivers of the audit log.
        from cluetrain.core import audit  # noqa: F401
