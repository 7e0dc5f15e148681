"""Cluetrain's triage engine: plain Python, no Django, usable in any process.

from cluetrain.triage.engine import Triager, OrgModel, Topic

triager = Triager()                       # shipped models, loaded once per process
decisions = triager.classify(["my train is stuck and people are fainting"])
decisions[0].as_dict()                    # {"id", "intent", "complaint", "incident", ...}

org = OrgModel.train([("lost my bag at Heathrow", {"department": "baggage"}), ...])
Triager(org_model=org, org_topics=[Topic("oyster", ("oyster", "top up"))])
OrgModel.from_bytes(org.to_bytes())      # store it anywhere: .npz bytes, no pickle
"""

from __future__ import annotations

from cluetrain.triage.engine.decision import INTENTS, KEYS, URGENCIES, Decision
from cluetrain.triage.engine.orgmodel import FIELDS, OrgModel
from cluetrain.triage.engine.text import MAX_CHARS
from cluetrain.triage.engine.topics import DEFAULT_TOPICS, Topic
from cluetrain.triage.engine.triager import Triager

__all__ = [
    "DEFAULT_TOPICS",
    "FIELDS",
    "INTENTS",
    "KEYS",
    "MAX_CHARS",
    "URGENCIES",
    "Decision",
    "OrgModel",
    "Topic",
    "Triager",
]
