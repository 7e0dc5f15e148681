from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def open_incidents(request: HttpRequest) -> dict[str, Any]:
    """The red banner: the current organisation's open incidents, asked when a page shows it."""
    organization = getattr(request, "organization", None)
    if organization is None:
        return {}

    def incidents() -> list[Any]:
        from cluetrain.crisis.services import open_incidents as find

        return find(organization)

    return {"open_incidents": incidents}
