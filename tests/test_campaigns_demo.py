"""The demo's objectives, campaign and rates: there once, however often it is loaded."""

from __future__ import annotations

from cluetrain.campaigns import demo, execution, progress
from cluetrain.campaigns.models import Campaign, CampaignPost, HourlyRate, Objective
from cluetrain.core.demo import PEOPLE, load_demo
from cluetrain.organizations.models import Person


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Objective, Campaign, CampaignPost, HourlyRate))


def test_the_demo_loads_once_and_its_pages_have_something_to_show(db: None) -> None:
    organization = load_demo()
    people = {spec.first.lower(): Person.objects.get(email=spec.email) for spec in PEOPLE}
    demo.load(organization, people)
    first = counts()
    demo.load(organization, people)
    assert counts() == first
    assert first == (2, 1, 1, 8)
    names = set(Objective.objects.filter(organization=organization).values_list("name", flat=True))
    assert names == {
        "First response under 30 minutes for 90 % of complaints",
        "40 employees active monthly",
    }
    campaign = Campaign.objects.get(organization=organization, name="Autumn saver fares")
    result = execution.execution(campaign)
    assert result.lines[0].post.text.startswith("Autumn saver fares are back")
    assert result.voices_planned == ["Acme Rail Marketing"]
    for objective in Objective.objects.filter(organization=organization):
        assert progress.progress(objective, rollups=False).status in {
            "on track",
            "at risk",
            "missed",
            "no data",
        }
