from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "cluetrain.agencies"
    label = "agencies"
    verbose_name = "Agencies in the open"
