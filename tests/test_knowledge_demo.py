"""The Acme Rail demo's facts: loading twice adds nothing."""

from __future__ import annotations

from cluetrain.core.demo import load_demo
from cluetrain.inbox.models import Question
from cluetrain.knowledge import demo, services
from cluetrain.knowledge.models import Citation, Fact, FactVersion
from cluetrain.organizations.models import Person


def _counts() -> tuple[int, int, int, int]:
    return (
        Fact.objects.count(),
        FactVersion.objects.count(),
        Question.objects.count(),
        Citation.objects.count(),
    )


def test_the_demo_facts_load_once(db: None) -> None:
    organization = load_demo()
    people = {
        p.full_name.split()[0].lower(): p
        for p in Person.objects.filter(memberships__organization=organization)
    }
    demo.load(organization, people)
    first = _counts()
    demo.load(organization, people)
    assert _counts() == first
    facts = Fact.objects.filter(organization=organization)
    assert facts.count() == len(demo.FACTS) + 1
    today = services.today_in(organization)
    assert [f.statement[:11] for f in facts if services.is_stale(f, today)] == ["Delay Repay"]
    made = facts.get(question__text=demo.QUESTION)
    assert made.owner == people["miguel"]
    assert made.statement == demo.ANSWER
