"""Rate limits on the API: per token holder, and per address for requests without one.

The counts live in the "ratelimit" cache: Redis when several web processes run (REDIS_URL), so
every process counts against the same limit; without Redis, each process's memory. Rates come
from CLUETRAIN_API_RATE and CLUETRAIN_API_ANON_RATE ("120/min"); a refused request gets 429 in
the API's error shape with Retry-After.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.throttling import AnonRateThrottle, AuthRateThrottle, BaseThrottle

from cluetrain.api.errors import body


class _RateFromSettings:
    """Reads its rate from settings on every request, so a changed setting applies at once."""

    setting = ""
    rate: str | None
    num_requests: int | None
    duration: int | None

    def __init__(self, rate: str | None = None) -> None:
        super().__init__(rate)  # type: ignore[call-arg]
        self.cache = caches["ratelimit"]

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[attr-defined]
        return super().allow_request(request)  # type: ignore[misc]


class CallerRateThrottle(_RateFromSettings, AuthRateThrottle):
    """Counts per person and organisation: a person's tokens and session share one allowance."""

    setting = "API_RATE"

    def get_cache_key(self, request: HttpRequest) -> str:
        caller = getattr(request, "auth", None)
        if caller is None:
            return super().get_cache_key(request)
        ident = f"{caller.person.pk}-{caller.organization.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(_RateFromSettings, AnonRateThrottle):
    """Counts requests without a caller (the OpenAPI document, refused tokens) per address."""

    setting = "API_ANON_RATE"


def throttles() -> list[BaseThrottle]:
    return [CallerRateThrottle("1/s"), AddressRateThrottle("1/s")]


def install(api: NinjaAPI) -> None:
    """Give 429 the API's error shape (ninja's own body is ``{"detail": ...}``)."""

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = math.ceil(exc.wait) if exc.wait is not None else 60
        message = f"Too many requests: wait {wait} seconds, then try again."
        response = api.create_response(request, body("rate_limited", message), status=429)
        response["Retry-After"] = str(wait)
        return response
