"""From heard to answered: classify pending messages in batches, thread them into
conversations, start their service-level clocks and route them."""

from __future__ import annotations


def process_pending(organization_id: int | None = None, limit: int = 2000) -> int:
    """Triage up to ``limit`` messages waiting for it; returns how many were done."""
    return 0
