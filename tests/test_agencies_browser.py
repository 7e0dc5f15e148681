"""Agencies in a real browser: the director finds the hand-over plan from the Academy, reads
the self-sufficiency chart and its table, and sees what the agency did."""

from __future__ import annotations

import pytest

from cluetrain.agencies import demo
from cluetrain.organizations.models import Organization, Person

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_director_reads_the_hand_over_plan_and_the_self_sufficiency_chart(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    organization = Organization.objects.get(slug="acme-rail")
    people = {
        p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith="acme-rail.example")
    }
    demo.load(organization, people)
    sign_in(page, "dana@acme-rail.example")
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Academy").click()  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Academy").get_by_role("link", name="Agencies").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/academy/agencies/")  # type: ignore[attr-defined]
    expect(page.get_by_text("3 of 6 milestones done (50 %)")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_role("cell", name="Sofia Rossi")).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "agencies-index.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="Brightside Social").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("1 overdue")).to_be_visible()  # type: ignore[attr-defined]
    step = page.locator("li.milestone", has_text="crisis holding statements")  # type: ignore[attr-defined]
    step.get_by_role("button", name="Mark done").click()
    expect(step.get_by_role("button", name="Mark undone")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "agencies-plan.png"), full_page=True)  # type: ignore[attr-defined]

    page.goto("/academy/agencies/self-sufficiency/")  # type: ignore[attr-defined]
    canvas = page.locator("#sufficiency-chart")  # type: ignore[attr-defined]
    expect(canvas).to_be_visible()
    # Chart.js sized the canvas: it drew.
    page.wait_for_function("document.getElementById('sufficiency-chart').width > 0")  # type: ignore[attr-defined]
    expect(page.get_by_text("points over")).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "agencies-self-sufficiency.png"), full_page=True)  # type: ignore[attr-defined]

    page.goto("/academy/agencies/activity/")  # type: ignore[attr-defined]
    expect(page.get_by_text("Agency · Brightside Social").first).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("published a post").first).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "agencies-activity.png"), full_page=True)  # type: ignore[attr-defined]
