"""Acme Rail's practice space for the demo: exercises, and learners part-way through them.

Tom (trainee) has answered two of a late-train customer's messages for an exercise, and his
post about the new trains was graded "needs work" with a comment on one phrase; Aisha
(agency) passed the personal-data exercise; Sofia's post waits for feedback. Loading twice
adds nothing: each part is skipped when its exercise or first message is already there.
"""

from __future__ import annotations

from cluetrain.organizations.models import Organization, Person
from cluetrain.practice import services
from cluetrain.practice.models import Exercise, ExerciseKind, Message, Outcome, Thread

EXERCISES = [
    (
        "Answer the late-train complaint",
        "A commuter missed a connection. Apologise as yourself, say what happened if you know, "
        "and tell them how to claim Delay Repay. Keep it under 500 characters.",
        ExerciseKind.REPLY,
        "rail-late-train-connection",
        "miguel",
    ),
    (
        "Post about the new trains, with the disclosure",
        "Write a post from your own account about the new coast-line trains (six bike spaces, "
        "USB sockets at every seat). Carry the disclosure #iworkatacmerail.",
        ExerciseKind.POST,
        "",
        "carla",
    ),
    (
        "A customer posts their personal data",
        "The customer posts a phone number and booking reference in public. Help them, and "
        "ask them to delete it without making them feel foolish.",
        ExerciseKind.REPLY,
        "rail-personal-data",
        "miguel",
    ),
]


def _exercises(organization: Organization, people: dict[str, Person]) -> dict[str, Exercise]:
    found = {}
    for title, instructions, kind, scenario, author in EXERCISES:
        exercise = Exercise.objects.filter(organization=organization, title=title).first()
        if exercise is None:
            exercise = services.do_create_exercise(
                people[author],
                organization,
                title=title,
                instructions=instructions,
                kind=kind,
                scenario=scenario,
            )
        found[scenario or "post"] = exercise
    return found


def _has_practised(organization: Organization, person: Person) -> bool:
    return Message.objects.filter(organization=organization, learner=person).exists()


def _tom(
    organization: Organization, people: dict[str, Person], exercises: dict[str, Exercise]
) -> None:
    tom, miguel = people["tom"], people["miguel"]
    if _has_practised(organization, tom):
        return
    thread = services.do_start_scenario(
        tom,
        organization,
        "rail-late-train-connection",
        exercise=exercises["rail-late-train-connection"],
    )
    first = services.do_reply(
        tom,
        thread,
        "Hi Kat, I'm Tom from customer care. Sorry you missed your connection: a "
        "signal fault held the 07:42. You can claim Delay Repay on our website.",
    )
    services.do_reply(tom, Thread.objects.get(pk=thread.pk), "Yes, tickets from apps count too.")
    services.do_grade(
        miguel,
        first,
        outcome=Outcome.PASS,
        score=82,
        feedback="Warm, signed with your name, and the customer knows what to do next.",
    )
    post = services.do_post(
        tom,
        organization,
        "Acme Rail's new trains are AMAZING, best in the country, six bike spaces!!",
        exercise=exercises["post"],
    )
    start = post.text.index("best in the country")
    services.do_comment_inline(
        miguel,
        post,
        start=start,
        end=start + len("best in the country"),
        comment="A claim we cannot back up; say what the trains have instead.",
    )
    services.do_grade(
        miguel,
        post,
        outcome=Outcome.NEEDS_WORK,
        score=45,
        feedback="Facts over superlatives, and the disclosure #iworkatacmerail is missing.",
    )


def _aisha(
    organization: Organization, people: dict[str, Person], exercises: dict[str, Exercise]
) -> None:
    aisha = people["aisha"]
    if _has_practised(organization, aisha):
        return
    thread = services.do_start_scenario(
        aisha, organization, "rail-personal-data", exercise=exercises["rail-personal-data"]
    )
    reply = services.do_reply(
        aisha,
        thread,
        "So sorry for the wait. Please delete your post: it shows your phone number to "
        "everyone. Send us a direct message with the booking reference and we'll chase it today.",
    )
    services.do_grade(
        people["carla"],
        reply,
        outcome=Outcome.PASS,
        score=90,
        feedback="Exactly right: the data protected, the customer not made to feel foolish.",
    )


def _sofia(
    organization: Organization, people: dict[str, Person], exercises: dict[str, Exercise]
) -> None:
    sofia = people["sofia"]
    if _has_practised(organization, sofia):
        return
    services.do_post(
        sofia,
        organization,
        "The new coast-line trains start on Monday: six bike spaces and a USB socket at every "
        "seat. See you on board! #iworkatacmerail",
        exercise=exercises["post"],
    )


def load(organization: Organization, people: dict[str, Person]) -> None:
    """Add the practice space's demo content to Acme Rail (idempotent)."""
    exercises = _exercises(organization, people)
    _tom(organization, people, exercises)
    _aisha(organization, people, exercises)
    _sofia(organization, people, exercises)
