"""The practice space's demo content for Acme Rail: realistic, and loaded once however often."""

from __future__ import annotations

import pytest

from cluetrain.core.demo import load_demo
from cluetrain.organizations.models import Membership, Organization, Person
from cluetrain.practice import demo
from cluetrain.practice.models import Exercise, Grade, InlineComment, Message, Thread
from cluetrain.practice.progress import graded_work

pytestmark = pytest.mark.django_db


def _people(organization: Organization) -> dict[str, Person]:
    memberships = Membership.objects.filter(organization=organization).select_related("person")
    return {m.person.full_name.split()[0].lower(): m.person for m in memberships}


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Exercise, Thread, Message, Grade, InlineComment)
    )


def test_the_demo_loads_twice_without_doubling_anything() -> None:
    organization = load_demo()
    people = _people(organization)
    demo.load(organization, people)
    first = _counts()
    assert all(count > 0 for count in first)
    demo.load(organization, people)
    assert _counts() == first
    records = graded_work(organization, [people["tom"].pk, people["sofia"].pk])
    assert records[people["tom"].pk].submitted == 3
    assert records[people["tom"].pk].passed == 1
    assert records[people["sofia"].pk].awaiting_feedback == 1
