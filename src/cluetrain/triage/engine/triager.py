"""The triage of a batch of messages: what each is, how it feels, how urgent, for whom.

``Triager.classify`` takes a batch of texts and returns one ``Decision`` per text, in
order. It prepares every text once, scores sentiment with the lexicon scorer, runs every
shipped classifier (intent, complaint, incident) with one sparse matrix product for the
whole batch, lets an organisation's own model override the fields it learned, and turns
the lot into decisions with a sentence a person can read. It never raises on a text: an
empty, giant, binary-looking or hostile one gets a plain decision.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from cluetrain.triage.engine import rules
from cluetrain.triage.engine.decision import Decision
from cluetrain.triage.engine.features import terms
from cluetrain.triage.engine.language import guess_languages
from cluetrain.triage.engine.linear import LinearModel
from cluetrain.triage.engine.orgmodel import OrgModel, Prediction
from cluetrain.triage.engine.sentiment import SentimentScorer, shared_scorer
from cluetrain.triage.engine.text import prepare
from cluetrain.triage.engine.topics import Topic, TopicMatcher, topic_departments

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "shipped" / "triage_model.npz"


_shipped: LinearModel | None = None
_shipped_lock = threading.Lock()


def shipped_model(path: Path = SHIPPED_MODEL) -> LinearModel:
    """The shipped classifiers, loaded once per process."""
    global _shipped
    if path != SHIPPED_MODEL:
        return LinearModel.from_bytes(path.read_bytes())
    if _shipped is None:
        with _shipped_lock:
            if _shipped is None:
                _shipped = LinearModel.from_bytes(path.read_bytes())
    return _shipped


_NOTHING: dict[str, Prediction] = {}


class Triager:
    """Classifies batches of messages; cheap to build once the shipped models are loaded.

    ``org_model``: an organisation's ``OrgModel`` (its fields override the shipped ones when
    confident, and it alone gives departments); ``org_topics``: the organisation's topics,
    tried before the default ones; ``departments``: topic → department, used when no model
    gives a department.
    """

    def __init__(
        self,
        org_model: OrgModel | None = None,
        org_topics: Iterable[Topic] = (),
        departments: Mapping[str, str] | None = None,
        *,
        model: LinearModel | None = None,
        scorer: SentimentScorer | None = None,
    ) -> None:
        self.model = model or shipped_model()
        self.scorer = scorer or shared_scorer()
        self.org_model = org_model
        self.topics = TopicMatcher(tuple(org_topics))
        self.departments = topic_departments(departments)
        self.cues = rules.Cues.for_model(self.model)

    def classify(
        self, texts: Sequence[object], ids: Sequence[object] | None = None
    ) -> list[Decision]:
        """One decision per text, in order. Texts that are not strings count as empty."""
        if not texts:
            return []
        ids = list(ids) if ids is not None else [None] * len(texts)
        scorer = self.scorer
        prepared = [prepare(t) for t in texts]
        compounds = [scorer.compound(p, scorer.valences(p)) for p in prepared]
        term_lists = [terms(p, c) for p, c in zip(prepared, compounds, strict=True)]
        probs = self.model.probabilities(term_lists)
        intent_classes = self.model.heads["intent"].classes
        ranked = np.argsort(-probs["intent"], axis=1)[:, :2]
        intents = [intent_classes[k] for k in ranked[:, 0].tolist()]
        runners_up = [intent_classes[k] for k in ranked[:, 1].tolist()]
        confidences = probs["intent"].max(axis=1).tolist()
        complaint_p = probs["complaint"][:, 1].tolist()
        incident_p = probs["incident"][:, 1].tolist()
        org: dict[str, list[Prediction]] = (
            self.org_model.predict(term_lists) if self.org_model else {}
        )
        languages = guess_languages(prepared)
        match, departments, cues = self.topics.match, self.departments, self.cues
        out: list[Decision] = []
        for i, p in enumerate(prepared):
            topic, keyword = match(p, term_lists[i])
            out.append(
                rules.decide(
                    ids[i],
                    p,
                    compounds[i],
                    intents[i],
                    runners_up[i],
                    confidences[i],
                    complaint_p[i],
                    incident_p[i],
                    languages[i],
                    topic,
                    keyword,
                    {f: preds[i] for f, preds in org.items()} if org else _NOTHING,
                    departments,
                    cues,
                )
            )
        return out

    def classify_one(self, text: object) -> Decision:
        return self.classify([text])[0]
