"""Keeping ``AgencyPeriod`` in step with the agency role's grants.

Role grants are created and deleted by ``organizations.services`` (joining, role changes); the
signals here follow them without that app knowing about agencies.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from cluetrain.organizations.models import RoleGrant
from cluetrain.organizations.roles import Role

# A grant made this soon after the membership began came with joining.
JOINING = timedelta(minutes=10)


@receiver(post_save, sender=RoleGrant, dispatch_uid="agencies.grant_saved")
def grant_saved(sender: Any, instance: RoleGrant, created: bool, **kwargs: Any) -> None:
    if not created or instance.role != Role.AGENCY or kwargs.get("raw"):
        return
    from cluetrain.agencies.models import AgencyPeriod

    membership = instance.membership
    now = timezone.now()
    if AgencyPeriod.objects.filter(
        organization_id=membership.organization_id,
        person_id=membership.person_id,
        ended_at__isnull=True,
    ).exists():
        return
    joining = membership.joined_at is None or membership.joined_at >= now - JOINING
    AgencyPeriod.objects.create(
        organization_id=membership.organization_id,
        person_id=membership.person_id,
        started_at=None if joining else now,
    )


@receiver(post_delete, sender=RoleGrant, dispatch_uid="agencies.grant_deleted")
def grant_deleted(sender: Any, instance: RoleGrant, **kwargs: Any) -> None:
    if instance.role != Role.AGENCY:
        return
    from cluetrain.agencies.models import AgencyPeriod
    from cluetrain.organizations.models import Membership

    membership = (
        Membership.objects.filter(pk=instance.membership_id)
        .values("organization_id", "person_id")
        .first()
    )
    if membership is None:
        # The membership itself went; its organisation and person may be going too.
        return
    AgencyPeriod.objects.filter(
        organization_id=membership["organization_id"],
        person_id=membership["person_id"],
        ended_at__isnull=True,
    ).update(ended_at=timezone.now())
