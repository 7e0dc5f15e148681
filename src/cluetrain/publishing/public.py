"""Public views: the Atom/RSS feeds of voices and departments, and post media."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.utils._os import safe_join
from django.views.decorators.http import require_GET

from cluetrain.publishing.models import PostMedia


@require_GET
def media(request: HttpRequest, name: str) -> FileResponse:
    """An image attached to a post (names are unguessable; see ``models.media_path``)."""
    item = PostMedia.objects.filter(file=name).only("file", "content_type").first()
    if item is None:
        raise Http404
    try:
        path = safe_join(str(settings.MEDIA_ROOT), item.file.name)
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=item.content_type)
    response["Cache-Control"] = "public, max-age=86400, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
