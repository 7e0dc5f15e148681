"""The triage engine as an organisation sees it: the shipped models, plus the organisation's
own model retrained from its people's corrections, plus its own topics and their departments.

Built once per organisation and process, and rebuilt when the organisation's model gets a new
version or its topics change (both looked at every few seconds at most, never per message).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from cluetrain.triage import learning
from cluetrain.triage.engine import Decision, OrgModel, Topic, Triager
from cluetrain.triage.models import Topic as TopicRow

CHECK_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Classifier:
    """An organisation's triager and the name of what it runs (stored with each decision)."""

    triager: Triager
    version: str
    key: tuple[object, ...]
    checked: float

    def classify(self, texts: list[str]) -> list[Decision]:
        return self.triager.classify(texts)


_built: dict[int, Classifier] = {}
_lock = threading.Lock()


def _topics(organization_id: int) -> tuple[list[Topic], dict[str, str], tuple[object, ...]]:
    rows = list(
        TopicRow.objects.filter(organization_id=organization_id)
        .order_by("slug")
        .values_list("slug", "keywords", "department__slug")
    )
    topics = [
        Topic(slug, tuple(w.strip() for w in keywords.splitlines() if w.strip()))
        for slug, keywords, _ in rows
    ]
    departments = {slug: department for slug, _, department in rows if department}
    return topics, departments, tuple(rows)


def for_organization(organization_id: int) -> Classifier:
    """The organisation's classifier, rebuilt only when its model or topics changed."""
    now = time.monotonic()
    held = _built.get(organization_id)
    if held is not None and now - held.checked < CHECK_SECONDS:
        return held
    org_model: OrgModel | None = learning.model_for(organization_id)
    topics, departments, topic_key = _topics(organization_id)
    key = (id(org_model), topic_key)
    if held is not None and held.key == key:
        built = Classifier(held.triager, held.version, key, now)
    else:
        version = f"shipped+org({org_model.examples})" if org_model is not None else "shipped"
        triager = Triager(org_model=org_model, org_topics=topics, departments=departments)
        built = Classifier(triager, version, key, now)
    with _lock:
        _built[organization_id] = built
    return built


def forget(organization_id: int | None = None) -> None:
    """Drop built classifiers (tests; a topic saved in this process)."""
    with _lock:
        if organization_id is None:
            _built.clear()
        else:
            _built.pop(organization_id, None)
