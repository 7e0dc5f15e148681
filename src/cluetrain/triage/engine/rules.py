"""From classifier scores to a decision: the thresholds and rules a person can check.

The classifiers give probabilities; this module turns them into the fields of a
``Decision`` and says why in one sentence. The thresholds were chosen on development
splits (the even-numbered airline tweets for sentiment and complaint; CrisisLex events
held out from training for incidents) and are reported on other data by
``bench/triage_quality.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from cluetrain.triage.engine.decision import Decision
from cluetrain.triage.engine.linear import LinearModel
from cluetrain.triage.engine.orgmodel import Prediction
from cluetrain.triage.engine.text import Prepared, words

INCIDENT_THRESHOLD = 0.5
DANGER_INCIDENT_THRESHOLD = 0.35
# Complaint: the complaint classifier (trained on few seeds, so timid) and the lexicon's
# sentiment, weighed by a logistic fit on the development half of the airline tweets
# (negative vs. not), then thresholded where that half's macro-F1 (both classes, so less
# tied to the airline tweets' high share of complaints) peaked.
COMPLAINT_MODEL_WEIGHT = 0.567
COMPLAINT_SENTIMENT_WEIGHT = -2.03
COMPLAINT_BIAS = 2.02
COMPLAINT_THRESHOLD = 0.5
# Compound sentiment under which a message reads as negative, over which as positive: chosen
# on the development half of the airline tweets (a grid of pairs; macro-F1).
NEGATIVE_BELOW = 0.0
POSITIVE_ABOVE = 0.4
ORG_CONFIDENCE = 0.6  # an organisation's model overrides a shipped field when this sure

# Words of danger to people: with an incident they make it critical.
DANGER = words(
    """injured injury injuries fainting fainted faint collapsed unconscious ambulance fire smoke
    trapped bleeding explosion explosions evacuate evacuated evacuation emergency dying dead
    killed crush drowning assault attacked weapon gun shooting shooter stabbed hurt panic
    panicking flooding flooded derailed derailment casualties victims 999 911 112 paramedics
    breathe breathing heart seizure"""
)
URGENT = words("""urgent urgently asap immediately now stranded stuck sos tonight emergency""")


class Cues:
    """For each class of the shipped model, the words that most push a message into it:
    the vocabulary of the explanations. Built once per model (``for_model``)."""

    def __init__(self, model: LinearModel, per_class: int = 600) -> None:
        terms = list(model.vocabulary)
        self.by_class: dict[tuple[str, str], dict[str, float]] = {}
        for name, head in model.heads.items():
            for klass in head.classes if not head.binary else head.classes[1:]:
                column = model.column(name, klass)
                words: dict[str, float] = {}
                for i in np.argsort(-column)[: per_class * 4].tolist():
                    if column[i] <= 0.3 or len(words) >= per_class:
                        break
                    if _wordlike(terms[i]):
                        words[terms[i]] = float(column[i])
                self.by_class[(name, klass)] = words

    @classmethod
    def for_model(cls, model: LinearModel) -> Cues:
        cues = model.cache.get("cues")
        if not isinstance(cues, Cues):
            cues = model.cache["cues"] = cls(model)
        return cues

    def top(self, head: str, klass: str, tokens: list[str], n: int = 2) -> list[str]:
        weights = self.by_class.get((head, klass))
        if not weights:
            return []
        found = [t for t in tokens if t in weights]
        if len(found) <= 1:
            return found
        return sorted(set(found), key=weights.__getitem__, reverse=True)[:n]


# Too common to explain anything.
_PLAIN = words(
    """the and you your for that this with have has are was not but what why how when can could
    would just get got from they our all out its it's i'm any one now there their been does did
    about will into than then them very really some more people"""
)


def _wordlike(term: str) -> bool:
    return len(term) > 2 and term.isalpha() and term not in _PLAIN


def _sentiment_words(compound: float) -> str:
    if compound <= -0.6:
        return "strong negative"
    if compound < NEGATIVE_BELOW:
        return "negative"
    if compound >= 0.6:
        return "strong positive"
    return "positive" if compound > POSITIVE_ABOVE else "neutral"


def decide(
    ident: object,
    p: Prepared,
    compound: float,
    intent: str,
    runner_up: str,
    confidence: float,
    complaint_p: float,
    incident_p: float,
    language: str,
    topic: str,
    keyword: str,
    learned: Mapping[str, Prediction],
    departments: Mapping[str, str],
    cues: Cues,
) -> Decision:
    """One message's decision from its scores; ``learned``: the organisation's predictions."""
    if not p.tokens:
        return Decision(
            ident, "other", False, False, 0.0, "neutral", "und", "low", "other", "",
            0.0, "no text to classify",
        )  # fmt: skip
    danger = not DANGER.isdisjoint(p.tokens)
    # People in danger tip a doubtful case: a missed emergency costs more than a false alarm.
    incident = (
        incident_p >= INCIDENT_THRESHOLD
        or (danger and incident_p >= DANGER_INCIDENT_THRESHOLD)
        or (intent == "incident report" and confidence >= 0.6)
    )
    if incident and intent == "other":
        intent, confidence = "incident report", incident_p
    elif intent == "incident report" and not incident:
        # News-like text the incident classifier does not believe: say what else it is.
        intent = runner_up
    q = min(max(complaint_p, 1e-6), 1 - 1e-6)
    z = (
        COMPLAINT_MODEL_WEIGHT * math.log(q / (1 - q))
        + COMPLAINT_SENTIMENT_WEIGHT * compound
        + COMPLAINT_BIAS
    )
    complaint = z >= COMPLAINT_THRESHOLD or intent == "complaint"
    if intent in ("praise", "spam") and complaint_p < 0.8:
        complaint = False
    elif intent in ("question", "request") and compound > -0.3 and complaint_p < 0.5:
        complaint = False  # asking, calmly, is not complaining
    if intent == "other":
        # "Other" is what is left once nothing fits; a complaint or a plain question fits.
        if complaint:
            intent = "complaint"
        elif p.questions:
            intent = "question"

    overridden: list[str] = []

    def override(field: str, current: str) -> str:
        pred = learned.get(field)
        if pred is not None and pred.probability >= ORG_CONFIDENCE and pred.label != current:
            overridden.append(field)
            return pred.label
        return current

    if learned:
        intent = override("intent", intent)
        if "intent" in overridden:
            confidence = learned["intent"].probability
        complaint = override("complaint", "true" if complaint else "false") == "true"
        incident = override("incident", "true" if incident else "false") == "true"
        topic = override("topic", topic)

    if compound < NEGATIVE_BELOW:
        label = "negative"
    elif compound > POSITIVE_ABOVE or intent == "praise":
        label = "positive"
    else:
        label = "neutral"
    if learned:
        label = override("sentiment_label", label)

    tokens = p.tokens
    if incident and danger:
        urgency = "critical"
    elif (
        incident
        # A danger word said with dismay ("someone fainted") is urgent even when the incident
        # model hesitates; said cheerfully ("you killed it!") it is not.
        or (danger and (incident_p >= 0.3 or compound < NEGATIVE_BELOW))
        or (complaint and (compound <= -0.6 or not URGENT.isdisjoint(tokens)))
    ):
        urgency = "high"
    elif intent in ("praise", "spam", "other") and not complaint:
        urgency = "low"
    else:
        urgency = "normal"
    if learned:
        urgency = override("urgency", urgency)

    department_pred = learned.get("department")
    if department_pred is not None:
        department = department_pred.label
    else:
        department = departments.get(topic, "")

    # The sentence: what tipped it, and how it feels.
    head, klass = ("incident", "1") if incident else ("intent", intent)
    words = cues.top(head, klass, tokens)
    if not words and incident:
        words = cues.top("intent", intent, tokens)
    if keyword and keyword not in words and len(words) < 2:
        words.append(keyword)
    quoted = " and ".join(f"'{w}'" for w in words)
    reason = f"{intent}{' and incident' if incident and intent != 'incident report' else ''}: "
    reason += f"mentions {quoted} with " if quoted else ""
    reason += f"{_sentiment_words(compound)} sentiment"
    if p.questions and intent == "question":
        reason += ", asks a question"
    if overridden or department_pred is not None:
        learned_fields = [*overridden, *(["department"] if department_pred else [])]
        reason += f"; {', '.join(learned_fields)} learned from your team's corrections"
    if p.truncated:
        reason += " (long text: only its beginning was read)"
    sentiment = round(compound, 3)
    if label == "negative" and sentiment >= 0:
        sentiment = -0.05
    elif label == "positive" and sentiment <= 0:
        sentiment = 0.05
    return Decision(
        ident, intent, complaint, incident, sentiment, label, language, urgency, topic,
        department, round(min(max(confidence, 0.0), 1.0), 3), reason,
    )  # fmt: skip
