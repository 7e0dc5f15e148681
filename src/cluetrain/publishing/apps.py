from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "cluetrain.publishing"
    label = "publishing"
    verbose_name = "Publishing"
