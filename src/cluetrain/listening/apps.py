from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "cluetrain.listening"
    label = "listening"
    verbose_name = "Listening"
