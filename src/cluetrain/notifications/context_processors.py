from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the top bar, asked only when a page shows it (lazily)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        from cluetrain.notifications.services import unread_count

        return unread_count(user)

    return {"unread_notifications": count}
