"""The inbox in a real browser: moving and acting by keyboard, and hostile text kept as text."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cluetrain.inbox.models import Conversation, Status
from cluetrain.organizations.models import Organization

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.support.inbox_ui import make_author, make_conversation
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

PRIYA = "priya@acme-rail.example"
HOSTILE_NAME = "<img src=x onerror=alert('name')>Mallory"
HOSTILE_TEXT = "<script>alert('text')</script> My bag <img src=y onerror=alert('img')> is lost"


def conversations() -> list[Conversation]:
    acme = Organization.objects.get(slug="acme-rail")
    now = timezone.now()
    hostile = make_author(acme, name=HOSTILE_NAME, handle="<b>mallory</b>")
    made = [
        make_conversation(
            acme, HOSTILE_TEXT, author=hostile, at=now - timedelta(minutes=1), urgency="high"
        ),
        make_conversation(
            acme,
            "Is the 8:15 to Harbour Street running today?",
            at=now - timedelta(minutes=2),
            intent="question",
            sentiment_label="neutral",
            urgency="normal",
        ),
        make_conversation(
            acme,
            "Thank you to the conductor on the 17:40, brilliant service",
            at=now - timedelta(minutes=3),
            intent="praise",
            sentiment_label="positive",
            urgency="low",
        ),
    ]
    return made


def test_the_inbox_is_worked_by_keyboard_and_shows_hostile_text_as_text(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    hostile, question, praise = conversations()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]

    sign_in(page, PRIYA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto("/inbox/")  # type: ignore[attr-defined]
    page.wait_for_load_state("load")  # type: ignore[attr-defined]
    rows = page.locator("#inbox-rows .inbox-row")  # type: ignore[attr-defined]
    expect(rows.first).to_have_attribute("aria-selected", "true")
    first_id = rows.first.get_attribute("data-id")
    assert first_id == str(hostile.pk)

    # The hostile name and text are on the page as the literal characters.
    row = page.locator(f"#row-{hostile.pk}")  # type: ignore[attr-defined]
    expect(row.locator(".row-author")).to_have_text(HOSTILE_NAME)
    expect(row.locator(".row-snippet")).to_contain_text("<script>alert('text')</script>")

    page.locator("h1").click()  # type: ignore[attr-defined]
    page.keyboard.press("j")  # type: ignore[attr-defined]
    expect(page.locator(f"#row-{question.pk}")).to_have_attribute("aria-selected", "true")  # type: ignore[attr-defined]
    page.keyboard.press("j")  # type: ignore[attr-defined]
    expect(page.locator(f"#row-{praise.pk}")).to_have_attribute("aria-selected", "true")  # type: ignore[attr-defined]
    page.keyboard.press("k")  # type: ignore[attr-defined]
    page.keyboard.press("k")  # type: ignore[attr-defined]
    expect(row).to_have_attribute("aria-selected", "true")

    # Enter opens it in the pane, without a reload.
    marker = page.evaluate("() => (window.__stayed = 'yes')")  # type: ignore[attr-defined]
    assert marker == "yes"
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    pane = page.locator("#conversation-pane")  # type: ignore[attr-defined]
    expect(pane.locator(".conversation")).to_have_attribute("data-id", str(hostile.pk))
    expect(pane.locator(".author-name")).to_have_text(HOSTILE_NAME)
    expect(pane.locator(".message.theirs .message-text")).to_have_text(HOSTILE_TEXT)
    assert page.evaluate("() => window.__stayed") == "yes"  # type: ignore[attr-defined]
    assert f"c={hostile.pk}" in page.url  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)  # type: ignore[attr-defined]

    # r puts the cursor in the reply box; keys then type, they do not act.
    page.keyboard.press("r")  # type: ignore[attr-defined]
    reply = page.locator("#reply-text")  # type: ignore[attr-defined]
    expect(reply).to_be_focused()
    page.keyboard.type("ejk")  # type: ignore[attr-defined]
    expect(reply).to_have_value("ejk")
    hostile.refresh_from_db()
    assert hostile.status == Status.NEW
    page.keyboard.press("Escape")  # type: ignore[attr-defined]

    # e resolves it; the pane and its row say so.
    page.keyboard.press("e")  # type: ignore[attr-defined]
    expect(pane.locator(".said.success")).to_have_text("Marked resolved.")
    expect(row.locator(".row-status")).to_have_text("Resolved")
    hostile.refresh_from_db()
    assert hostile.status == Status.RESOLVED

    # ? lists every key.
    page.keyboard.press("?")  # type: ignore[attr-defined]
    help_dialog = page.locator("#inbox-help")  # type: ignore[attr-defined]
    expect(help_dialog).to_be_visible()
    for key in ["j", "k", "a", "c", "r", "e", "#", "s", "x", "/"]:
        expect(help_dialog.locator("kbd", has_text=key).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "inbox-help.png"))  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    expect(help_dialog).to_be_hidden()

    assert dialogs == []


def test_assigning_bulk_actions_and_a_reply_with_its_live_checks(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    from cluetrain.listening.models import Direction

    _hostile, question, praise = conversations()
    acme = Organization.objects.get(slug="acme-rail")
    customer = make_conversation(
        acme,
        "My refund never came. Call me on 020 7946 0958 please",
        at=timezone.now(),
    )
    sign_in(page, PRIYA)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto(f"/inbox/?c={customer.pk}")  # type: ignore[attr-defined]
    page.wait_for_load_state("load")  # type: ignore[attr-defined]
    pane = page.locator("#conversation-pane")  # type: ignore[attr-defined]
    expect(page.locator(f"#row-{customer.pk}")).to_have_attribute("aria-selected", "true")  # type: ignore[attr-defined]

    # a opens the picker; typing narrows it; Enter gives it to the first one shown.
    page.locator("h1").click()  # type: ignore[attr-defined]
    page.keyboard.press("a")  # type: ignore[attr-defined]
    picker = page.locator("#assign-filter")  # type: ignore[attr-defined]
    expect(picker).to_be_focused()
    picker.fill("miguel")
    picker.press("Enter")
    expect(pane.locator(".said.success")).to_contain_text("Given to Miguel")
    customer.refresh_from_db()
    assert customer.assignee is not None
    assert customer.assignee.email.startswith("miguel")

    # The reply box checks as one types: the customer's number repeated, a card number blocked.
    page.keyboard.press("r")  # type: ignore[attr-defined]
    reply = page.locator("#reply-text")  # type: ignore[attr-defined]
    expect(reply).to_be_focused()
    reply.press_sequentially("We will call 020-7946-0958 today")
    check = page.locator("#reply-check")  # type: ignore[attr-defined]
    expect(check.locator(".personal-data")).to_contain_text("phone number")
    expect(check.locator(".reply-count")).to_contain_text("/ 500")
    reply.fill("")
    reply.press_sequentially("Your card 4111 1111 1111 1111 was refunded")
    expect(check.locator(".guideline-verdict")).to_contain_text("Cannot be published")
    page.screenshot(path=str(ARTIFACTS / "inbox-reply-check.png"), full_page=True)  # type: ignore[attr-defined]

    reply.fill("So sorry! The refund went out this morning; it shows within 3 days.")
    pane.get_by_role("button", name="Send reply").click()
    expect(pane.locator(".said.success")).to_contain_text("Replied from")
    expect(pane.locator(".message.ours .message-text")).to_have_text(
        "So sorry! The refund went out this morning; it shows within 3 days."
    )
    customer.refresh_from_db()
    assert customer.status == Status.WAITING
    assert customer.messages.filter(direction=Direction.OUTBOUND).count() == 1

    # A note suggests colleagues as one types @ and a few letters.
    page.keyboard.press("n")  # type: ignore[attr-defined]
    note = page.locator("#note-body")  # type: ignore[attr-defined]
    expect(note).to_be_focused()
    note.press_sequentially("Refund approved, thanks @mig")
    suggestion = pane.locator(".mention-suggestions button").first
    expect(suggestion).to_contain_text("Miguel")
    suggestion.click()
    expect(note).to_have_value(re.compile(r"thanks @miguel "))
    pane.get_by_role("button", name="Add note").click()
    expect(pane.locator(".said.success")).to_contain_text("told Miguel")

    # x selects rows for a bulk action.
    page.locator("h1").click()  # type: ignore[attr-defined]
    page.locator(f"#row-{question.pk} .row-link").click()  # type: ignore[attr-defined]
    expect(pane.locator(".conversation")).to_have_attribute("data-id", str(question.pk))
    page.locator("h1").click()  # type: ignore[attr-defined]
    page.keyboard.press("x")  # type: ignore[attr-defined]
    page.keyboard.press("j")  # type: ignore[attr-defined]
    page.keyboard.press("x")  # type: ignore[attr-defined]
    expect(page.locator("#bulk-count")).to_have_text("2 selected")  # type: ignore[attr-defined]
    page.locator("#bulk-form").get_by_role("button", name="Apply").click()  # type: ignore[attr-defined]
    expect(page.locator("#bulk-said")).to_have_text("2 conversations changed.")  # type: ignore[attr-defined]
    resolved = Conversation.objects.filter(pk__in=[question.pk, praise.pk], status=Status.RESOLVED)
    assert resolved.count() == 2
