"""Who may do what with facts, decided through ``organizations.policy``.

* Everyone in the organisation (any role) may search facts, cite verified ones and read them.
* Creating, verifying, retiring and editing any fact: the people who curate what staff learn,
  the academy's leads (directors, coordinators and mentors: ``Permission.MANAGE_ACADEMY``).
* A fact's owner may edit its wording and mark it reviewed (they keep it true); a change they
  make to a verified fact's wording is kept as a new version.
* "Make this a fact" from an answer: the academy's leads, and the colleague who answered.
* Outsiders and other organisations' people see nothing.
"""

from __future__ import annotations

from cluetrain.core.errors import NotAllowed
from cluetrain.inbox.models import Question
from cluetrain.knowledge.models import Fact
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission

CURATE = Permission.MANAGE_ACADEMY


def require_member(person: Person | None, organization: Organization) -> None:
    policy.require(person, organization, Permission.VIEW_ORGANIZATION)


def may_curate(person: Person | None, organization: Organization) -> bool:
    return policy.can(person, organization, CURATE)


def require_curate(person: Person | None, organization: Organization) -> None:
    policy.require(person, organization, CURATE)


def may_edit(person: Person | None, fact: Fact) -> bool:
    if may_curate(person, fact.organization):
        return True
    return (
        person is not None
        and fact.owner_id == person.pk
        and policy.is_member(person, fact.organization)
    )


def require_edit(person: Person | None, fact: Fact) -> None:
    require_member(person, fact.organization)
    if not may_edit(person, fact):
        raise NotAllowed(
            "Only the fact's owner, directors, coordinators and mentors may change this fact."
        )


def may_make_fact(person: Person | None, question: Question) -> bool:
    if question.answered_at is None:
        return False
    if may_curate(person, question.organization):
        return True
    return (
        person is not None
        and question.answered_by_id == person.pk
        and policy.is_member(person, question.organization)
    )
