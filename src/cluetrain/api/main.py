"""The REST API: one NinjaAPI, its authentication and its error shape."""

from __future__ import annotations

from ninja import NinjaAPI

from cluetrain.api import (
    academy,
    conversations,
    errors,
    guidelines,
    hooks,
    incidents,
    insights,
    people,
    posts,
    reviews,
    throttling,
    triage,
    voices,
)
from cluetrain.api.auth import BearerToken, Session

DESCRIPTION = """
Publish through Cluetrain from scripts and other tools.

Authenticate with a personal API token (`Authorization: Bearer ct_…`, made in Settings → API
tokens or with `cluetrain token create`): it acts as its person, in its organisation only, with
the roles the person holds at the moment of each request. Signed-in browsers may use their
session (send the CSRF token in `X-CSRFToken` for POST requests).

Every error has the same body: `{"error": {"code": "...", "message": "...", "fields": [...]}}`.
Times are ISO 8601; they are returned in UTC.
"""

api = NinjaAPI(
    title="Cluetrain API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[BearerToken(), Session()],
    throttle=throttling.throttles(),
)
errors.install(api)
throttling.install(api)
api.add_router("/", voices.router)
api.add_router("/", posts.router)
api.add_router("/", guidelines.router)
api.add_router("/", people.router)
api.add_router("/", reviews.router)
api.add_router("/", conversations.router)
api.add_router("/", triage.router)
api.add_router("/", incidents.router)
api.add_router("/", academy.router)
api.add_router("/", insights.router)
api.add_router("/", hooks.router)
