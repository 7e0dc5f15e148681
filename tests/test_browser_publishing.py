"""The publishing screens in a real browser: live counts, publishing, the calendar's drag."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from cluetrain.organizations.models import Person
from cluetrain.publishing.dispatch import run_due
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Post, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.voices.models import Voice

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

PRIYA = "priya@acme-rail.example"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 80, 200)).save(out, "PNG")
    return out.getvalue()


LONDON = ZoneInfo("Europe/London")


def test_a_member_sees_the_count_as_she_types_and_publishes(page: object) -> None:  # noqa: F811
    from playwright.sync_api import expect

    sign_in(page, PRIYA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto("/publish/")  # type: ignore[attr-defined]
    text = page.get_by_label("Text")  # type: ignore[attr-defined]
    expect(text).to_be_focused()
    voice = Voice.objects.get(owner__email=PRIYA)
    counter = page.locator(f'.counter[data-voice="{voice.pk}"]')  # type: ignore[attr-defined]
    text.press_sequentially("New platform signs at Central")
    expect(counter).to_have_text(re.compile(r"^\s*29 / 500\s*$"))
    text.press_sequentially(" 👨‍👩‍👧‍👦")
    expect(counter).to_have_text(re.compile(r"^\s*31 / 500\s*$"))
    expect(page.locator(".preview-practice .preview-card")).to_contain_text(  # type: ignore[attr-defined]
        "New platform signs at Central"
    )

    # An image asks for its description before anything is sent.
    page.get_by_text("Images", exact=True).click()  # type: ignore[attr-defined]
    page.locator("#id_image_1").set_input_files(  # type: ignore[attr-defined]
        {"name": "signs.png", "mimeType": "image/png", "buffer": png()}
    )
    alt = page.locator("#id_alt_1")  # type: ignore[attr-defined]
    expect(alt).to_have_attribute("required", "")
    text.press("Control+Enter")
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    assert page.url.endswith("/publish/")  # type: ignore[attr-defined]
    assert alt.evaluate("element => element.matches(':invalid')")
    assert not Post.objects.filter(text__startswith="New platform signs").exists()
    alt.fill("Blue signs above platform 3")
    preview_image = page.locator("#composer-check .preview-image img")  # type: ignore[attr-defined]
    expect(preview_image).to_have_attribute("alt", "Blue signs above platform 3")
    page.screenshot(path=str(ARTIFACTS / "composer.png"), full_page=True)  # type: ignore[attr-defined]

    text.press("Control+Enter")  # the keyboard's way to send
    page.wait_for_url("**/publish/posts/*/")  # type: ignore[attr-defined]
    expect(page.get_by_text("On its way to be published.")).to_be_visible()  # type: ignore[attr-defined]
    post = Post.objects.get(text__startswith="New platform signs")
    assert post.status == PostStatus.SCHEDULED
    assert post.media.get().alt_text == "Blue signs above platform 3"

    assert run_due() >= 1
    page.reload()  # type: ignore[attr-defined]
    deliveries = page.locator("table.deliveries")  # type: ignore[attr-defined]
    expect(deliveries.locator(".status-badge")).to_have_text("Published")
    expect(deliveries.get_by_role("link", name="See it on Practice space")).to_be_visible()
    expect(page.locator(".history")).to_contain_text("published it")  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "post-published.png"), full_page=True)  # type: ignore[attr-defined]


def test_a_scheduled_post_is_dragged_to_another_day(page: object) -> None:  # noqa: F811
    from playwright.sync_api import expect

    priya = Person.objects.get(email=PRIYA)
    voice = Voice.objects.get(owner=priya)
    today = datetime.now(LONDON).date()
    source = today + timedelta(days=3)
    # Another day of the same month's grid, still in the future.
    target = source + timedelta(days=1)
    if target.month != source.month:
        target = source - timedelta(days=1)
    post = do_create_post(
        priya,
        voice.organization,
        Draft(text="Drag me to another day", voices=[voice]),
        Schedule(When.AT, datetime.combine(source, time(10, 15)), "Europe/London"),
    )

    sign_in(page, PRIYA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto(f"/publish/calendar/?view=month&date={source}")  # type: ignore[attr-defined]
    item = page.locator(f"#calendar-post-{post.pk}")  # type: ignore[attr-defined]
    expect(page.locator(f"#day-{source} #calendar-post-{post.pk}")).to_be_visible()  # type: ignore[attr-defined]
    item.drag_to(page.locator(f"#day-{target}"))  # type: ignore[attr-defined]
    moved = page.locator(f"#day-{target} #calendar-post-{post.pk}")  # type: ignore[attr-defined]
    expect(moved).to_be_visible()
    expect(page.locator(".calendar-said")).to_contain_text("Moved to")  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "calendar-moved.png"), full_page=True)  # type: ignore[attr-defined]

    post.refresh_from_db()
    assert post.scheduled_at is not None
    assert post.scheduled_at.astimezone(LONDON) == datetime.combine(target, time(10, 15), LONDON)
