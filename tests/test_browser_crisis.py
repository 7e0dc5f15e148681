"""Crisis mode in a real browser: an alert arrives, operations declare, the marketing stops."""

from __future__ import annotations

import pytest

from cluetrain.crisis.models import Incident
from cluetrain.crisis.services import do_raise_alert
from cluetrain.organizations.models import Organization
from cluetrain.publishing.models import Delivery, PostStatus

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

OLU = "olu@acme-rail.example"
SAVER = "Autumn saver fares are back"


def test_operations_declare_an_incident_from_an_alert_and_see_the_paused_posts(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    organization = Organization.objects.get(slug="acme-rail")
    do_raise_alert(
        organization,
        kind="volume",
        headline="possible incident: 'delayed' +640 % in 10 minutes, 72 % negative",
        topic="delayed",
        evidence={"window": 600},
    )
    sign_in(page, OLU)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Crisis").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Alerts").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("'delayed' +640 % in 10 minutes")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Declare incident").first.click()  # type: ignore[attr-defined]
    title = page.get_by_label("Title")  # type: ignore[attr-defined]
    expect(title).to_have_value("possible incident: 'delayed' +640 % in 10 minutes, 72 % negative")
    title.fill("Delays on the coast line")
    page.get_by_label("Severity").select_option("critical")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Declare incident").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/crisis/incidents/*/")  # type: ignore[attr-defined]

    incident = Incident.objects.get(title="Delays on the coast line")
    expect(page.locator(f"#incident-banner-{incident.pk}")).to_be_visible()  # type: ignore[attr-defined]
    paused = page.locator("table.paused-posts")  # type: ignore[attr-defined]
    expect(paused).to_contain_text(SAVER)
    expect(page.locator("#timeline")).to_contain_text("declared")  # type: ignore[attr-defined]
    expect(page.locator("#timeline")).to_contain_text("'delayed' +640 %")  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "crisis-incident.png"), full_page=True)  # type: ignore[attr-defined]
    saver = Delivery.objects.get(post__text__startswith=SAVER)
    assert saver.status == PostStatus.PAUSED

    # The banner follows Olu everywhere while the incident is open.
    page.goto("/inbox/")  # type: ignore[attr-defined]
    expect(page.locator(f"#incident-banner-{incident.pk}")).to_be_visible()  # type: ignore[attr-defined]

    # One paused post resumed from the page: chosen by its box, one button.
    page.goto(f"/crisis/incidents/{incident.pk}/")  # type: ignore[attr-defined]
    row = paused.locator("tr", has_text=SAVER)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Resume").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("paused delivery: done.")).to_be_visible()  # type: ignore[attr-defined]
    saver.refresh_from_db()
    assert saver.status == PostStatus.SCHEDULED
