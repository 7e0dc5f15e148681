"""Insights in a real browser: the director opens the dashboard, every chart is drawn, she
switches the period and downloads a table as CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from cluetrain.insights.forms import today_in
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.voices.models import Voice

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.support.insights_history import conversation, post, refresh_rollups
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

DANA = "dana@acme-rail.example"

# For each chart on the page: whether Chart.js holds an instance for it, and how many of its
# pixels are painted (a blank canvas has none).
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((c) => {
  const canvas = c;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
  return { name: canvas.dataset.chart, chart: Boolean(Chart.getChart(canvas)), painted };
})"""


def _recent_history(organization: Organization) -> None:
    """A fortnight of posts and conversations, so every chart has something to draw."""
    now = timezone.now()
    voices = list(Voice.objects.filter(organization=organization).order_by("pk")[:2])
    people = list(Person.objects.filter(memberships__organization=organization).order_by("pk")[:3])
    department = Department.objects.filter(organization=organization).first()
    for n in range(12):
        at = now - timedelta(days=n, hours=n % 5)
        post(
            organization,
            voice=voices[n % len(voices)],
            author=people[n % len(people)],
            at=at,
            text=f"Timetable update {n}",
            reactions=(n + 2, n % 3, 1, 0),
        )
        conversation(
            organization,
            at=at - timedelta(hours=1),
            answered_after=5 + 7 * n,
            resolved_after=60 + 30 * n,
            by=people[n % len(people)],
            department=department,
            intent=("question", "complaint", "praise")[n % 3],
            sentiment_label=("negative", "neutral", "positive")[n % 3],
            topic=("delays", "fares", "wifi")[n % 3],
        )
    refresh_rollups()


def test_a_director_opens_insights_sees_the_charts_drawn_and_downloads_a_csv(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    _recent_history(Organization.objects.get(slug="acme-rail"))
    sign_in(page, DANA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/insights/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Engagement", exact=True)).to_be_visible()  # type: ignore[attr-defined]
    page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length > 0")  # type: ignore[attr-defined]
    drawn = page.evaluate(CHARTS_DRAWN)  # type: ignore[attr-defined]
    names = {chart["name"] for chart in drawn}
    assert {"chart-engagement", "chart-conversations", "chart-sentiment", "chart-heat"} <= names
    for chart in drawn:
        assert chart["chart"], chart
        assert chart["painted"] > 500, chart
    page.screenshot(path=str(ARTIFACTS / "insights-dashboard.png"), full_page=True)  # type: ignore[attr-defined]

    # Another period, chosen by keyboard-friendly list and button.
    page.get_by_label("Period", exact=True).select_option("7")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/insights/?*range=7*")  # type: ignore[attr-defined]
    expect(page.locator("#range-shown")).to_contain_text("(7 days)")  # type: ignore[attr-defined]
    again = page.evaluate(CHARTS_DRAWN)  # type: ignore[attr-defined]
    assert again
    assert all(chart["chart"] and chart["painted"] for chart in again)

    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.get_by_role("link", name="CSV: engagement by day").click()  # type: ignore[attr-defined]
    saved = Path(download.value.path())
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "day,posts,engagement"
    assert len(lines) == 1 + 7
    assert download.value.suggested_filename.startswith("acme-rail-engagement-")

    # Typed dates make a custom period.
    today = today_in("Europe/London")
    page.get_by_label("From", exact=True).fill((today - timedelta(days=2)).isoformat())  # type: ignore[attr-defined]
    page.get_by_label("To", exact=True).fill(today.isoformat())  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/insights/?*range=custom*")  # type: ignore[attr-defined]
    expect(page.locator("#range-shown")).to_contain_text("(3 days)")  # type: ignore[attr-defined]


def test_the_monthly_report_prints_from_the_browser(page: object) -> None:  # noqa: F811
    from playwright.sync_api import expect

    _recent_history(Organization.objects.get(slug="acme-rail"))
    sign_in(page, DANA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    month = timezone.now().strftime("%Y-%m")
    page.goto(f"/insights/report/{month}/")  # type: ignore[attr-defined]
    expect(page.get_by_role("button", name="Print / save as PDF")).to_be_visible()  # type: ignore[attr-defined]
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Print / save as PDF").click()  # type: ignore[attr-defined]
    assert page.evaluate("() => window.printed") == 1  # type: ignore[attr-defined]
    # Printed, the navigation is gone and the charts are still drawn.
    page.emulate_media(media="print")  # type: ignore[attr-defined]
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()  # type: ignore[attr-defined]
    drawn = page.evaluate(CHARTS_DRAWN)  # type: ignore[attr-defined]
    assert drawn
    assert all(chart["chart"] for chart in drawn)
    page.pdf(path=str(ARTIFACTS / "insights-report.pdf"), format="A4")  # type: ignore[attr-defined]
