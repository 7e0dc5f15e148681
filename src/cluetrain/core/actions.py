"""The shape of a page's action button: run the service, say what happened, go back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from cluetrain.core.errors import ServiceError


def act_and_say(
    request: HttpRequest, act: Callable[[], str], then: str, *args: Any
) -> HttpResponse:
    """Run ``act`` (which returns what to tell the person); a refusal is told instead.

    ``NotAllowed`` is not caught: it is a 403, as everywhere else.
    """
    try:
        messages.success(request, act())
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(then, *args)
