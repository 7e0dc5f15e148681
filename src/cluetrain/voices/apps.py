from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VoicesConfig(AppConfig):
    name = "cluetrain.voices"
    label = "voices"
    verbose_name = "Voices"

    def ready(self) -> None:
        from cluetrain.voices.db_guards import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
