"""How far people have come in the practice space, for the academy's progress pages.

``graded_work`` answers for many people in one query, whatever their number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q

from cluetrain.organizations.models import Organization
from cluetrain.practice.models import Message, Outcome


@dataclass
class PracticeRecord:
    """One person's submitted practice work: how much, how much graded, passed, still waiting.

    ``graded`` and ``passed`` count each submission's current grade only (a regrade replaces
    the earlier one); ``awaiting_feedback`` is what no mentor has graded yet.
    """

    person_id: int
    submitted: int = 0
    graded: int = 0
    passed: int = 0
    awaiting_feedback: int = 0


def graded_work(organization: Organization, person_ids: Iterable[int]) -> dict[int, PracticeRecord]:
    """Each person's ``PracticeRecord`` in ``organization`` (zeros for people with none)."""
    ids = sorted(set(person_ids))
    records = {pk: PracticeRecord(person_id=pk) for pk in ids}
    if not ids:
        return records
    current = Q(grades__is_current=True)
    rows = (
        Message.objects.filter(
            organization=organization, learner_id__in=ids, submitted_at__isnull=False
        )
        .values("learner_id")
        .annotate(
            # distinct: the join to grades repeats a message once per grade it ever had.
            submitted=Count("pk", distinct=True),
            graded=Count("pk", distinct=True, filter=current),
            passed=Count("pk", distinct=True, filter=current & Q(grades__outcome=Outcome.PASS)),
        )
        .order_by()
    )
    for row in rows:
        record = records[row["learner_id"]]
        record.submitted = row["submitted"]
        record.graded = row["graded"]
        record.passed = row["passed"]
        record.awaiting_feedback = row["submitted"] - row["graded"]
    return records
