"""What a post must pass on its way out: the organisation's guidelines and its review policy.

The guidelines are checked on every text that would go out (the main text and each network's
variant). A ``block`` finding stops the post unless a director overrides it with a written
reason (audited); the verdict, the findings and the rules version used are kept with the post.
Whether a reviewer must approve it first is the review policy's to say (``reviews``): the
author's autonomy level, the verdict and the post's category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.voices.models import Network, Voice

_RANK = {"ok": 0, "warn": 1, "review": 2, "block": 3}


@dataclass(frozen=True)
class Checked:
    verdict: str = "ok"
    version: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)


def check_guidelines(
    person: Person,
    organization: Organization,
    text: str,
    variants: dict[str, str],
    *,
    override_reason: str = "",
) -> Checked:
    """Check every text that would go out; refuse a ``block`` unless a director overrides it."""
    from cluetrain.guidelines.services import check_text

    verdict, version, findings = "ok", "", []
    for network, body in [("", text), *variants.items()]:
        result = check_text(organization, body)
        version = result.version
        for finding in result.as_json()["findings"]:
            findings.append({**finding, "network": network})
        if _RANK[result.verdict.value] > _RANK[verdict]:
            verdict = result.verdict.value
    if verdict == "block":
        blocking = [f for f in findings if f["severity"] == "block"]
        if not override_reason.strip():
            first = blocking[0]
            raise ServiceError(
                f'Cannot be published: "{first["match"]}" — {first["explanation"]}'
                + (f" {first['suggestion']}" if first["suggestion"] else ""),
                code="blocked",
            )
        if not policy.can(person, organization, Permission.OVERRIDE_BLOCK):
            raise NotAllowed("Only a director can publish despite a blocking finding.")
    return Checked(verdict, version, findings)


def record_override(person: Person, organization: Organization, post: Any, reason: str) -> None:
    audit.record(organization, person, "guidelines.override", post, reason=reason.strip()[:2000])


def check_learner(person: Person, organization: Organization, voices: list[Voice]) -> None:
    """Learners post in the practice space only, until they are promoted."""
    from cluetrain.reviews.services import may_publish_outside_practice

    if any(v.network != Network.PRACTICE for v in voices) and not may_publish_outside_practice(
        person, organization
    ):
        raise NotAllowed(
            "While you are learning you post in the practice space; your mentor's review of "
            "your practice posts moves you on."
        )


def review_reason(person: Person, post: Any) -> str | None:
    """Why a reviewer must approve this post first, or None."""
    from cluetrain.reviews.services import review_reason as reason_for

    return reason_for(person, post, post.check_verdict)
