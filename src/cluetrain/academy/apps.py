from django.apps import AppConfig


class AcademyConfig(AppConfig):
    name = "cluetrain.academy"
    label = "academy"
    verbose_name = "Academy"
