"""Objectives, a campaign and the cost of the effort in a real browser, on the demo."""

from __future__ import annotations

import pytest

from cluetrain.campaigns import demo
from cluetrain.core.demo import PEOPLE
from cluetrain.organizations.models import Organization, Person

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

DANA = "dana@acme-rail.example"


def test_a_director_follows_goals_a_campaign_and_the_cost_per_outcome(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    organization = Organization.objects.get(slug="acme-rail")
    people = {spec.first.lower(): Person.objects.get(email=spec.email) for spec in PEOPLE}
    demo.load(organization, people)
    sign_in(page, DANA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto("/insights/campaigns/")  # type: ignore[attr-defined]
    goals = page.locator("ul.goal-list")  # type: ignore[attr-defined]
    expect(goals).to_contain_text("40 employees active monthly")
    expect(goals.locator("progress")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "campaigns-index.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="Autumn saver fares").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Plan and execution")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("main")).to_contain_text("Autumn saver fares are back")  # type: ignore[attr-defined]
    expect(page.locator("#campaign-chart")).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "campaigns-campaign.png"), full_page=True)  # type: ignore[attr-defined]

    page.goto("/insights/campaigns/cost/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="By month")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_role("link", name="CSV")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Rates and minutes").first.click()  # type: ignore[attr-defined]
    expect(page.locator("main")).to_contain_text("Director of social media")  # type: ignore[attr-defined]
