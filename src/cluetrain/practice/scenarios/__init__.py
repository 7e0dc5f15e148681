"""Scenarios: customer conversations the practice space replays to learners.

Two files ship: ``ibm_customer_care.yaml`` (real public conversations, made by ``build.py``)
and ``rail.yaml`` (written for a rail operator). Each scenario is a list of *steps*; a step is
the customer messages that arrive together, and the ``reference`` answer the brand gave,
shown to the learner once they have answered the step themselves.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FILES = ("rail.yaml", "ibm_customer_care.yaml")
MAX_MESSAGE = 1000  # bounds what a (possibly edited) file can put on a page


@dataclass(frozen=True)
class Step:
    messages: tuple[str, ...]
    reference: str = ""


@dataclass(frozen=True)
class Scenario:
    """One replayable conversation: who the customer is shown as, and its steps in order."""

    slug: str
    title: str
    source: str
    customer: str
    steps: tuple[Step, ...]

    @property
    def is_real(self) -> bool:
        """Replayed from a public conversation (rather than written for practice)."""
        return self.slug.startswith("ibm-")


def _steps(raw: list[dict[str, object]]) -> tuple[Step, ...]:
    steps = []
    for item in raw:
        messages = tuple(str(text)[:MAX_MESSAGE] for text in item.get("messages", []) or [])  # type: ignore[attr-defined]
        if messages:
            steps.append(Step(messages, str(item.get("reference", "") or "")[:MAX_MESSAGE]))
    return tuple(steps)


@functools.cache
def catalogue() -> dict[str, Scenario]:
    """Every shipped scenario by slug, the rail operator's first (read once per process)."""
    found: dict[str, Scenario] = {}
    for name in FILES:
        data = yaml.safe_load((HERE / name).read_text(encoding="utf-8")) or {}
        for raw in data.get("scenarios", []):
            steps = _steps(raw.get("steps", []))
            if not steps:
                continue
            scenario = Scenario(
                slug=str(raw["slug"]),
                title=str(raw.get("title", raw["slug"]))[:200],
                source=str(raw.get("source", ""))[:300],
                customer=str(raw.get("customer", "customer"))[:40],
                steps=steps,
            )
            found.setdefault(scenario.slug, scenario)
    return found


def get(slug: str) -> Scenario | None:
    return catalogue().get(slug)


def replayed(text: str, brand: str) -> str:
    """A scenario's text as the learner sees it: ``{brand}`` becomes the organisation's handle."""
    return text.replace("{brand}", brand)
