"""Facts: writing, verifying, versioning and retiring them, and who may."""

from __future__ import annotations

import datetime as dt

import pytest

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.models import AuditEvent
from cluetrain.knowledge import services
from cluetrain.knowledge.models import MAX_STATEMENT, FactStatus
from tests.conftest import Cast
from tests.support.knowledge import fact


def test_a_coordinator_writes_a_verified_fact_owned_by_them(cast: Cast) -> None:
    found = fact(
        cast.acme,
        cast.coordinator,
        "Delay Repay pays 25% of a single fare for a 15 to 29 minute delay.",
        sources="https://acme.example/delay-repay\nConditions of Travel, clause 12",
        topics="Delay Repay, refunds",
        departments=[cast.care],
    )
    assert found.status == FactStatus.VERIFIED
    assert found.owner == cast.coordinator
    assert found.verified_by == cast.coordinator
    assert found.sources == ["https://acme.example/delay-repay", "Conditions of Travel, clause 12"]
    assert found.topics == ["delay-repay", "refunds"]
    assert list(found.departments.all()) == [cast.care]
    assert found.review_by == services.today_in(cast.acme) + dt.timedelta(days=180)
    assert found.versions.count() == 1
    assert AuditEvent.objects.filter(verb="fact.created", organization=cast.acme).exists()


@pytest.mark.parametrize("key", ["member", "trainee", "agency", "operations"])
def test_people_who_do_not_curate_cannot_write_facts(cast: Cast, key: str) -> None:
    with pytest.raises(NotAllowed):
        fact(cast.acme, getattr(cast, key), "Bikes travel free.")


def test_an_outsider_cannot_write_facts_for_another_organisation(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        fact(cast.acme, cast.outsider, "Bikes travel free.")


@pytest.mark.parametrize("statement", ["", "   \n\t ", "x" * (MAX_STATEMENT + 1), "\u200b\x00\x07"])
def test_empty_or_oversized_statements_are_refused(cast: Cast, statement: str) -> None:
    with pytest.raises(ServiceError):
        fact(cast.acme, cast.coordinator, statement)


@pytest.mark.parametrize(
    "source",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "https://",
        "x" * 501,
    ],
)
def test_sources_that_are_not_web_addresses_or_citations_are_refused(
    cast: Cast, source: str
) -> None:
    with pytest.raises(ServiceError):
        fact(cast.acme, cast.coordinator, "Bikes travel free.", sources=[source])


def test_too_many_topics_or_sources_are_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="topics"):
        fact(cast.acme, cast.coordinator, "Bikes.", topics=[f"t{i}" for i in range(9)])
    with pytest.raises(ServiceError, match="sources"):
        fact(
            cast.acme,
            cast.coordinator,
            "Bikes.",
            sources=[f"https://acme.example/{i}" for i in range(11)],
        )


def test_a_changed_wording_is_a_new_version_and_the_old_one_stays(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Refunds take 10 days.")
    services.do_edit_fact(cast.coordinator, found, statement="Refunds take 7 days.", note="new")
    found.refresh_from_db()
    assert found.version == 2
    assert [v.statement for v in found.versions.all()] == [
        "Refunds take 7 days.",
        "Refunds take 10 days.",
    ]
    services.do_edit_fact(cast.coordinator, found, topics="refunds")
    found.refresh_from_db()
    assert found.version == 2  # topics alone change no wording


def test_the_owner_may_edit_their_own_fact_but_not_give_it_away(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Bikes travel free.", owner=cast.member)
    services.do_edit_fact(cast.member, found, statement="Bikes travel free off-peak.")
    with pytest.raises(NotAllowed):
        services.do_edit_fact(cast.member, found, owner=cast.trainee)
    with pytest.raises(NotAllowed):
        services.do_edit_fact(cast.trainee, found, statement="Bikes cost £5.")


def test_an_owner_from_another_organisation_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="owner"):
        fact(cast.acme, cast.coordinator, "Bikes travel free.", owner=cast.outsider)


def test_departments_of_another_organisation_are_refused(cast: Cast) -> None:
    from cluetrain.organizations.models import Department

    other = Department.objects.create(organization=cast.globex, name="Sales", slug="sales")
    with pytest.raises(ServiceError, match="another organisation"):
        fact(cast.acme, cast.coordinator, "Bikes travel free.", departments=[other])


def test_a_draft_is_verified_by_a_mentor_and_retired_by_a_director(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Lost property is kept 30 days.", verify=False)
    assert found.status == FactStatus.DRAFT
    with pytest.raises(NotAllowed):
        services.do_verify_fact(cast.member, found)
    services.do_verify_fact(cast.mentor, found)
    assert found.status == FactStatus.VERIFIED
    assert found.verified_by == cast.mentor
    with pytest.raises(NotAllowed):
        services.do_retire_fact(cast.member, found)
    assert services.do_retire_fact(cast.director, found) == []
    found.refresh_from_db()
    assert found.status == FactStatus.RETIRED
    with pytest.raises(ServiceError, match="retired"):
        services.do_edit_fact(cast.director, found, statement="Again.")


def test_invalid_review_intervals_are_refused(cast: Cast) -> None:
    for days in (0, -3, 5000, "soon"):
        with pytest.raises(ServiceError):
            fact(cast.acme, cast.coordinator, "Bikes.", review_interval_days=days)
