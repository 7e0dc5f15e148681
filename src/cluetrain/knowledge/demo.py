"""Acme Rail's facts and a peer-group question for the demo; loading twice adds nothing."""

from __future__ import annotations

import datetime as dt

from cluetrain.inbox.models import Expertise, Question
from cluetrain.inbox.questions import do_answer, do_ask
from cluetrain.knowledge import peer, services
from cluetrain.knowledge.models import Fact
from cluetrain.organizations.models import Department, Membership, Organization, Person

# (statement, sources, topics, owner, department, review every n days)
FACTS = [
    (
        "Delay Repay: a delay of 15 to 29 minutes refunds 25% of a single fare, 30 to 59 "
        "minutes 50%, and 60 minutes or more the whole single fare. Claims within 28 days.",
        ["https://acmerail.example/delay-repay", "Acme Rail Passenger Charter, section 4"],
        ["delay-repay", "refunds"],
        "miguel",
        "Customer care",
        90,
    ),
    (
        "Items found on trains and at stations are kept for 30 days; passengers report a loss "
        "with the online lost property form.",
        ["https://acmerail.example/lost-property"],
        ["lost-property"],
        "grace",
        "Operations",
        180,
    ),
    (
        "Passenger Assist can be booked up to 2 hours before travel, by app, web or phone, free "
        "of charge; staff at staffed stations help without a booking too.",
        ["https://acmerail.example/passenger-assist", "Accessible Travel Policy, 2026"],
        ["accessibility", "passenger-assist"],
        "grace",
        "Operations",
        120,
    ),
    (
        "Full-size bikes need a free reservation on intercity trains (six spaces per train); "
        "folded bikes travel anywhere without one.",
        ["https://acmerail.example/cycling"],
        ["bikes"],
        "priya",
        "Engineering",
        365,
    ),
    (
        "Refunds for unused tickets bought online reach the card used within 7 working days.",
        ["https://acmerail.example/refunds"],
        ["refunds"],
        "miguel",
        "Customer care",
        180,
    ),
]
# The Delay Repay fact is past its review: its owner sees the flag, the composer the mark.
STALE = 0

QUESTION = "Can we say dogs travel free? A customer asks about two dogs."
ANSWER = "Yes: up to two dogs per passenger travel free, on a lead or in a carrier."


def load(organization: Organization, people: dict[str, Person]) -> None:
    departments = {d.name: d for d in Department.objects.filter(organization=organization)}
    today = services.today_in(organization)
    for index, (statement, sources, topics, owner, department, days) in enumerate(FACTS):
        if Fact.objects.filter(organization=organization, statement=statement).exists():
            continue
        fact = services.do_create_fact(
            people["carla"],
            organization,
            statement,
            sources=sources,
            topics=topics,
            owner=people[owner],
            departments=[departments[department]] if department in departments else [],
            review_interval_days=days,
            verify=True,
        )
        if index == STALE:
            Fact.objects.filter(pk=fact.pk).update(review_by=today - dt.timedelta(days=3))
    for key, topic in (("miguel", "delay-repay"), ("grace", "accessibility"), ("miguel", "pets")):
        membership = Membership.objects.get(organization=organization, person=people[key])
        Expertise.objects.get_or_create(
            membership=membership, topic=topic, defaults={"declared": True}
        )
    question = Question.objects.filter(organization=organization, text=QUESTION).first()
    if question is None:
        question = do_ask(people["tom"], organization, QUESTION, topic="pets")
    if question.answered_at is None:
        do_answer(people["miguel"], question, ANSWER)
        question.refresh_from_db()
    peer.do_make_fact(people["carla"], question)
