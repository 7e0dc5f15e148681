"""Practice messages as people see them: mentors' comments highlighted in the text, the
engine's findings as the composer shows them, avatars' initials.

Every piece of text is escaped as it is placed, so nothing typed or replayed becomes markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from cluetrain.guidelines.engine.types import Finding, Kind, Result, Severity, Verdict
from cluetrain.guidelines.presenting import findings_context
from cluetrain.practice.models import InlineComment, Message


def initials(name: str) -> str:
    letters = [word[0] for word in name.replace("_", " ").replace(".", " ").split() if word]
    return "".join(letters[:2]).upper() or "?"


def with_comments(text: str, comments: Sequence[InlineComment]) -> SafeString:
    """``text`` with each commented span in a numbered ``<mark>``; an overlap joins the first."""
    pieces: list[str] = []
    position = 0
    for number, comment in enumerate(sorted(comments, key=lambda c: (c.start, c.pk)), start=1):
        start, end = max(comment.start, position), min(comment.end, len(text))
        if start >= end:
            continue
        pieces.append(escape(text[position:start]))
        pieces.append(
            format_html(
                '<mark class="inline-comment" data-comment="{}" title="{}">{}<sup>{}</sup></mark>',
                number,
                comment.comment,
                text[start:end],
                number,
            )
        )
        position = end
    pieces.append(escape(text[position:]))
    # Every piece was escaped above (escape or format_html).
    return mark_safe("".join(pieces))  # noqa: S308


def result_of(message: Message) -> Result:
    """The guideline check kept with the message, as the engine's own ``Result``."""
    findings = tuple(
        Finding(
            rule=str(item.get("rule", "")),
            kind=Kind(item.get("kind", Kind.TERM)),
            severity=Severity(item.get("severity", Severity.WARN)),
            start=int(item.get("start", 0)),
            end=int(item.get("end", 0)),
            match=str(item.get("match", "")),
            explanation=str(item.get("explanation", "")),
            suggestion=str(item.get("suggestion", "")),
        )
        for item in message.findings or []
    )
    return Result(Verdict(message.verdict or Verdict.OK), findings, message.check_version)


def engine_grade(message: Message) -> dict[str, Any]:
    """What ``guidelines/_findings.html`` shows for the message as it was checked."""
    return findings_context(message.text, result_of(message))
