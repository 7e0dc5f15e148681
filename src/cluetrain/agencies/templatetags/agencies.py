"""``{% agency_mark person %}``: the "Agency" badge wherever a person is shown.

The current organisation's agency staff are read once per request (two queries) and kept on
the request, so a list of a hundred rows costs nothing more. Agency is per organisation: the
badge says what the person is *here*.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from cluetrain.agencies.access import agency_names

register = template.Library()

CACHE = "_cluetrain_agency_names"


def names_for(request: Any) -> dict[int, str]:
    organization = getattr(request, "organization", None)
    if organization is None:
        return {}
    cache: dict[int, dict[int, str]] = request.__dict__.setdefault(CACHE, {})
    if organization.pk not in cache:
        cache[organization.pk] = agency_names(organization)
    return cache[organization.pk]


@register.simple_tag(takes_context=True)
def agency_mark(context: template.Context, person: Any) -> str:
    """The badge for ``person`` (a Person or a person's id) if they are agency staff here."""
    request = context.get("request")
    if request is None:
        return ""
    # Read even for nobody, so a page costs the same queries whoever its rows show.
    names = names_for(request)
    person_id = person if isinstance(person, int) else getattr(person, "pk", None)
    if person_id not in names:
        return ""
    agency = names[person_id]
    label = f"Agency · {agency}" if agency else "Agency"
    return format_html(
        '<span class="chip role agency-mark" title="Works for {} — agency staff, not in-house">'
        "{}</span>",
        agency or "an agency",
        label,
    )


@register.filter
def is_agency_here(person: Any, request: Any) -> bool:
    """``{% if person|is_agency_here:request %}`` for templates that need the test alone."""
    person_id = person if isinstance(person, int) else getattr(person, "pk", None)
    return person_id in names_for(request)
