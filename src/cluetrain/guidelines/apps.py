from django.apps import AppConfig


class GuidelinesConfig(AppConfig):
    name = "cluetrain.guidelines"
    label = "guidelines"
    verbose_name = "Guidelines"
