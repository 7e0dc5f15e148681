"""Facts in a real browser: found from the composer's cite panel, cited into the text box, and
a question to the peer group."""

from __future__ import annotations

import pytest

from cluetrain.knowledge import demo
from cluetrain.knowledge.models import Citation
from cluetrain.organizations.models import Organization, Person

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

SOFIA = "sofia@acme-rail.example"


def _demo_facts() -> None:
    organization = Organization.objects.get(slug="acme-rail")
    people = {
        p.full_name.split()[0].lower(): p
        for p in Person.objects.filter(memberships__organization=organization)
    }
    demo.load(organization, people)


def test_a_member_cites_a_fact_from_the_composer_with_the_keyboard(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    _demo_facts()
    sign_in(page, SOFIA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto("/publish/")  # type: ignore[attr-defined]
    page.locator("#id_text").fill("Cycling this weekend? ")  # type: ignore[attr-defined]
    summary = page.get_by_text("Cite a fact")  # type: ignore[attr-defined]
    summary.focus()
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    search = page.get_by_label("Search verified facts")  # type: ignore[attr-defined]
    search.fill("bikes reserv")
    cite = page.locator("#cite-results-composer").get_by_role("button", name="Cite")  # type: ignore[attr-defined]
    expect(cite).to_have_count(1)
    cite.focus()
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    expect(cite).to_have_text("Cited")
    text = page.locator("#id_text")  # type: ignore[attr-defined]
    expect(text).to_have_value(
        "Cycling this weekend? Full-size bikes need a free reservation on intercity trains "
        "(six spaces per train); folded bikes travel anywhere without one. "
        "(https://acmerail.example/cycling)"
    )
    page.screenshot(path=str(ARTIFACTS / "knowledge-cite.png"), full_page=True)  # type: ignore[attr-defined]
    citation = Citation.objects.get(person__email=SOFIA)
    assert citation.cited_in == "composer"


def test_a_member_asks_the_peer_group_and_sees_where_it_went(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    _demo_facts()
    sign_in(page, SOFIA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Facts").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("Review overdue").first).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Ask the peer group").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("Yes: up to two dogs per passenger")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Your question").fill("Can we say Delay Repay covers strikes?")  # type: ignore[attr-defined]
    page.get_by_label("Topic").fill("delay-repay")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Ask", exact=True).click()  # type: ignore[attr-defined]
    expect(page.get_by_text("Asked: it went to")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("Can we say Delay Repay covers strikes?")).to_be_visible()  # type: ignore[attr-defined]
