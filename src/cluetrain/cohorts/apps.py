from django.apps import AppConfig


class CohortsConfig(AppConfig):
    name = "cluetrain.cohorts"
    label = "cohorts"
    verbose_name = "Engagement-centre rotations"
