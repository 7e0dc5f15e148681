"""Template helpers of the practice space (see ``practice.presenting``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from cluetrain.practice import presenting
from cluetrain.practice.models import Grade, Message

register = template.Library()


@register.filter
def marked(message: Message) -> SafeString:
    """The message's text with its mentors' inline comments highlighted (prefetched)."""
    return presenting.with_comments(message.text, list(message.comments.all()))


@register.filter
def initials(name: str) -> str:
    return presenting.initials(name or "")


@register.simple_tag
def engine_grade(message: Message) -> dict[str, Any]:
    return presenting.engine_grade(message)


@register.filter
def current_grade(message: Message) -> Grade | None:
    """The message's current grade, from the prefetched grades (newest first)."""
    return next((grade for grade in message.grades.all() if grade.is_current), None)
