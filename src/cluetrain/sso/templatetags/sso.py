"""The sign-in page's single sign-on buttons."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from cluetrain.sso.models import SignOnProvider

register = template.Library()


@register.inclusion_tag("sso/sign_in_buttons.html")
def sign_on_buttons(request: HttpRequest, next_url: str = "") -> dict[str, Any]:
    """A "Sign in with <provider>" button when the address names an organisation
    (``?organization=acme``) that signs in through a provider; otherwise a link to find one by
    e-mail. Providers are never listed for everyone: that would name every organisation."""
    slug = request.GET.get("organization", "")
    provider = (
        SignOnProvider.objects.select_related("organization")
        .filter(organization__slug=slug, is_enabled=True)
        .first()
        if slug
        else None
    )
    return {"provider": provider, "next_url": next_url}
