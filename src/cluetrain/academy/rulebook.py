"""The organisation's own guidelines written into lessons.

A lesson's Markdown may hold a line ``{{ guidelines:block }}`` (or ``review``, ``warn``,
``summary``); when the lesson is shown, the line becomes the list of the rules in effect now,
each with its explanation and suggestion, so "What not to say" always teaches the
organisation's current rules.
"""

from __future__ import annotations

import re

from cluetrain.guidelines.engine.types import RuleSpec, Severity
from cluetrain.guidelines.presenting import SEVERITY_LABELS
from cluetrain.guidelines.services import compiled
from cluetrain.organizations.models import Organization

_PLACE = re.compile(r"^[ \t]*\{\{\s*guidelines:(block|review|warn|summary)\s*\}\}[ \t]*$", re.M)

# The built-in detectors run for every organisation; in plain words for learners.
BUILT_IN = {
    "email": "An e-mail address: it may be someone's private address.",
    "phone": "A phone number: it may be someone's private line.",
    "payment_card": "A payment card number: never post one, not even a customer's own.",
    "iban": "A bank account number (IBAN).",
    "national_id": "An identity number (social security, national insurance and the like).",
    "secret": "A password, access key or token.",
    "internal_url": "A link to an internal system that the public cannot and should not reach.",
    "financial_figure": "A financial figure (revenue, results) that may not be public yet.",
}


def _escape(text: str) -> str:
    # Rule texts are the organisation's own; keep them from becoming Markdown structure.
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text.replace("\n", " ").strip())


def _line(rule: RuleSpec) -> str:
    explanation = rule.explanation or BUILT_IN.get(rule.name, "")
    text = f"- **{_escape(rule.name.replace('_', ' '))}**"
    if explanation:
        text += f": {_escape(explanation)}"
    if rule.terms:
        shown = ", ".join(f"“{_escape(t)}”" for t in rule.terms[:8])
        text += f" Words: {shown}{'…' if len(rule.terms) > 8 else ''}."
    if rule.suggestion:
        text += f" *Instead:* {_escape(rule.suggestion)}"
    return text


def rules_by_severity(organization: Organization) -> dict[Severity, list[RuleSpec]]:
    """The rules in effect (the organisation's and the built-in ones), by severity."""
    found: dict[Severity, list[RuleSpec]] = {s: [] for s in Severity}
    for rule in compiled(organization).rules:
        found[rule.severity].append(rule)
    return found


def expand(organization: Organization, text: str) -> str:
    """``text`` with each ``{{ guidelines:… }}`` line replaced by the rules in effect."""
    if "guidelines:" not in text:
        return text
    rules = rules_by_severity(organization)

    def listing(match: re.Match[str]) -> str:
        which = match.group(1)
        if which == "summary":
            return "\n".join(
                f"- {SEVERITY_LABELS[s]}: {len(rules[s])} rule{'s' if len(rules[s]) != 1 else ''}"
                for s in (Severity.BLOCK, Severity.REVIEW, Severity.WARN)
            )
        chosen = rules[Severity(which)]
        if not chosen:
            return "*None at the moment.*"
        return "\n".join(_line(rule) for rule in chosen)

    return _PLACE.sub(listing, text)
