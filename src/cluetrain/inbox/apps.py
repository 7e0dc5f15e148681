from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InboxConfig(AppConfig):
    name = "cluetrain.inbox"
    label = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from cluetrain.inbox.search import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
