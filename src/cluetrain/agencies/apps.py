"""Agencies in the open: agency staff marked everywhere, shadowing, hand-over plans and
the self-sufficiency index."""

from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "cluetrain.agencies"
    label = "agencies"
    verbose_name = "Agencies in the open"

    def ready(self) -> None:
        from cluetrain.agencies import signals  # noqa: F401  (connects the receivers)
