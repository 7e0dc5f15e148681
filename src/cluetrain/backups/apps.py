from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "cluetrain.backups"
    label = "backups"
    verbose_name = "Backups"
