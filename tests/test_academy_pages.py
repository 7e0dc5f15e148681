"""The academy's pages: my path, lessons, quizzes, authoring, progress; who sees what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cluetrain.academy.assignments import do_assign
from cluetrain.academy.authoring import LessonText, do_create_lesson
from cluetrain.academy.curriculum import do_install_curriculum
from cluetrain.academy.learners import do_complete_lesson
from cluetrain.academy.models import Course, Lesson, LessonVersion, QuizAttempt
from cluetrain.organizations.models import Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from tests.conftest import Cast
from tests.support.academy import current, first_lesson, make_course


def _lesson_url(lesson: Lesson, name: str = "academy:lesson") -> str:
    return reverse(name, args=[lesson.course.slug, lesson.slug])


def test_my_path_shows_assigned_courses_first_with_their_due_date(cast: Cast) -> None:
    make_course(cast.coordinator, cast.acme, title="Optional extras")
    course = make_course(cast.coordinator, cast.acme, title="Speak for yourself")
    do_assign(
        cast.coordinator, course, (timezone.now() + timedelta(days=3)).date(), person=cast.trainee
    )
    page = cast.client(cast.trainee).get(reverse("academy:index")).content.decode()
    assert page.index("Speak for yourself") < page.index("Optional extras")
    assert "Due " in page
    assert reverse("practice:index") in page


def test_a_lesson_page_shows_the_lesson_and_marking_it_done_leads_to_the_quiz(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    client = cast.client(cast.trainee)
    page = client.get(_lesson_url(lesson)).content.decode()
    assert "<h2>Part 1</h2>" in page
    assert "Mark done and take the quiz" in page
    response = client.post(_lesson_url(lesson, "academy:complete"))
    assert response.status_code == 302
    assert response["Location"] == _lesson_url(lesson, "academy:quiz")


def test_the_quiz_page_shows_every_explanation_and_the_score(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    do_complete_lesson(cast.trainee, lesson)
    client = cast.client(cast.trainee)
    form = client.get(_lesson_url(lesson, "academy:quiz")).content.decode()
    assert 'type="radio" name="q0"' in form
    assert 'type="checkbox" name="q1"' in form
    page = client.post(_lesson_url(lesson, "academy:quiz"), {"q0": "0", "q1": ["0", "3"]})
    text = page.content.decode()
    assert "Your score: 50 %" in text
    assert "Because the company&#x27;s press office is wrong." in text
    assert (
        'You chose: A guess about the cause</strong> <span class="chip wrong">wrong answer' in text
    )
    assert QuizAttempt.objects.get(person=cast.trainee).score == 50


def test_hostile_markdown_is_rendered_harmless(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme, lessons=0)
    lesson = do_create_lesson(
        cast.coordinator,
        course,
        LessonText(
            title="<b>Bold</b> title",
            body="Hi <script>alert(1)</script>\n\n[click](javascript:alert(2)) "
            '<img src=x onerror="alert(3)">\n\n[ok](https://example.com)',
            examples="<iframe src='https://evil.example'></iframe>",
        ),
    )
    page = cast.client(cast.trainee).get(_lesson_url(lesson)).content.decode()
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    assert "<img" not in page
    assert "<iframe" not in page
    assert 'href="https://example.com"' in page
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in page


def test_the_markdown_preview_is_sanitised_and_for_authors_only(cast: Cast) -> None:
    url = reverse("academy:preview")
    body = {"body": "# Heading\n\n<script>x()</script> [a](javascript:x)"}
    shown = cast.client(cast.mentor).post(url, body).content.decode()
    assert "<h2>Heading</h2>" in shown
    assert "<script>" not in shown
    assert 'href="javascript:' not in shown
    assert cast.client(cast.trainee).post(url, body).status_code == 403


@pytest.mark.parametrize("name", ["academy:write", "academy:new_course", "academy:learners"])
def test_a_trainee_cannot_open_the_authoring_and_coordinator_pages(cast: Cast, name: str) -> None:
    assert cast.client(cast.trainee).get(reverse(name)).status_code == 403
    assert cast.client(cast.coordinator).get(reverse(name)).status_code == 200


def test_a_trainee_cannot_edit_a_lesson_through_the_page(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    url = _lesson_url(lesson, "academy:edit_lesson")
    data = {"title": "Mine", "minutes": 5, "body": "Taken over", "exercise_kind": "reflect"}
    assert cast.client(cast.trainee).post(url, data).status_code == 403
    assert LessonVersion.objects.filter(lesson=lesson).count() == 1


def test_a_mentor_edits_a_lesson_in_the_page_and_the_history_shows_what_changed(
    cast: Cast,
) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    client = cast.client(cast.mentor)
    data = {
        "title": "Lesson 1",
        "minutes": 6,
        "body": "## Part 1\n\nSay your name first.",
        "exercise_kind": "reflect",
        "note": "Name first",
    }
    assert client.post(_lesson_url(lesson, "academy:edit_lesson"), data).status_code == 302
    history = client.get(_lesson_url(lesson, "academy:history")).content.decode()
    assert "Name first" in history
    assert "Say your name first." in history
    assert "Say who you are." in history


def test_an_oversized_lesson_is_refused_with_a_clear_message(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    data = {"title": "Lesson 1", "minutes": 6, "body": "x" * 20_001, "exercise_kind": "reflect"}
    response = cast.client(cast.coordinator).post(_lesson_url(lesson, "academy:edit_lesson"), data)
    assert response.status_code == 200
    assert "at most 20000 characters" in response.content.decode()
    data = {"title": "Lesson 1", "minutes": 60, "body": "ok", "exercise_kind": "reflect"}
    response = cast.client(cast.coordinator).post(_lesson_url(lesson, "academy:edit_lesson"), data)
    assert "less than or equal to 15" in response.content.decode()


def test_a_coordinator_writes_a_question_with_explanations_in_the_page(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1, quiz=False))
    data = {
        "prompt": "Who may post from your account?",
        "choice_0": "Only you",
        "correct_0": "on",
        "explanation_0": "Personal voices are their owner's alone.",
        "choice_1": "An administrator",
        "explanation_1": "Not even an administrator.",
    }
    url = _lesson_url(lesson, "academy:new_question")
    assert cast.client(cast.coordinator).post(url, data).status_code == 302
    lesson.refresh_from_db()
    assert current(lesson).questions[0]["choices"][1]["correct"] is False
    del data["explanation_1"]
    page = cast.client(cast.coordinator).post(url, data).content.decode()
    assert "Explain the answer" in page


def test_an_outsider_sees_nothing_of_another_organisations_academy(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=1))
    client = cast.client(cast.outsider)
    assert client.get(_lesson_url(lesson)).status_code == 404
    assert client.get(reverse("academy:course", args=[lesson.course.slug])).status_code == 404
    assert client.get(reverse("academy:person", args=[cast.trainee.pk])).status_code == 404
    assert "Speak for yourself" not in client.get(reverse("academy:index")).content.decode()


def test_progress_is_seen_by_the_person_and_by_mentors_not_by_peers(cast: Cast) -> None:
    url = reverse("academy:person", args=[cast.trainee.pk])
    assert cast.client(cast.trainee).get(url).status_code == 200
    assert cast.client(cast.mentor).get(url).status_code == 200
    assert cast.client(cast.coordinator).get(url).status_code == 200
    assert cast.client(cast.member).get(url).status_code == 403


def test_the_progress_page_shows_courses_quiz_scores_level_and_evidence(cast: Cast) -> None:
    lesson = first_lesson(make_course(cast.coordinator, cast.acme, lessons=2))
    do_complete_lesson(cast.trainee, lesson)
    cast.client(cast.trainee).post(
        _lesson_url(lesson, "academy:quiz"), {"q0": "0", "q1": ["0", "1"]}
    )
    page = cast.client(cast.mentor).get(reverse("academy:person", args=[cast.trainee.pk]))
    text = page.content.decode()
    assert "Autonomy level: Supervised" in text
    assert "1 of 2" in text
    assert "100&nbsp;%" in text
    assert "Academy modules finished" in text


def test_the_learners_table_is_filtered_and_its_queries_do_not_grow_with_people(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    do_install_curriculum(None, cast.acme)
    for n in range(12):
        person = Person.objects.create_user(f"learner{n}@example.com", "x" * 12, full_name=f"L {n}")
        do_add_member(cast.acme, person, [Role.TRAINEE], departments=[cast.care] if n % 2 else [])
        do_complete_lesson(person, Lesson.objects.filter(course__organization=cast.acme)[0])
    client = cast.client(cast.coordinator)
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        page = client.get(reverse("academy:learners"))
    assert page.content.decode().count('href="/academy/people/') >= 12
    narrowed = client.get(
        reverse("academy:learners"), {"department": cast.care.slug, "role": "trainee"}
    )
    text = narrowed.content.decode()
    assert "L 1<" in text
    assert "L 2<" not in text
    assert "Mona Mentor" not in text


def test_the_live_exercise_answers_htmx_with_the_guideline_findings(cast: Cast) -> None:
    do_install_curriculum(None, cast.acme)
    lesson = Lesson.objects.select_related("course").get(
        course__organization=cast.acme, source_key="live-exercise"
    )
    client = cast.client(cast.trainee)
    page = client.get(_lesson_url(lesson)).content.decode()
    assert "Your draft must mention: <strong>refund</strong>" in page
    url = _lesson_url(lesson, "academy:exercise")
    bad = client.post(url, {"text": "We will refund card 4111 1111 1111 1111 now, sorry."})
    assert "Cannot be published" in bad.content.decode()
    good = client.post(url, {"text": "So sorry! Send us a private message and we will refund you."})
    assert "Exercise passed" in good.content.decode()
    long = client.post(url, {"text": "x" * 5000})
    assert "at most 2,000" in long.content.decode()


def test_the_installed_curriculum_lesson_lists_the_rules_in_effect(cast: Cast) -> None:
    do_install_curriculum(None, cast.acme)
    lesson = Lesson.objects.select_related("course").get(
        course__organization=cast.acme, source_key="never-in-public"
    )
    page = cast.client(cast.trainee).get(_lesson_url(lesson)).content.decode()
    assert "payment card" in page
    assert "{{ guidelines" not in page
    assert Course.objects.filter(organization=cast.acme).count() == 5


def test_mentors_see_reviews_to_give_and_learners_to_follow_in_bounded_queries(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    make_course(cast.coordinator, cast.acme)
    client = cast.client(cast.mentor)
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        page = client.get(reverse("academy:index")).content.decode()
    assert "For mentors" in page
    assert "reviews to give" in page or "review to give" in page
    assert "Tess Trainee" in page
    assert (
        "For mentors"
        not in cast.client(cast.trainee).get(reverse("academy:index")).content.decode()
    )


def test_the_admin_lists_courses_but_cannot_change_them(cast: Cast) -> None:
    make_course(cast.coordinator, cast.acme, title="Admin view")
    client = cast.client(cast.admin)
    assert "Admin view" in client.get("/admin/academy/course/").content.decode()
    assert client.get("/admin/academy/course/add/").status_code == 403


def test_another_organisations_courses_are_invisible_even_to_a_member_of_both(cast: Cast) -> None:
    course = make_course(cast.outsider, cast.globex, title="Globex only")
    url = reverse("academy:course", args=[course.slug])
    assert cast.client(cast.trainee).get(url).status_code == 404
    # Ada works for both; in Acme (her current organisation) Globex's course does not exist.
    page = cast.client(cast.agency).get(reverse("academy:index")).content.decode()
    assert "Globex only" not in page


def test_the_home_page_lists_lessons_due_until_the_course_is_finished(cast: Cast) -> None:
    course = make_course(cast.coordinator, cast.acme, title="Due soon", lessons=1, quiz=False)
    do_assign(
        cast.coordinator, course, (timezone.now() + timedelta(days=2)).date(), person=cast.trainee
    )
    home = cast.client(cast.trainee).get("/").content.decode()
    assert "Lessons due" in home
    assert "Due soon</a>: due " in home
    assert "next: Lesson 1, 6 min" in home
    assert "Lessons due" not in cast.client(cast.member).get("/").content.decode()
    do_complete_lesson(cast.trainee, first_lesson(course))
    assert "Lessons due" not in cast.client(cast.trainee).get("/").content.decode()
