"""Background jobs of the triage's learning: retrain an organisation's model after its people
corrected it (each safe to run twice: nothing new, nothing stored)."""

from __future__ import annotations

from cluetrain.core.jobs import job, periodic
from cluetrain.triage import learning


@job(priority=-5)
def retrain_organization(organization_id: int, force: bool = False) -> int:
    """Retrain one organisation's model from its corrections; returns the new version or 0."""
    stored = learning.retrain(organization_id, force=force)
    return stored.version if stored else 0


@periodic(seconds=900)
@job(priority=-5)
def retrain_changed_models() -> int:
    """Catch corrections whose retraining request was lost (a process stopped first)."""
    organizations = learning.organizations_to_retrain()
    for organization_id in organizations:
        retrain_organization.enqueue(organization_id)
    return len(organizations)
