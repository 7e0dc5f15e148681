"""Expertise profiles in the people directory: declared topics, what was learned from
conversations and answers, and answers per topic, for everyone in a bounded number of queries."""

from __future__ import annotations

from typing import Any

from cluetrain.knowledge import peer
from cluetrain.knowledge.expertise import profiles
from cluetrain.organizations.models import Membership, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from tests.conftest import Cast
from tests.support.knowledge import online
from tests.support.routing import expert


def test_a_profile_holds_declared_learned_and_answered_topics(cast: Cast) -> None:
    online(cast.acme, cast.trainee, cast.mentor)
    expert(cast.acme, cast.trainee, "refunds")
    expert(cast.acme, cast.trainee, "delays", declared=False, weight=1.5)
    question = peer.do_ask_peers(cast.member, cast.acme, "Bikes at peak?", "bikes")
    peer.do_answer_peer(cast.trainee, question, "Folded only.")
    memberships = list(Membership.objects.filter(organization=cast.acme))
    found = profiles(cast.acme.pk, memberships)
    trainee = found[next(m.pk for m in memberships if m.person_id == cast.trainee.pk)]
    assert trainee.declared == ["refunds"]
    assert trainee.learned == [("delays", 1.5), ("bikes", 0.5)]
    assert trainee.answered == [("bikes", 1)]


def test_the_people_directory_shows_profiles_in_bounded_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    online(cast.acme, cast.trainee, cast.mentor)
    for n in range(15):
        person = Person.objects.create_user(f"p{n}@example.com", "pw", full_name=f"Person {n}")
        do_add_member(cast.acme, person, [Role.MEMBER])
        expert(cast.acme, person, f"topic-{n}")
        expert(cast.acme, person, "luggage", declared=False, weight=0.3 + n / 10)
    question = peer.do_ask_peers(cast.member, cast.acme, "Who knows <b>bikes</b>?", "bikes")
    peer.do_answer_peer(cast.mentor, question, "Me.")
    client = cast.client(cast.member)
    client.get("/people/")  # warm the session and caches
    with django_assert_max_num_queries(14):
        page = client.get("/people/")
    body = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="col">Expertise</th>' in body
    assert "topic-14" in body
    assert 'Questions answered:</span> <span class="chip">bikes · 1</span>' in body
    assert "luggage · 1.7" in body


def test_the_directory_never_shows_another_organisations_answers(cast: Cast) -> None:
    memberships = list(Membership.objects.filter(organization=cast.globex))
    assert all(profile.empty for profile in profiles(cast.globex.pk, memberships).values())
