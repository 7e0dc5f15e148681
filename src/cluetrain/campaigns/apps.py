from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "cluetrain.campaigns"
    label = "campaigns"
    verbose_name = "Objectives and campaigns"
