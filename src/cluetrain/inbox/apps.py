from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "cluetrain.inbox"
    label = "inbox"
    verbose_name = "Inbox"
