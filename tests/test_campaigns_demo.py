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


def test_the_command_line_shows_progress_and_cost(db: None) -> None:
    import io
    import json

    import pytest
    from django.core.management import CommandError, call_command

    organization = load_demo()
    people = {spec.first.lower(): Person.objects.get(email=spec.email) for spec in PEOPLE}
    demo.load(organization, people)
    out = io.StringIO()
    call_command("campaigns", "objectives", "--org", "acme-rail", "--json", stdout=out)
    names = {row["name"] for row in json.loads(out.getvalue())}
    assert "40 employees active monthly" in names
    out = io.StringIO()
    call_command(
        "campaigns",
        "cost",
        "--org",
        "acme-rail",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        stdout=out,
    )
    assert "Cost per published post" in out.getvalue()
    with pytest.raises(CommandError, match="ends before"):
        call_command(
            "campaigns", "cost", "--org", "acme-rail", "--from", "2026-02-01", "--to", "2026-01-01"
        )
    with pytest.raises(CommandError, match="not a date"):
        call_command("campaigns", "cost", "--org", "acme-rail", "--from", "soon", "--to", "x")
