"""The practice space in a real browser: a trainee answers a customer with the live guideline
check, and a mentor comments on words selected in the trainee's post."""

from __future__ import annotations

import pytest

from cluetrain.organizations.models import Membership, Organization
from cluetrain.practice import demo
from cluetrain.practice.models import InlineComment, Message, Thread

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

TOM = "tom@acme-rail.example"
MIGUEL = "miguel@acme-rail.example"


def _load_practice_demo() -> Organization:
    organization = Organization.objects.get(slug="acme-rail")
    memberships = Membership.objects.filter(organization=organization).select_related("person")
    demo.load(organization, {m.person.full_name.split()[0].lower(): m.person for m in memberships})
    return organization


def test_a_trainee_answers_a_customer_and_a_mentor_comments_on_selected_words(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    _load_practice_demo()
    sign_in(page, TOM)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto("/academy/practice/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Your practice feed")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Can I bring my bike on the new trains?").click()  # type: ignore[attr-defined]
    thread = Thread.objects.get(learner__email=TOM, scenario="rail-bike-reservation")
    card = page.locator(f"#thread-{thread.pk}")  # type: ignore[attr-defined]
    expect(card).to_contain_text("Do the new trains on the coast line take bikes?")
    reply = card.get_by_label("Reply as yourself")
    reply.press_sequentially("Yes! Write to me at tom.private@example.org", delay=5)
    # The live check marks the address as the composer would.
    expect(card.locator(".guideline-findings mark")).to_contain_text("tom.private@example.org")
    reply.fill("Yes: six bike spaces on every new train, free to book with your ticket.")
    card.get_by_role("button", name="Reply").click()
    card = page.locator(f"#thread-{thread.pk}")  # type: ignore[attr-defined]
    expect(card).to_contain_text("and if I turn up without a booking?")
    expect(card.get_by_text("How the company's agent answered")).to_be_visible()
    card.get_by_role("button", name="Ask for feedback").click()
    expect(page.get_by_text("Sent to your mentors for feedback.")).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "practice-feed.png"), full_page=True)  # type: ignore[attr-defined]

    # Miguel, a mentor, selects words in Tom's text and comments on them.
    page.context.clear_cookies()  # type: ignore[attr-defined]
    sign_in(page, MIGUEL)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    page.goto("/academy/practice/mentoring/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Feedback to give")).to_be_visible()  # type: ignore[attr-defined]
    tom_reply = Message.objects.get(thread=thread, author="learner")
    page.get_by_role("link", name="Tom").first.click()  # type: ignore[attr-defined]
    text = page.locator(f'[data-text-of="{tom_reply.pk}"]')  # type: ignore[attr-defined]
    words = "free to book"
    text.evaluate(
        """(element, words) => {
            const node = [...element.childNodes].find(
                n => n.nodeType === 3 && n.data.includes(words));
            const start = node.data.indexOf(words);
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            element.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }""",
        words,
    )
    form = page.locator(f'form[data-comment-for="{tom_reply.pk}"]')  # type: ignore[attr-defined]
    expect(form.get_by_label("Words to comment on")).to_have_value(words)
    form.get_by_label("Comment", exact=True).fill("Good: say when booking closes too.")
    form.get_by_role("button", name="Comment on these words").click()
    expect(text.locator("mark.inline-comment")).to_contain_text(words)
    comment = InlineComment.objects.get(message=tom_reply)
    assert tom_reply.text[comment.start : comment.end] == words
    page.screenshot(path=str(ARTIFACTS / "practice-mentor.png"), full_page=True)  # type: ignore[attr-defined]
