"""What a person has shown, measured against the organisation's promotion criteria.

- reviewed posts: the person's posts in the organisation that a reviewer decided on;
- approved without changes: those approved with no request for changes on any of their reviews;
- the last ``block`` finding: the latest of their posts whose stored guideline verdict was
  ``block`` (publishing keeps the verdict with the post);
- academy modules: the organisation's academy courses that count as modules and that the person
  finished (every lesson done, every quiz passed), from ``cluetrain.academy.progress``.

Every figure for many people comes from a few queries, whatever their number.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from cluetrain.organizations.models import Organization
from cluetrain.publishing.models import Post
from cluetrain.reviews.models import LADDER, Level, Review, ReviewPolicy, ReviewStatus


@dataclass
class Evidence:
    person_id: int
    level: Level
    next_level: Level | None
    reviewed_posts: int = 0
    approved_without_changes: int = 0
    last_block_at: datetime | None = None
    academy_modules_done: int = 0
    academy_modules_required: int = 0
    # What the next level still needs, in plain words; empty when the criteria are met.
    missing: list[str] = field(default_factory=list)
    # The next level is earned by evidence (a proposal is made), not chosen by a coordinator.
    automatic: bool = False

    @property
    def approval_rate(self) -> float | None:
        if not self.reviewed_posts:
            return None
        return self.approved_without_changes / self.reviewed_posts

    @property
    def ready(self) -> bool:
        return self.automatic and not self.missing

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_block_at"] = self.last_block_at.isoformat() if self.last_block_at else None
        data["approval_rate"] = self.approval_rate
        return data


def _next(level: Level) -> Level | None:
    index = LADDER.index(level)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def _has_verdict() -> bool:
    return any(f.name == "check_verdict" for f in Post._meta.get_fields())


def evidence_of_many(
    organization: Organization,
    levels: dict[int, Level],
    rules: ReviewPolicy,
    *,
    now: datetime | None = None,
) -> dict[int, Evidence]:
    """Each person's evidence in the organisation, from three queries in all."""
    # The academy reads evidence too (its progress pages), so it is imported here, not above.
    from cluetrain.academy.progress import modules_done

    now = now or timezone.now()
    found = {pk: Evidence(pk, level, _next(level)) for pk, level in levels.items()}
    changed: set[int] = set()
    decided: dict[int, set[int]] = {pk: set() for pk in levels}
    approved: dict[int, set[int]] = {pk: set() for pk in levels}
    for author_id, post_id, status in Review.objects.filter(
        organization=organization,
        post__author_id__in=list(levels),
        status__in=[ReviewStatus.APPROVED, ReviewStatus.CHANGES_REQUESTED],
    ).values_list("post__author_id", "post_id", "status"):
        decided[author_id].add(post_id)
        if status == ReviewStatus.APPROVED:
            approved[author_id].add(post_id)
        else:
            changed.add(post_id)
    if _has_verdict():
        for author_id, last in (
            Post.objects.filter(
                organization=organization, author_id__in=list(levels), check_verdict="block"
            )
            .values("author_id")
            .annotate(last=Max("updated_at"))
            .values_list("author_id", "last")
        ):
            found[author_id].last_block_at = last
    done = modules_done(organization, list(levels))
    for pk, evidence in found.items():
        evidence.academy_modules_done = done.get(pk, 0)
        evidence.reviewed_posts = len(decided[pk])
        evidence.approved_without_changes = len(approved[pk] - changed)
        evidence.academy_modules_required = rules.academy_modules_required
        _judge(evidence, rules, now)
    return found


def _judge(evidence: Evidence, rules: ReviewPolicy, now: datetime) -> None:
    missing = evidence.missing
    if evidence.level == Level.LEARNER:
        evidence.automatic = True
        if evidence.academy_modules_done < rules.academy_modules_required:
            missing.append(
                f"Finish {rules.academy_modules_required - evidence.academy_modules_done} "
                "more academy module(s)."
            )
    elif evidence.level == Level.SUPERVISED:
        evidence.automatic = True
        if evidence.academy_modules_done < rules.academy_modules_required:
            missing.append(
                f"Finish {rules.academy_modules_required - evidence.academy_modules_done} "
                "more academy module(s)."
            )
        if evidence.reviewed_posts < rules.min_reviewed_posts:
            missing.append(
                f"{rules.min_reviewed_posts - evidence.reviewed_posts} more reviewed post(s) "
                f"(at least {rules.min_reviewed_posts})."
            )
        rate = evidence.approval_rate or 0.0
        if evidence.reviewed_posts and rate < rules.min_approval_rate:
            missing.append(
                f"At least {rules.min_approval_rate:.0%} approved without changes (now {rate:.0%})."
            )
        quiet_since = now - timedelta(days=rules.block_free_days)
        if evidence.last_block_at and evidence.last_block_at > quiet_since:
            free_on = evidence.last_block_at + timedelta(days=rules.block_free_days)
            missing.append(
                f"No blocking guideline finding for {rules.block_free_days} days "
                f"(the last one was on {evidence.last_block_at:%Y-%m-%d}; clear from "
                f"{free_on:%Y-%m-%d})."
            )
    elif evidence.level == Level.AUTONOMOUS:
        missing.append("Mentors are chosen by a coordinator.")
