"""Verified facts staff can cite, and questions to the peer group."""

from django.apps import AppConfig
from django.db.models.signals import post_save


class KnowledgeConfig(AppConfig):
    name = "cluetrain.knowledge"
    label = "knowledge"
    verbose_name = "Facts and the peer group"

    def ready(self) -> None:
        from cluetrain.knowledge.citations import on_post_saved

        # A new post or reply holding a cited fact's text is where that fact was used.
        post_save.connect(
            on_post_saved, sender="publishing.Post", dispatch_uid="knowledge_citations"
        )
