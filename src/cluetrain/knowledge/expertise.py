"""Expertise shown by answering colleagues' questions, and each person's expertise profile
for the people directory.

An answer to a question with a topic strengthens the answerer's inbox ``Expertise`` in it the
way a resolved conversation does, by half a step (a quick answer is less than a conversation
seen through), so routing sends the next such question their way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, F

from cluetrain.inbox.models import Expertise, Question
from cluetrain.organizations.models import Membership

ANSWER_STEP = 0.5


def learn_from_answer(question: Question) -> None:
    """The person who answered knows the question's topic a little better."""
    if not question.topic or question.answered_by_id is None:
        return
    membership = Membership.objects.filter(
        person_id=question.answered_by_id,
        organization_id=question.organization_id,
        is_active=True,
    ).first()
    if membership is None:
        return
    expertise, _ = Expertise.objects.get_or_create(membership=membership, topic=question.topic)
    Expertise.objects.filter(pk=expertise.pk).update(
        weight=F("weight") + ANSWER_STEP / (1.0 + F("weight"))
    )


@dataclass
class Profile:
    """What one person is known to know: topics they declared, the weight learned from the
    conversations they resolved and questions they answered, and answers given per topic."""

    declared: list[str] = field(default_factory=list)
    learned: list[tuple[str, float]] = field(default_factory=list)
    answered: list[tuple[str, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.declared or self.learned or self.answered)


def profiles(organization_id: int, memberships: Sequence[Membership]) -> dict[int, Profile]:
    """Each membership's profile, by membership id, in two queries for any number of people."""
    out: dict[int, Profile] = defaultdict(Profile)
    ids = [m.pk for m in memberships]
    person_of = {m.person_id: m.pk for m in memberships}
    for membership_id, topic, declared, weight in (
        Expertise.objects.filter(membership_id__in=ids)
        .order_by("-weight", "topic")
        .values_list("membership_id", "topic", "declared", "weight")
    ):
        profile = out[membership_id]
        if declared:
            profile.declared.append(topic)
        if weight > 0:
            profile.learned.append((topic, round(weight, 1)))
    for person_id, topic, count in (
        Question.objects.filter(
            organization_id=organization_id,
            answered_by_id__in=list(person_of),
            answered_at__isnull=False,
        )
        .exclude(topic="")
        .values_list("answered_by_id", "topic")
        .annotate(n=Count("id"))
        .order_by("-n", "topic")
        .values_list("answered_by_id", "topic", "n")
    ):
        out[person_of[person_id]].answered.append((topic, count))
    return dict(out)
