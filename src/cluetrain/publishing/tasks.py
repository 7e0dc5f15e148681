"""Background jobs of publishing besides the dispatcher: edits and deletions, carried out."""

from __future__ import annotations

from cluetrain.core.jobs import PermanentFailure, job
from cluetrain.networks.base import (
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    NetworkError,
    NotSupported,
)
from cluetrain.publishing import connectors
from cluetrain.publishing.dispatch import outgoing_for
from cluetrain.publishing.models import Delivery, PostStatus
from cluetrain.publishing.recording import delivery_event, refs_of
from cluetrain.publishing.status import refresh_status


@job(max_attempts=6, backoff_seconds=30)
def propagate_edit(delivery_id: int) -> str:
    """Carry a post's new text to the network; safe to run twice (it sets, not appends)."""
    delivery = Delivery.objects.select_related("post", "voice").get(pk=delivery_id)
    refs = refs_of(delivery)
    if delivery.status != PostStatus.PUBLISHED or not refs:
        return "nothing to edit"
    parts = outgoing_for(delivery).parts
    try:
        connector = connectors.for_voice(delivery.voice)
        for ref, text in zip(refs, parts, strict=False):
            connector.edit(ref, text)
    except NotSupported as exc:
        delivery_event(delivery, "edit_not_supported", str(exc))
        return "not supported"
    except NetworkError:
        raise  # retried with back-off by @job
    except (CredentialsRejected, ContentRejected, ConnectorError) as exc:
        delivery_event(delivery, "edit_failed", str(exc))
        raise PermanentFailure(str(exc)) from exc
    delivery_event(delivery, "edit_published", f"The new text is on {delivery.voice}.")
    return "edited"


@job(max_attempts=6, backoff_seconds=30)
def propagate_delete(delivery_id: int) -> str:
    """Remove a published post from its network; deleting what is gone is not an error."""
    delivery = Delivery.objects.select_related("post", "voice").get(pk=delivery_id)
    if delivery.status == PostStatus.CANCELLED:
        return "already deleted"
    try:
        connector = connectors.for_voice(delivery.voice)
        for ref in reversed(refs_of(delivery)):
            connector.delete(ref)
    except NetworkError:
        raise
    except (CredentialsRejected, NotSupported, ConnectorError) as exc:
        delivery_event(delivery, "delete_failed", str(exc))
        raise PermanentFailure(str(exc)) from exc
    Delivery.objects.filter(pk=delivery.pk).update(status=PostStatus.CANCELLED)
    refresh_status(delivery.post_id)
    delivery_event(delivery, "deleted", f"Taken down from {delivery.voice}.")
    return "deleted"
