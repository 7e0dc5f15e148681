"""Fact review reminders: owners hear once per review period, before the date and after it;
coordinators hear about facts whose owner has left."""

from __future__ import annotations

import datetime as dt

import pytest

from cluetrain.core.errors import NotAllowed
from cluetrain.knowledge import reviews, services
from cluetrain.knowledge.tasks import remind_fact_reviews
from cluetrain.notifications.models import Notification
from cluetrain.organizations.models import Membership
from tests.conftest import Cast
from tests.support.knowledge import due, fact


def _today(cast: Cast) -> dt.date:
    return services.today_in(cast.acme)


def _notes(person: object, kind: str = "fact_review") -> int:
    return Notification.objects.filter(person=person, kind=kind).count()


def test_an_overdue_fact_is_flagged_to_its_owner_once_when_the_job_runs_twice(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Refunds take 7 days.", owner=cast.member)
    due(found, _today(cast) - dt.timedelta(days=1))
    first = reviews.remind_organization(cast.acme)
    second = reviews.remind_organization(cast.acme)
    assert (first.overdue, second.overdue) == (1, 0)
    note = Notification.objects.get(person=cast.member, kind="fact_review")
    assert note.title == "Is this still true? Refunds take 7 days."
    assert note.url == f"/knowledge/facts/{found.pk}/"


def test_a_reminder_comes_a_few_days_before_the_review_date_then_the_overdue_flag(
    cast: Cast,
) -> None:
    found = fact(cast.acme, cast.coordinator, "Bikes travel free.", owner=cast.member)
    due(found, _today(cast) + dt.timedelta(days=30))
    assert reviews.remind_organization(cast.acme).soon == 0
    due(found, _today(cast) + dt.timedelta(days=3))
    assert reviews.remind_organization(cast.acme).soon == 1
    assert reviews.remind_organization(cast.acme).soon == 0
    assert Notification.objects.get(person=cast.member).title.startswith("Review soon:")
    # The date passes: the overdue flag is a second, different notice.
    later = dt.datetime.combine(found.review_by, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(days=1)
    assert reviews.remind_organization(cast.acme, later).overdue == 1
    assert _notes(cast.member) == 2


def test_marking_reviewed_moves_the_date_and_a_new_period_reminds_again(cast: Cast) -> None:
    found = fact(
        cast.acme,
        cast.coordinator,
        "Lost property: 30 days.",
        owner=cast.member,
        review_interval_days=90,
    )
    due(found, _today(cast) - dt.timedelta(days=2))
    reviews.remind_organization(cast.acme)
    services.do_mark_reviewed(cast.member, found)
    found.refresh_from_db()
    assert found.review_by == _today(cast) + dt.timedelta(days=90)
    assert reviews.remind_organization(cast.acme).overdue == 0
    # Ninety days on, a new period: the owner hears again.
    due(found, _today(cast) - dt.timedelta(days=1))
    assert reviews.remind_organization(cast.acme).overdue == 1
    assert _notes(cast.member) == 2


def test_only_the_owner_or_a_curator_marks_a_fact_reviewed(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Bikes travel free.", owner=cast.member)
    with pytest.raises(NotAllowed):
        services.do_mark_reviewed(cast.trainee, found)
    services.do_mark_reviewed(cast.mentor, found)


def test_a_fact_whose_owner_left_is_flagged_to_coordinators(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Assistance: book 2 hours ahead.", owner=cast.member)
    Membership.objects.filter(organization=cast.acme, person=cast.member).update(is_active=False)
    run = reviews.remind_organization(cast.acme)
    assert (run.orphaned, run.overdue, run.soon) == (1, 0, 0)
    assert reviews.remind_organization(cast.acme).orphaned == 0
    assert _notes(cast.coordinator, "fact_orphaned") == 1
    assert _notes(cast.member, "fact_orphaned") + _notes(cast.member) == 0
    assert found.reminders.get().kind == "orphaned"


def test_drafts_and_retired_facts_are_not_reminded(cast: Cast) -> None:
    draft = fact(cast.acme, cast.coordinator, "Draft.", owner=cast.member, verify=False)
    retired = fact(cast.acme, cast.coordinator, "Old.", owner=cast.member)
    services.do_retire_fact(cast.coordinator, retired)
    for found in (draft, retired):
        due(found, _today(cast) - dt.timedelta(days=5))
    run = reviews.remind_organization(cast.acme)
    assert (run.overdue, run.soon, run.orphaned) == (0, 0, 0)


def test_the_periodic_job_covers_every_organisation_and_is_idempotent(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Refunds take 7 days.", owner=cast.member)
    due(found, _today(cast) - dt.timedelta(days=1))
    assert remind_fact_reviews.call() == 1
    assert remind_fact_reviews.call() == 0
    from cluetrain.core.jobs import PERIODIC

    assert PERIODIC["cluetrain.knowledge.tasks.remind_fact_reviews"] == 3600


def test_stale_facts_show_a_mark_and_a_mark_reviewed_button(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Refunds take 7 days.", owner=cast.member)
    due(found, _today(cast) - dt.timedelta(days=1))
    client = cast.client(cast.member)
    page = client.get(f"/knowledge/facts/{found.pk}/")
    assert b"Review overdue" in page.content
    assert b"Mark reviewed" in page.content
    assert b"1 of your facts is due for review" in client.get("/knowledge/").content
    response = client.post(f"/knowledge/facts/{found.pk}/reviewed/")
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.review_by > _today(cast)
    assert (
        b"Mark reviewed"
        not in cast.client(cast.trainee).get(f"/knowledge/facts/{found.pk}/").content
    )
