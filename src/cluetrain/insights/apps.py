from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "cluetrain.insights"
    label = "insights"
    verbose_name = "Insights"
