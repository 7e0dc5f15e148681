"""Rotations in a real browser: the coordinator follows the cohort and places a member, who
then appears among the alumni."""

from __future__ import annotations

import pytest

from cluetrain.cohorts import demo
from cluetrain.cohorts.models import CohortMember, MemberStatus
from cluetrain.core.demo import PEOPLE
from cluetrain.organizations.models import Organization, Person

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

CARLA = "carla@acme-rail.example"


def test_the_coordinator_places_a_cohort_member_who_becomes_an_alumna(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    organization = Organization.objects.get(slug="acme-rail")
    demo.load(organization, {s.first.lower(): Person.objects.get(email=s.email) for s in PEOPLE})
    sign_in(page, CARLA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto("/academy/cohorts/")  # type: ignore[attr-defined]
    page.get_by_role("link", name=demo.CURRENT).click()  # type: ignore[attr-defined]
    members = page.locator("table", has_text="Shifts this week").first  # type: ignore[attr-defined]
    expect(members).to_contain_text("Tom Fischer")
    expect(members).to_contain_text("Priya Raman")  # Tom's mentor
    placements = page.locator("section", has_text="Placements")  # type: ignore[attr-defined]
    sofia = placements.locator("tr", has_text="Sofia Rossi")
    sofia.get_by_label("Department for Sofia Rossi").select_option(label="Engineering")
    sofia.get_by_label("From").fill("2020-01-01")  # refused: before the rotation started
    sofia.get_by_role("button", name="Place").click()
    expect(page.get_by_text("A placement comes after the rotation has started.")).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "cohort.png"), full_page=True)  # type: ignore[attr-defined]
    sofia = placements.locator("tr", has_text="Sofia Rossi")
    sofia.get_by_label("Department for Sofia Rossi").select_option(label="Engineering")
    sofia.get_by_label("From").press("Control+a")
    sofia.get_by_label("From").fill(
        CohortMember.objects.get(
            membership__person__email="sofia@acme-rail.example"
        ).cohort.starts_on.isoformat()
    )
    sofia.get_by_role("button", name="Place").press("Enter")
    expect(page.get_by_text("Sofia Rossi placed in Engineering.")).to_be_visible()  # type: ignore[attr-defined]
    placed = CohortMember.objects.get(membership__person__email="sofia@acme-rail.example")
    assert placed.status == MemberStatus.PLACED

    page.get_by_role("link", name="Alumni").first.click()  # type: ignore[attr-defined]
    alumni = page.locator("table", has_text="Placement")  # type: ignore[attr-defined]
    expect(alumni).to_contain_text("Sofia Rossi")
    expect(alumni.locator("tr", has_text="Priya Raman")).to_contain_text("Offers to mentor")
    page.screenshot(path=str(ARTIFACTS / "cohort-alumni.png"), full_page=True)  # type: ignore[attr-defined]
