"""What the incident detector's signals are, and how they read to the people paged.

A signal is one count the detector found surging in its window (a word, negative talk about a
topic, the share of incident reports or complaints, the volume), with what was expected; its
headline is the sentence an alert leads with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Keys that are not words begin with a space: terms are stripped, so none can collide.
ALL = " all"
INCIDENT = " incident"
COMPLAINT = " complaint"
TOPIC = " topic:"


@dataclass(frozen=True)
class Signal:
    kind: str
    key: str
    count: int
    expected: float
    log10_p: float
    subset: int  # the messages the signal speaks of (the term's, the topic's, the window's)
    negative: int
    troubled: int


def share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def percent(part: float, whole: float) -> int:
    return round(100 * part / whole) if whole else 0


def signal_json(s: Signal) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "key": s.key.strip(),
        "count": s.count,
        "expected": round(s.expected, 3),
        "change_percent": change_percent(s.count, s.expected),
        "log10_p": round(s.log10_p, 1) if math.isfinite(s.log10_p) else -999.0,
        "negative_share": share(s.negative, s.subset),
    }


def change_percent(count: int, expected: float) -> int | None:
    return round(100 * (count / expected - 1)) if expected > 0 else None


def rise(count: int, expected: float) -> str:
    # Below half a message expected, a percentage would be a number nobody can read.
    if expected < 0.5:
        return f"in {count} messages (usually none)"
    return f"+{change_percent(count, expected):,} %"


def headline(s: Signal, total: int, window_minutes: int) -> str:
    """What a person reads first, e.g.
    "possible incident: 'delayed' +640 % in 10 minutes, 72 % negative"."""
    minutes = f"in {window_minutes} minutes"
    negative = f"{percent(s.negative, s.subset)} % negative"
    troubled = percent(s.troubled, s.subset)
    if s.kind in ("term", "volume") and troubled >= percent(s.negative, s.subset) + 10:
        # Crisis reports are often plain news: say what made them count as trouble.
        negative += f", {troubled} % negative or reporting an incident"
    if s.kind == "term":
        term = s.key if len(s.key) <= 40 else s.key[:39] + "\u2026"
        text = f"'{term}' {rise(s.count, s.expected)} {minutes}"
    elif s.kind == "negative_topic":
        text = (
            f"negative messages about {s.key[len(TOPIC) :]} {rise(s.count, s.expected)} {minutes}"
        )
    elif s.kind in ("incident_share", "complaint_share"):
        what = "report an incident" if s.kind == "incident_share" else "are complaints"
        usual = percent(s.expected, total)
        text = f"{percent(s.count, total)} % of messages {what} {minutes} (usually {usual} %)"
    else:
        text = f"messages {rise(s.count, s.expected)} {minutes}"
    return f"possible incident: {text}, {negative}"[:300]
