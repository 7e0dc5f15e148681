from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "cluetrain.crisis"
    label = "crisis"
    verbose_name = "Crisis mode"
