from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "cluetrain.knowledge"
    label = "knowledge"
    verbose_name = "Facts and the peer group"
