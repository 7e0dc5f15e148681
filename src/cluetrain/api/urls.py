"""The REST API's URLs (django-ninja), mounted at /api/."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path

from cluetrain.api.errors import body
from cluetrain.api.main import api


def unknown(request: HttpRequest, rest: str) -> JsonResponse:
    # An API client gets the API's error shape, not the site's HTML 404 page.
    return JsonResponse(body("not_found", f"The API has no /api/{rest}."), status=404)


urlpatterns: list[URLPattern | URLResolver] = [
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", unknown),
]
