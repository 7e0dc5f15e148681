"""Findings as people see them: the text with each finding marked, explained, with a fix.

Shared by the composer's live check and the guidelines page's test box. The marked text is
built from spans, escaping every piece, so nothing typed can become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from cluetrain.guidelines.engine.types import Finding, Result, Severity, Verdict

# The first quoted phrase of a suggestion is what to say instead: Say "our next product".
_QUOTED = re.compile(r"\u201c([^\u201d]+)\u201d|\"([^\"]+)\"|\u2018([^\u2019]+)\u2019|'([^']+)'")

SEVERITY_LABELS = {
    Severity.BLOCK: "Cannot be published",
    Severity.REVIEW: "Needs review",
    Severity.WARN: "Worth a second look",
}


@dataclass(frozen=True)
class ShownFinding:
    number: int
    finding: Finding
    replacement: str | None

    @property
    def severity(self) -> str:
        return self.finding.severity.value

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self.finding.severity]


def replacement_of(suggestion: str) -> str | None:
    """The words a suggestion proposes to say instead, when it quotes them."""
    found = _QUOTED.search(suggestion)
    if found is None:
        return None
    return next(group for group in found.groups() if group is not None)


def highlighted(text: str, findings: tuple[Finding, ...]) -> SafeString:
    """``text`` as HTML with each finding in a ``<mark>``; overlapping findings share one."""
    pieces: list[str] = []
    position = 0
    for number, finding in enumerate(findings, start=1):
        start, end = max(finding.start, position), min(finding.end, len(text))
        if start >= end:
            continue  # inside the previous mark, or outside the text
        pieces.append(escape(text[position:start]))
        pieces.append(
            format_html(
                '<mark class="finding {}" data-finding="{}" title="{}">{}</mark>',
                finding.severity.value,
                number,
                finding.explanation,
                text[start:end],
            )
        )
        position = end
    pieces.append(escape(text[position:]))
    # Every piece was escaped above (escape or format_html).
    return mark_safe("".join(pieces))  # noqa: S308


def verdict_line(result: Result) -> str:
    if result.verdict == Verdict.BLOCK:
        blocking = [f for f in result.findings if f.severity == Severity.BLOCK]
        reason = blocking[0].explanation or f"it breaks the rule “{blocking[0].rule}”"
        return f"Cannot be published: {reason}"
    if result.verdict == Verdict.REVIEW:
        return "Needs review before it goes out."
    if result.verdict == Verdict.WARN:
        return "Worth a second look; it may go out as it is."
    return "Nothing in the guidelines stands in the way."


def findings_context(text: str, result: Result) -> dict[str, Any]:
    """What ``guidelines/_findings.html`` shows for a checked text."""
    return {
        "text": text,
        "result": result,
        "verdict": result.verdict.value,
        "verdict_line": verdict_line(result),
        "marked": highlighted(text, result.findings),
        "findings": [
            ShownFinding(number, finding, replacement_of(finding.suggestion))
            for number, finding in enumerate(result.findings, start=1)
        ],
    }
