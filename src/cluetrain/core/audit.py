from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluetrain.core.models import AuditEvent

if TYPE_CHECKING:
    from cluetrain.organizations.models import Organization, Person


def record(
    organization: Organization,
    actor: Person | None,
    verb: str,
    target: object = "",
    **data: Any,
) -> AuditEvent:
    """Append one event to the organisation's audit log (call inside the change's transaction)."""
    return AuditEvent.objects.create(
        organization=organization, actor=actor, verb=verb, target=str(target)[:200], data=data
    )
