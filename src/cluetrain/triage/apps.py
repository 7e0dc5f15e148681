from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "cluetrain.triage"
    label = "triage"
    verbose_name = "Triage"
