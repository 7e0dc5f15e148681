"""An organisation's own triage model, learned from its people's corrections.

Every time someone in a team changes a triage decision ("this is for baggage, not
bookings"), the corrected message becomes an example. ``OrgModel.train`` learns a linear
classifier per corrected field from those examples; the ``Triager`` then lets it override
the shipped models for the fields it learned, where it is confident enough. The model is
bytes (numpy ``.npz``, no pickle) so it can be kept in the database and loaded safely.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cluetrain.triage.engine.features import build_vocabulary, matrix, terms
from cluetrain.triage.engine.linear import LinearModel
from cluetrain.triage.engine.sentiment import shared_scorer
from cluetrain.triage.engine.text import prepare

FIELDS = ("department", "topic", "intent", "complaint", "incident", "urgency", "sentiment_label")
BOOLEAN_FIELDS = frozenset({"complaint", "incident"})
MIN_EXAMPLES = 5  # a field with fewer labelled examples is not learned
MIN_PER_CLASS = 2  # a label seen once is noise, not a class

Example = tuple[str, Mapping[str, object]]


def normalise_label(field: str, value: object) -> str | None:
    """A label as the model stores it; None for a missing or unusable one."""
    if value is None:
        return None
    if field in BOOLEAN_FIELDS:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value).strip().lower()
        if text in {"true", "1", "yes"}:
            return "true"
        if text in {"false", "0", "no"}:
            return "false"
        return None
    if isinstance(value, bool | int | float | str):
        text = " ".join(str(value).split())[:100]
        return text or None
    return None


@dataclass(frozen=True)
class Prediction:
    """One field's prediction for one message by an organisation's model."""

    label: str
    probability: float


class OrgModel:
    """Per-field classifiers over an organisation's corrections."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields this model learned (others were skipped: too few examples or classes)."""
        return tuple(self.model.heads)

    @property
    def examples(self) -> int:
        return int(self.model.meta.get("examples", 0))  # type: ignore[call-overload]

    def labels(self, field: str) -> tuple[str, ...]:
        head = self.model.heads.get(field)
        return head.classes if head else ()

    @classmethod
    def train(cls, examples: Iterable[Example], c: float = 4.0) -> OrgModel:
        """Learn from (text, {field: label}) pairs; unknown fields and empty texts are ignored.

        Well under a second of fitting for 10,000 examples (preparing the texts costs
        about as much)."""
        from cluetrain.triage.engine.linear import fit_heads

        texts: list[str] = []
        rows: list[dict[str, str]] = []
        for text, labels in examples:
            if not isinstance(text, str) or not text.strip() or not isinstance(labels, Mapping):
                continue
            clean = {f: normalise_label(f, labels.get(f)) for f in FIELDS}
            kept = {f: v for f, v in clean.items() if v is not None}
            if kept:
                texts.append(text)
                rows.append(kept)
        scorer = shared_scorer()
        term_lists = []
        for text in texts:
            p = prepare(text)
            term_lists.append(terms(p, scorer.compound(p, scorer.valences(p))))
        vocabulary = build_vocabulary(term_lists, min_count=2 if len(texts) >= 2000 else 1)
        x = matrix(term_lists, vocabulary)
        columns: dict[str, list[str | None]] = {}
        for field in FIELDS:
            column = [r.get(field) for r in rows]
            counts = Counter(v for v in column if v is not None)
            usable = {v for v, n in counts.items() if n >= MIN_PER_CLASS}
            if sum(counts[v] for v in usable) >= MIN_EXAMPLES and len(usable) >= 2:
                columns[field] = [v if v in usable else None for v in column]
        heads, weights, intercepts = fit_heads(x, columns, c=c, fast=True)
        if not heads:
            vocabulary = {}
            weights = np.zeros((1, 0), dtype=np.float32)
        meta = {"kind": "org", "examples": len(texts)}
        return cls(LinearModel(vocabulary, heads, weights, intercepts, meta))

    def predict(self, term_lists: Sequence[Sequence[str]]) -> dict[str, list[Prediction]]:
        """Per learned field, one prediction per message of the batch."""
        if not self.model.heads:
            return {}
        out: dict[str, list[Prediction]] = {}
        for field, probs in self.model.probabilities(term_lists).items():
            classes = self.model.heads[field].classes
            best = probs.argmax(axis=1).tolist()
            top = probs.max(axis=1).tolist()
            out[field] = [Prediction(classes[b], p) for b, p in zip(best, top, strict=True)]
        return out

    def to_bytes(self) -> bytes:
        return self.model.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> OrgModel:
        """Load a stored model; ``ValueError`` if the bytes are not one."""
        model = LinearModel.from_bytes(data)
        if model.meta.get("kind") != "org":
            raise ValueError("not an organisation's triage model")
        return cls(model)
