"""The triage of one message, as every caller sees it."""

from __future__ import annotations

from dataclasses import dataclass

INTENTS = ("question", "complaint", "praise", "incident report", "request", "spam", "other")
URGENCIES = ("low", "normal", "high", "critical")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
KEYS = [
    "id",
    "intent",
    "complaint",
    "incident",
    "sentiment",
    "sentiment_label",
    "language",
    "urgency",
    "topic",
    "department",
    "confidence",
    "reason",
]


@dataclass(frozen=True, slots=True)
class Decision:
    """The triage of one message (the keys of ``cluetrain triage``'s output lines)."""

    id: object
    intent: str
    complaint: bool
    incident: bool
    sentiment: float
    sentiment_label: str
    language: str
    urgency: str
    topic: str
    department: str
    confidence: float
    reason: str

    def as_dict(self) -> dict[str, object]:
        """The decision as a JSON-ready dict with the keys in ``KEYS`` order."""
        return {
            "id": self.id,
            "intent": self.intent,
            "complaint": self.complaint,
            "incident": self.incident,
            "sentiment": self.sentiment,
            "sentiment_label": self.sentiment_label,
            "language": self.language,
            "urgency": self.urgency,
            "topic": self.topic,
            "department": self.department,
            "confidence": self.confidence,
            "reason": self.reason,
        }
