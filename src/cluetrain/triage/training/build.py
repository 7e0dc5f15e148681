"""Build the shipped triage model (``shipped/triage_model.npz``) from shippable data only.

    .venv/bin/python -m cluetrain.triage.training.build [--data ../shared/data]

What it learns from, and why each may ship:
- ``shipped/seed/*.jsonl``: examples written by Cluetrain's authors (the project's licence),
  one file per intent, with complaint and incident labels.
- CrisisLex T26 (MIT): tweets from 26 crises. "Related and informative" is an incident
  report; the other labels are not. They teach the incident head what a report of an
  emergency looks like in many places and several languages.
- IBM customer care (Apache-2.0): what customers write to brands. Their messages without
  outage words are examples of everyday customer messages that are *not* incidents.

Never from the airline, twcs or complaints files (non-commercial or unlicensed: tests and
benchmarks only). ``bench/triage_quality.py`` calls ``build_model`` with CrisisLex events
held out, to measure how the recipe does on crises it has not seen.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cluetrain.triage.engine.features import build_vocabulary, matrix, terms
from cluetrain.triage.engine.linear import LinearModel, fit_heads
from cluetrain.triage.engine.sentiment import shared_scorer
from cluetrain.triage.engine.text import prepare, words
from cluetrain.triage.engine.triager import SHIPPED_MODEL

SEED_DIR = SHIPPED_MODEL.parent / "seed"
DEFAULT_DATA = Path(__file__).resolve().parents[4].parent / "shared" / "data"
INFORMATIVE = "Related and informative"
# A customer message with one of these may well report an outage: not a safe "no".
_OUTAGE_WORDS = words(
    """down outage offline crash crashed crashing error errors broken emergency fire"""
)
# How much one example counts: the seeds are few and written for this task.
SEED_WEIGHT = 6.0
CRISIS_WEIGHT = 1.0
CUSTOMER_WEIGHT = 1.0
CRISIS_INTENT_SHARE = 0.05


@dataclass
class Example:
    text: str
    intent: str | None
    complaint: str | None
    incident: str | None
    weight: float
    source: str


def _flag(value: bool) -> str:
    return "1" if value else "0"


def load_seeds(directory: Path = SEED_DIR) -> list[Example]:
    out = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            out.append(
                Example(
                    row["text"],
                    row["intent"],
                    _flag(row["complaint"]),
                    _flag(row["incident"]),
                    SEED_WEIGHT,
                    "seed",
                )
            )
    return out


def read_crisislex(data: Path) -> list[dict[str, str]]:
    path = data / "crisislex" / "crisislex_t26_labeled.csv"
    with open(path, encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["Informativeness"] != "Not applicable"]


def load_crisislex(data: Path, exclude_events: Iterable[str] = ()) -> list[Example]:
    excluded = set(exclude_events)
    sample = random.Random(11)
    out = []
    for r in read_crisislex(data):
        if r["event"] in excluded:
            continue
        informative = r["Informativeness"] == INFORMATIVE
        # Intent: a report of the crisis, or talk around it; never a complaint. Only a
        # sample teaches intent and complaint, or crisis talk would drown the seeds there.
        if sample.random() < CRISIS_INTENT_SHARE:
            intent, complaint = ("incident report" if informative else "other"), "0"
        else:
            intent, complaint = None, None
        out.append(
            Example(r["Tweet Text"], intent, complaint, _flag(informative), CRISIS_WEIGHT, "crisis")
        )
    return out


def load_customer_messages(data: Path) -> list[Example]:
    path = data / "ibm_customer_care" / "ibm_cdp_turns.csv"
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["role"] != "customer":
                continue
            tokens = set(prepare(r["text"]).tokens)
            if tokens & _OUTAGE_WORDS:
                continue
            out.append(Example(r["text"], None, None, "0", CUSTOMER_WEIGHT, "customer"))
    return out


def build_model(examples: Sequence[Example], c: float = 2.0) -> LinearModel:
    scorer = shared_scorer()
    term_lists = []
    for e in examples:
        p = prepare(e.text)
        term_lists.append(terms(p, scorer.compound(p, scorer.valences(p))))
    vocabulary = build_vocabulary(term_lists, min_count=2)
    x = matrix(term_lists, vocabulary)
    weights = np.asarray([e.weight for e in examples], dtype=np.float64)
    labels = {
        "intent": [e.intent for e in examples],
        "complaint": [e.complaint for e in examples],
        "incident": [e.incident for e in examples],
    }
    heads, w, b = fit_heads(x, labels, sample_weight=weights, c=c)
    meta = {"kind": "shipped", "examples": len(examples)}
    return LinearModel(vocabulary, heads, w, b, meta)


def all_examples(data: Path, exclude_events: Iterable[str] = ()) -> list[Example]:
    examples = load_seeds() + load_crisislex(data, exclude_events) + load_customer_messages(data)
    random.Random(0).shuffle(examples)
    return examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    args = parser.parse_args(argv)
    examples = all_examples(args.data)
    model = build_model(examples)
    data = model.to_bytes()
    args.out.write_bytes(data)
    sources: dict[str, int] = {}
    for e in examples:
        sources[e.source] = sources.get(e.source, 0) + 1
    print(f"examples: {sources}")
    print(f"vocabulary: {len(model.vocabulary)}, heads: {list(model.heads)}")
    print(f"wrote {args.out} ({len(data) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
