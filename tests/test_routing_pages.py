"""The pages of service levels, availability, questions and the triage settings."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cluetrain.inbox.models import Availability, Expertise, Question, ServiceLevel
from cluetrain.organizations.models import Department
from cluetrain.triage.models import Topic
from tests.conftest import Cast
from tests.support.routing import availability, membership, service_level

LEVEL = {
    "first_response_minutes": "30",
    "next_response_minutes": "120",
    "resolution_minutes": "480",
    "warn_before_minutes": "10",
    "reroute_after_minutes": "20",
    "time_zone": "Europe/London",
    "working_days": ["1", "2", "3", "4", "5"],
    "day_starts": "08:00",
    "day_ends": "18:00",
    "holidays": "2025-12-24",
    "holiday_country": "GB",
}


def test_every_member_sees_the_service_levels_only_leads_change_them(cast: Cast) -> None:
    service_level(cast.acme, first_response_minutes=45)
    page = cast.client(cast.trainee).get("/settings/service-levels/")
    assert page.status_code == 200
    assert b"45" in page.content
    assert b"service-levels/edit/" not in page.content
    assert cast.client(cast.trainee).get("/settings/service-levels/edit/").status_code == 403
    assert (
        cast.client(cast.trainee).post("/settings/service-levels/edit/", LEVEL).status_code == 403
    )


def test_a_coordinator_sets_the_organisations_and_a_departments_service_level(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    assert client.get("/settings/service-levels/edit/").status_code == 200
    response = client.post("/settings/service-levels/edit/", LEVEL)
    assert response.status_code == 302
    level = ServiceLevel.objects.get(organization=cast.acme, department=None)
    assert (level.first_response_minutes, level.working_days, level.holiday_country) == (
        30,
        "12345",
        "GB",
    )
    response = client.post(
        f"/settings/service-levels/edit/?department={cast.care.pk}",
        {**LEVEL, "around_the_clock": "on"},
    )
    assert response.status_code == 302
    care = ServiceLevel.objects.get(department=cast.care)
    assert care.around_the_clock
    assert client.post(f"/settings/service-levels/{care.pk}/delete/").status_code == 302
    assert not ServiceLevel.objects.filter(department=cast.care).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Europe/Atlantis"}, b"not a known time zone"),
        ({"holidays": "<script>alert(1)</script>"}, b"not a date"),
        ({"working_days": []}, b"at least one working day"),
    ],
)
def test_unusable_hours_are_refused_on_the_page(cast: Cast, change: dict, message: bytes) -> None:
    response = cast.client(cast.director).post(
        "/settings/service-levels/edit/", {**LEVEL, **change}
    )
    assert response.status_code == 200
    assert message in response.content
    assert b"<script>alert(1)</script>" not in response.content
    assert not ServiceLevel.objects.filter(organization=cast.acme).exists()


def test_a_department_of_another_organisation_is_not_found(cast: Cast) -> None:
    theirs = Department.objects.create(organization=cast.globex, name="Sales", slug="sales")
    response = cast.client(cast.director).get(
        f"/settings/service-levels/edit/?department={theirs.pk}"
    )
    assert response.status_code == 404


def test_people_set_their_own_availability_and_topics(cast: Cast) -> None:
    client = cast.client(cast.member)
    assert client.get("/me/availability/").status_code == 200
    response = client.post(
        "/me/availability/",
        {
            "takes_conversations": "on",
            "capacity": "4",
            "working_days": ["1", "3"],
            "day_starts": "07:00",
            "day_ends": "15:00",
        },
    )
    assert response.status_code == 302
    saved = Availability.objects.get(membership=membership(cast.acme, cast.member))
    assert (saved.capacity, saved.working_days, saved.day_starts.hour) == (4, "13", 7)
    mine = membership(cast.acme, cast.member)
    client.post(f"/settings/availability/{mine.pk}/topic/", {"topic": "Lost Luggage"})
    assert Expertise.objects.get(membership=mine).topic == "lost-luggage"
    page = client.get("/me/availability/")
    assert b"lost-luggage" in page.content
    client.post(
        f"/settings/availability/{mine.pk}/topic/", {"topic": "lost-luggage", "action": "withdraw"}
    )
    assert not Expertise.objects.filter(membership=mine).exists()


def test_half_a_working_day_is_refused(cast: Cast) -> None:
    response = cast.client(cast.member).post(
        "/me/availability/", {"capacity": "4", "working_days": ["1"], "day_starts": "07:00"}
    )
    assert response.status_code == 200
    assert b"both the start and the end" in response.content


def test_only_inbox_managers_see_the_directory_and_change_others(cast: Cast) -> None:
    availability(
        cast.acme, cast.mentor, out_of_office_until=timezone.now() + timezone.timedelta(days=2)
    )
    assert cast.client(cast.member).get("/settings/availability/").status_code == 403
    mentor = membership(cast.acme, cast.mentor)
    assert cast.client(cast.member).get(f"/settings/availability/{mentor.pk}/").status_code == 403
    assert (
        cast.client(cast.member)
        .post(f"/settings/availability/{mentor.pk}/topic/", {"topic": "x"})
        .status_code
        == 403
    )
    page = cast.client(cast.coordinator).get("/settings/availability/")
    assert page.status_code == 200
    assert b"Mona Mentor" in page.content
    assert b"out of office" in page.content
    response = cast.client(cast.coordinator).post(
        f"/settings/availability/{mentor.pk}/", {"capacity": "2", "working_days": ["1"]}
    )
    assert response.status_code == 302
    assert Availability.objects.get(membership=mentor).capacity == 2


def test_an_outsider_cannot_reach_anothers_availability(cast: Cast) -> None:
    mentor = membership(cast.acme, cast.mentor)
    assert cast.client(cast.outsider).get(f"/settings/availability/{mentor.pk}/").status_code == 404


def test_questions_are_answered_from_the_questions_page(cast: Cast) -> None:
    question = Question.objects.create(
        organization=cast.acme,
        asked_by=cast.member,
        text="<b>Refund window?</b>",
        routed_to=cast.trainee,
    )
    page = cast.client(cast.trainee).get("/me/questions/")
    assert page.status_code == 200
    assert b"&lt;b&gt;Refund window?&lt;/b&gt;" in page.content
    response = cast.client(cast.trainee).post(
        f"/me/questions/{question.pk}/answer/", {"answer": "28 days"}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answer == "28 days"
    assert (
        cast.client(cast.outsider)
        .post(f"/me/questions/{question.pk}/answer/", {"answer": "x"})
        .status_code
        == 404
    )


def test_the_triage_page_shows_topics_and_the_model(cast: Cast) -> None:
    Topic.objects.create(
        organization=cast.acme, slug="refund", name="<i>Refunds</i>", keywords="refund"
    )
    page = cast.client(cast.trainee).get("/settings/triage/")
    assert page.status_code == 200
    assert b"&lt;i&gt;Refunds&lt;/i&gt;" in page.content
    assert b"Not trained yet" in page.content
    assert b"Retrain now" not in page.content


def test_a_coordinator_adds_topics_and_asks_for_a_retraining(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = cast.client(cast.coordinator)
    response = client.post(
        "/settings/triage/topics/new/",
        {
            "name": "Lost luggage",
            "keywords": "suitcase\nbaggage\n\nsuitcase",
            "department": cast.care.pk,
        },
    )
    assert response.status_code == 302
    topic = Topic.objects.get(organization=cast.acme)
    assert (topic.slug, topic.keywords, topic.department) == (
        "lost-luggage",
        "suitcase\nbaggage",
        cast.care,
    )
    again = client.post("/settings/triage/topics/new/", {"name": "Lost Luggage!"})
    assert b"already a topic" in again.content
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/settings/triage/retrain/").status_code == 302
    assert (
        DBTaskResult.objects.filter(task_path="cluetrain.triage.tasks.retrain_organization").count()
        == 1
    )
    assert client.post(f"/settings/triage/topics/{topic.pk}/delete/").status_code == 302
    assert not Topic.objects.exists()


def test_members_may_not_change_topics(cast: Cast) -> None:
    client = cast.client(cast.member)
    assert client.post("/settings/triage/topics/new/", {"name": "Refunds"}).status_code == 403
    assert client.post("/settings/triage/retrain/").status_code == 403
    assert not Topic.objects.exists()
