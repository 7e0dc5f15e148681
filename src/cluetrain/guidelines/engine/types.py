"""The guideline engine's vocabulary: rules as written, findings as found, the verdict.

Pure Python (no Django), so the composer, the inbox, the API, the CLI and tasks all use the
same engine, and a rules file can be checked without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    BLOCK = "block"  # nobody may publish it (a director may override, with a reason)
    REVIEW = "review"  # a reviewer must approve it
    WARN = "warn"  # shown, not enforced


class Kind(StrEnum):
    TERM = "term"
    PATTERN = "pattern"
    DETECTOR = "detector"
    EMBARGO = "embargo"  # terms that may not be mentioned before ``until``


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    REVIEW = "review"
    BLOCK = "block"


class RuleError(ValueError):
    """A rule that cannot be used (a bad pattern, an unknown detector…); says why, plainly."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}" if rule else message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class RuleSpec:
    """One rule as an organisation writes it (in the UI or a YAML rules file)."""

    name: str
    kind: Kind
    severity: Severity
    explanation: str = ""
    suggestion: str = ""
    terms: tuple[str, ...] = ()  # term and embargo rules
    exceptions: tuple[str, ...] = ()  # allowed phrases that contain a term ("Falcon Heavy")
    pattern: str = ""  # pattern rules: a regular expression
    ignore_case: bool = True  # pattern rules
    detector: str = ""  # detector rules: a key of ``detectors.DETECTORS``
    options: Mapping[str, Any] = field(default_factory=dict)  # detector options
    until: datetime | None = None  # embargo rules: aware datetime


@dataclass(frozen=True)
class Finding:
    """One place in a text that a rule objects to. ``start``/``end`` are Python str offsets."""

    rule: str
    kind: Kind
    severity: Severity
    start: int
    end: int
    match: str
    explanation: str
    suggestion: str = ""


@dataclass(frozen=True)
class Result:
    """What a check found, the verdict it leads to, and the rules version it used."""

    verdict: Verdict
    findings: tuple[Finding, ...]
    version: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "version": self.version,
            "findings": [
                {
                    "rule": f.rule,
                    "kind": f.kind.value,
                    "severity": f.severity.value,
                    "start": f.start,
                    "end": f.end,
                    "match": f.match,
                    "explanation": f.explanation,
                    "suggestion": f.suggestion,
                }
                for f in self.findings
            ],
        }


@dataclass(frozen=True)
class Hit:
    """What a built-in detector found: the span (original text offsets) and what it is."""

    start: int
    end: int
    label: str  # e.g. "a payment card number"
    explanation: str = ""
    suggestion: str = ""
