"""The demo in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluetrain.core.demo import DEMO_PASSWORD, load_demo
from tests.support.live import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def served(transactional_db: None) -> Iterator[str]:
    """The production stack (Waitress, WhiteNoise, collected static files) on a free port."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections
    from waitress.server import create_server

    # Server threads close their connections after each request, so none is left
    # open on the test database when it is flushed or dropped.
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    server = create_server(WSGIHandler(), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    server.close()
    # Let requests still running (a debounced htmx check, say) finish and close their
    # database connections before the test database is flushed or dropped.
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)  # type: ignore[union-attr]
    thread.join(timeout=5)


@pytest.fixture
def page(served: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    load_demo()
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # live server makes happen in its own thread, so this is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        context = browser.new_context(base_url=served, viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()
        # Playwright's sync API runs the test inside a greenlet, which gets its own
        # database connection: close it here or it outlives the test database.
        from django.db import connections

        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(page: object, email: str) -> None:
    page.goto("/accounts/login/")  # type: ignore[attr-defined]
    page.get_by_label("E-mail").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def test_the_director_signs_in_and_sees_the_dashboard(page: object) -> None:
    sign_in(page, "dana@acme-rail.example")
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    heading = page.get_by_role("heading", level=1)  # type: ignore[attr-defined]
    assert heading.inner_text() == "Acme Rail"
    assert page.get_by_text("The organisation's pulse").is_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)  # type: ignore[attr-defined]
    # Every area is one click away.
    for label in ["Publish", "Inbox", "Academy", "Crisis", "Insights", "People", "Settings"]:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()  # type: ignore[attr-defined]
        assert page.get_by_role("heading", level=1).inner_text()  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{label.lower()}.png"))  # type: ignore[attr-defined]


def test_a_member_publishes_to_the_practice_space(page: object) -> None:
    sign_in(page, "priya@acme-rail.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Publish").click()  # type: ignore[attr-defined]
    page.get_by_label("Text").fill("Testing the new depot lights today")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Publish").click()  # type: ignore[attr-defined]
    assert page.get_by_text("Published.").is_visible()  # type: ignore[attr-defined]


def test_the_keyboard_help_opens_with_a_question_mark(page: object) -> None:
    sign_in(page, "tom@acme-rail.example")
    from playwright.sync_api import expect

    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.wait_for_load_state("load")  # type: ignore[attr-defined]
    page.locator("h1").click()  # type: ignore[attr-defined]
    page.keyboard.press("?")  # type: ignore[attr-defined]
    expect(page.locator("#keyboard-help")).to_be_visible()  # type: ignore[attr-defined]
