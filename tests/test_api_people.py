"""The people endpoints: members with roles, expertise and availability; roles and invitations."""

from __future__ import annotations

from django.core import mail

from cluetrain.inbox.availability import do_declare_topic
from cluetrain.organizations.models import Invitation, Membership, Person
from cluetrain.organizations.services import do_add_member
from tests.conftest import Cast
from tests.support.api_work import assert_error, call, same_queries_for_few_and_many, token


def test_members_are_listed_by_name_with_roles_departments_and_availability(cast: Cast) -> None:
    mentor = Membership.objects.get(person=cast.mentor, organization=cast.acme)
    do_declare_topic(cast.mentor, mentor, "Refunds")
    page = call("get", "/api/people", token(cast.member, cast.acme)).json()
    names = [p["name"] for p in page["items"]]
    assert names == sorted(names)
    assert cast.outsider.full_name not in names
    mona = next(p for p in page["items"] if p["id"] == cast.mentor.pk)
    assert mona["roles"] == ["member", "mentor"]
    assert mona["departments"][0]["slug"] == "customer-care"
    assert mona["expertise"] == [{"topic": "refunds", "declared": True, "weight": 0.0}]
    assert mona["works_inbox"] is True
    assert mona["availability"]["capacity"] == 10


def test_people_are_filtered_by_role_department_and_words(cast: Cast) -> None:
    secret = token(cast.member, cast.acme)
    by_role = call("get", "/api/people", secret, {"role": "mentor"}).json()
    assert [p["id"] for p in by_role["items"]] == [cast.mentor.pk]
    by_department = call("get", "/api/people", secret, {"department": cast.care.pk}).json()
    assert [p["id"] for p in by_department["items"]] == [cast.mentor.pk]
    by_words = call("get", "/api/people", secret, {"q": "otto"}).json()
    assert [p["id"] for p in by_words["items"]] == [cast.operations.pk]
    assert_error(call("get", "/api/people", secret, {"role": "wizard"}), 400, "invalid_input")


def test_the_people_list_costs_the_same_queries_for_2_or_20_more_members(cast: Cast) -> None:
    made = iter(range(100))

    def add(count: int) -> None:
        for _ in range(count):
            n = next(made)
            person = Person.objects.create_user(f"p{n}@example.com", "x" * 12, full_name=f"P {n}")
            do_add_member(cast.acme, person, ["member"], departments=[cast.care])

    few, many = same_queries_for_few_and_many(
        "/api/people?limit=100", token(cast.director, cast.acme), add
    )
    assert few == many


def test_another_organisations_person_is_not_found(cast: Cast) -> None:
    secret = token(cast.member, cast.acme)
    assert_error(call("get", f"/api/people/{cast.outsider.pk}", secret), 404, "not_found")
    assert_error(call("get", "/api/people/99999999999", secret), 400, "invalid_input")


def test_a_director_changes_roles_and_a_member_cannot(cast: Cast) -> None:
    path = f"/api/people/{cast.member.pk}/roles"
    refused = call("put", path, token(cast.coordinator, cast.acme), {"roles": ["mentor"]})
    assert_error(refused, 403, "not_allowed")
    changed = call("put", path, token(cast.director, cast.acme), {"roles": ["member", "mentor"]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["roles"] == ["member", "mentor"]


def test_the_last_lead_keeps_a_lead_role(cast: Cast) -> None:
    Membership.objects.filter(person=cast.admin, organization=cast.acme).update(is_active=False)
    path = f"/api/people/{cast.director.pk}/roles"
    refused = call("put", path, token(cast.director, cast.acme), {"roles": ["member"]})
    assert_error(refused, 400)


def test_an_invitation_is_sent_and_a_coordinator_cannot_invite_a_director(cast: Cast) -> None:
    secret = token(cast.coordinator, cast.acme)
    body = {"email": "New@Example.com", "roles": ["member"], "department_ids": [cast.care.pk]}
    sent = call("post", "/api/invitations", secret, body)
    assert sent.status_code == 201, sent.content
    assert sent.json()["email"] == "new@example.com"
    assert len(mail.outbox) == 1
    director = {"email": "boss@example.com", "roles": ["director"]}
    assert_error(call("post", "/api/invitations", secret, director), 403, "not_allowed")
    assert_error(
        call("post", "/api/invitations", secret, {"email": "nope", "roles": ["member"]}),
        400,
    )
    assert Invitation.objects.count() == 1


def test_people_set_their_own_availability_and_topics_but_not_others(cast: Cast) -> None:
    secret = token(cast.member, cast.acme)
    mine = f"/api/people/{cast.member.pk}"
    changed = call("patch", f"{mine}/availability", secret, {"capacity": 3, "working_days": "135"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["availability"]["capacity"] == 3
    topic = call("post", f"{mine}/topics", secret, {"topic": "Lost luggage"})
    assert [e["topic"] for e in topic.json()["expertise"]] == ["lost-luggage"]
    withdrawn = call("delete", f"{mine}/topics/lost-luggage", secret)
    assert withdrawn.json()["expertise"] == []
    theirs = f"/api/people/{cast.mentor.pk}/availability"
    assert_error(call("patch", theirs, secret, {"capacity": 0}), 403, "not_allowed")
    assert_error(call("patch", f"{mine}/availability", secret, {"capacity": -1}), 400)
