from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "cluetrain.practice"
    label = "practice"
    verbose_name = "Practice space"
