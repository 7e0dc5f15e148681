"""Script in people's words stays words: XSS payloads in every field that reaches a page.

The demo's rows get payloads (tags, event handlers, javascript: links, SVG, broken markup,
odd Unicode) in names, posts, messages and their authors, guideline rules, lessons, facts,
campaigns, tags, notes...; the pages are read as HTML (nothing comes out unescaped), then
opened in Chromium: no dialog opens, no injected element exists, no CSP violation is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from cluetrain.core.demo import DEMO_PASSWORD
from cluetrain.organizations.models import Person
from tests.test_browser import page, served  # noqa: F401 - the browser fixtures

pytestmark = pytest.mark.browser

DIRECTOR = "dana@acme-rail.example"
PAYLOAD = (
    "<script>alert(1)</script><img src=x onerror=alert(2) data-xss>"
    '<svg onload=alert(3) data-xss><a href="javascript:alert(4)" data-xss>x</a></svg>'
    '"\'><b data-xss>bold</b><!-- <p data-xss a="\u202e\u200b\u2028 [x](javascript:alert(5))'
)
SHORT = "<img src=x onerror=alert(2) data-xss>\u202e"
# Every field people or other networks fill in that the pages show.
FIELDS = [
    ("organizations.Organization", "name"),
    ("organizations.Person", "full_name"),
    ("organizations.Department", "name"),
    ("organizations.Membership", "title"),
    ("publishing.Post", "text"),
    ("publishing.Post", "title"),
    ("publishing.Post", "content_warning"),
    ("publishing.PostMedia", "alt_text"),
    ("listening.Message", "text"),
    ("listening.Author", "display_name"),
    ("listening.Author", "handle"),
    ("listening.Source", "name"),
    ("guidelines.GuidelineRule", "name"),
    ("guidelines.GuidelineRule", "explanation"),
    ("guidelines.GuidelineRule", "suggestion"),
    ("academy.Course", "title"),
    ("academy.Course", "summary"),
    ("academy.LessonVersion", "title"),
    ("academy.LessonVersion", "body"),
    ("academy.LessonVersion", "examples"),
    ("knowledge.Fact", "statement"),
    ("knowledge.FactVersion", "statement"),
    ("campaigns.Campaign", "name"),
    ("campaigns.Campaign", "description"),
    ("campaigns.Objective", "name"),
    ("inbox.Tag", "name"),
    ("inbox.Note", "body"),
    ("inbox.Conversation", "subject"),
    ("inbox.Question", "text"),
    ("crisis.Incident", "title"),
    ("crisis.Incident", "public_summary"),
    ("crisis.Alert", "headline"),
    ("crisis.StatusUpdate", "text"),
    ("voices.Voice", "name"),
    ("agencies.Agency", "name"),
    ("cohorts.Cohort", "name"),
]
# Each of these appears in a page only if the payload was not escaped (escaped, "<" is "&lt;").
UNESCAPED = re.compile(
    r"<img src=x onerror|<svg onload|<b data-xss|<p data-xss|<a href=\"javascript:|<script>alert",
    re.I,
)


def _poison() -> int:
    """Put a payload in every listed field of every demo row; how many fields were changed."""
    changed = 0
    for label, name in FIELDS:
        model = apps.get_model(label)
        field = model._meta.get_field(name)
        assert isinstance(field, models.CharField | models.TextField)
        limit = field.max_length or 10_000
        value = PAYLOAD if limit >= len(PAYLOAD) else SHORT[:limit]
        if model._meta.label == "organizations.Person":
            value = SHORT  # names stay short enough for every heading
        # A unique field gets the payload plus each row's own id.
        unique = field.unique or any(
            name in constraint.fields
            for constraint in model._meta.constraints
            if isinstance(constraint, models.UniqueConstraint)
        )
        rows = list(model._default_manager.values_list("pk", flat=True)[:300])
        for pk in rows if unique else []:
            model._default_manager.filter(pk=pk).update(**{name: f"{value[: limit - 12]}{pk}"})
        if not unique:
            model._default_manager.filter(pk__in=rows).update(**{name: value})
        changed += 1
    return changed


def _crawl(client: Client, limit: int = 150) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        html = response.content.decode()
        yield url, html
        for link in re.findall(r'href="(/[^"#]*)"', html):
            link = link.replace("&amp;", "&")
            if not link.startswith(("/accounts/logout", "/admin/", "/static/", "/media/")):
                queue.append(link)


CSP_LISTENER = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_payloads_in_every_field_stay_text_in_the_pages_and_in_chromium(page: Any) -> None:  # noqa: F811
    assert _poison() >= 25
    client = Client()
    client.force_login(Person.objects.get(email=DIRECTOR))
    pages = []
    for url, html in _crawl(client):
        found = UNESCAPED.search(html)
        assert found is None, (url, html[max(0, found.start() - 200) : found.end() + 100])
        pages.append(url)
    assert len(pages) > 40
    # The browser: the main pages, and the first detail pages the crawl met.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(CSP_LISTENER)
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(DIRECTOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    for url in [*pages[:30], "/settings/audit/"]:
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.locator("[data-xss]").count() == 0, url
        assert page.evaluate("window.__violations") == [], url
    assert dialogs == []


def test_the_api_docs_work_under_the_content_security_policy(page: Any) -> None:  # noqa: F811
    page.add_init_script(CSP_LISTENER)
    page.goto("/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Cluetrain API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.evaluate("window.__violations") == []
