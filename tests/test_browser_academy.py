"""The academy in a real browser: a trainee takes a lesson and its quiz; the course moves on."""

from __future__ import annotations

import pytest

from cluetrain.academy import demo
from cluetrain.academy.models import LessonCompletion, QuizAttempt
from cluetrain.organizations.models import Organization, Person

# The live server, the demo and Chromium come from the shell's browser tests.
from tests.test_browser import ARTIFACTS, page, served, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

TOM = "tom@acme-rail.example"


def test_a_trainee_takes_a_lesson_and_its_quiz_and_the_course_shows_progress(
    page: object,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    organization = Organization.objects.get(slug="acme-rail")
    people = {
        p.email.split("@")[0]: p
        for p in Person.objects.filter(email__endswith="@acme-rail.example")
    }
    demo.load(organization, people)
    tom = people["tom"]
    sign_in(page, TOM)
    page.wait_for_url("**/")  # type: ignore[attr-defined]
    # The home page says what is due.
    expect(page.get_by_role("heading", name="Lessons due")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Academy").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Speak for yourself: first steps").click()  # type: ignore[attr-defined]
    expect(page.locator(".course-progress")).to_contain_text("2 of 3 lessons done")  # type: ignore[attr-defined]

    page.get_by_role("link", name="Your first post").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="A simple recipe")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Mark done and take the quiz").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/quiz/")  # type: ignore[attr-defined]
    page.get_by_label("One specific, true thing, in your own words.").check()  # type: ignore[attr-defined]
    page.get_by_label("The post goes out and the finding is ignored.").check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Check my answers").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Your score: 50 %")).to_be_visible()  # type: ignore[attr-defined]
    # Every answer is explained, the wrong pick included.
    expect(page.get_by_text("Findings are never silently ignored")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("Specific and personal beats general and polished")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Try again").click()  # type: ignore[attr-defined]
    page.get_by_label("One specific, true thing, in your own words.").check()  # type: ignore[attr-defined]
    page.get_by_label("A mentor reviews the post before it goes out.").check()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Check my answers").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Your score: 100 %")).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "academy-quiz.png"), full_page=True)  # type: ignore[attr-defined]

    page.get_by_role("link", name="Back to the course").click()  # type: ignore[attr-defined]
    progress = page.locator(".course-progress")  # type: ignore[attr-defined]
    expect(progress).to_contain_text("3 of 3 lessons done, 2 of 3 quizzes passed")
    page.screenshot(path=str(ARTIFACTS / "academy-course.png"), full_page=True)  # type: ignore[attr-defined]
    page.get_by_role("link", name="My level and evidence").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Autonomy level: Supervised")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("Academy modules finished")).to_be_visible()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "academy-person.png"), full_page=True)  # type: ignore[attr-defined]
    assert LessonCompletion.objects.filter(person=tom).count() == 3
    assert list(
        QuizAttempt.objects.filter(person=tom, lesson__slug="first-post")
        .order_by("created_at")
        .values_list("score", flat=True)
    ) == [50, 100]
