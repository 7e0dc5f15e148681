"""Connecting voices, granting access to official ones, and the disclosure rule."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from cluetrain.core import audit, crypto
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind, VoiceStatus


class DisclosureMissing(ServiceError):
    """A personal voice's post about the organisation lacks the organisation's disclosure."""


def _check_handle(network: str, handle: str) -> str:
    if network not in Network.values:
        raise ServiceError(f"{network!r} is not a network Cluetrain can publish to.")
    handle = handle.strip()
    if not handle or len(handle) > 200 or any(ch.isspace() for ch in handle):
        raise ServiceError("A handle is the account's name on the network, without spaces.")
    return handle


def do_connect_personal_voice(
    person: Person,
    organization: Organization,
    network: str,
    handle: str,
    *,
    credential: dict[str, str] | None = None,
) -> Voice:
    """Connect ``person``'s own account; it becomes a voice only they can post from."""
    policy.require(person, organization, Permission.CONNECT_PERSONAL_VOICE)
    handle = _check_handle(network, handle)
    voice = Voice(
        organization=organization,
        kind=VoiceKind.PERSONAL,
        network=network,
        handle=handle,
        name=person.full_name,
        owner=person,
    )
    voice.set_credential(credential or {})
    try:
        with transaction.atomic():
            voice.save()
            audit.record(organization, person, "voice.connected", voice, network=network)
    except IntegrityError as exc:
        raise ServiceError(f"{handle} is already connected in {organization.name}.") from exc
    return voice


def official_name(organization: Organization, department: Department | None) -> str:
    return f"{organization.name} {department.name}" if department else organization.name


def do_create_official_voice(
    actor: Person,
    organization: Organization,
    network: str,
    handle: str,
    *,
    department: Department | None = None,
    name: str = "",
    credential: dict[str, str] | None = None,
) -> Voice:
    """Create the organisation's or a department's feed, plainly named for it."""
    policy.require(actor, organization, Permission.MANAGE_OFFICIAL_VOICES)
    handle = _check_handle(network, handle)
    if department is not None and department.organization_id != organization.pk:
        raise ServiceError(f"{department.name} is not part of {organization.name}.")
    owner_name = department.name if department else organization.name
    name = name.strip() or official_name(organization, department)
    if owner_name.casefold() not in name.casefold():
        # An official voice says whose it is: no anonymous or invented names.
        raise ServiceError(f"An official voice's name must carry the name {owner_name}.")
    voice = Voice(
        organization=organization,
        kind=VoiceKind.OFFICIAL,
        network=network,
        handle=handle,
        name=name,
        department=department,
    )
    voice.set_credential(credential or {})
    try:
        with transaction.atomic():
            voice.save()
            audit.record(organization, actor, "voice.created", voice, network=network)
    except IntegrityError as exc:
        raise ServiceError(f"{handle} is already connected in {organization.name}.") from exc
    return voice


def do_grant_voice_access(actor: Person, voice: Voice, person: Person) -> VoiceAccess:
    if voice.kind != VoiceKind.OFFICIAL:
        raise NotAllowed(
            "A personal voice is its owner's alone: nobody can be given the right to post from it."
        )
    policy.require(actor, voice.organization, Permission.MANAGE_OFFICIAL_VOICES)
    if not policy.is_member(person, voice.organization):
        raise ServiceError(f"{person} is not a member of {voice.organization.name}.")
    with transaction.atomic():
        access, created = VoiceAccess.objects.get_or_create(
            voice=voice, person=person, defaults={"granted_by": actor}
        )
        if created:
            audit.record(
                voice.organization, actor, "voice.access_granted", voice, person=str(person)
            )
    return access


def do_revoke_voice_access(actor: Person, voice: Voice, person: Person) -> None:
    policy.require(actor, voice.organization, Permission.MANAGE_OFFICIAL_VOICES)
    with transaction.atomic():
        deleted, _ = VoiceAccess.objects.filter(voice=voice, person=person).delete()
        if deleted:
            audit.record(
                voice.organization, actor, "voice.access_revoked", voice, person=str(person)
            )


def can_reconnect(person: Person, voice: Voice) -> bool:
    """Whether ``person`` may give ``voice`` new credentials.

    A personal voice: its owner only (while a member), nobody else whatever their role. An
    official voice: the people who manage official voices.
    """
    if voice.kind == VoiceKind.PERSONAL:
        return voice.owner_id == person.pk and policy.is_member(person, voice.organization)
    return policy.can(person, voice.organization, Permission.MANAGE_OFFICIAL_VOICES)


def check_can_reconnect(person: Person, voice: Voice) -> None:
    if can_reconnect(person, voice):
        return
    if voice.kind == VoiceKind.PERSONAL:
        raise NotAllowed("Only the owner of a personal voice can reconnect it.")
    policy.require(person, voice.organization, Permission.MANAGE_OFFICIAL_VOICES)


def do_update_credential(actor: Person, voice: Voice, credential: dict[str, Any]) -> None:
    """Store a new credential (reconnect). A personal voice is reconnected by its owner only."""
    check_can_reconnect(actor, voice)
    from cluetrain.publishing.published import requeue_after_reconnect

    voice.set_credential(credential)
    voice.status = VoiceStatus.CONNECTED
    with transaction.atomic():
        voice.save(update_fields=["credential_ciphertext", "status"])
        audit.record(voice.organization, actor, "voice.reconnected", voice)
        # Posts that failed only because the account needed reconnecting now go out.
        requeue_after_reconnect(voice)


def _mentions(text: str, term: str) -> bool:
    # Word boundaries, case- and accent-insensitive enough for names like "Acme Rail".
    pattern = r"(?<![\w#@])" + re.escape(term.casefold()) + r"(?!\w)"
    return re.search(pattern, text.casefold()) is not None


def check_disclosure(voice: Voice, text: str) -> None:
    """Raise ``DisclosureMissing`` when a personal post about the organisation lacks it."""
    organization = voice.organization
    disclosure = organization.disclosure_text.strip()
    if voice.kind != VoiceKind.PERSONAL or not disclosure:
        return
    if disclosure.casefold() in text.casefold():
        return
    if any(_mentions(text, term) for term in organization.disclosure_terms()):
        raise DisclosureMissing(
            f"Posts about {organization.name} from your own account must carry "
            f"{disclosure}, so readers know you work there.",
            code="disclosure",
        )


def do_rotate_credentials(batch_size: int = 500) -> int:
    """Re-encrypt every stored credential with the primary key; returns how many."""
    count = 0
    queryset = Voice.objects.exclude(credential_ciphertext="").only("pk", "credential_ciphertext")
    for voice in queryset.iterator(chunk_size=batch_size):
        rotated = crypto.rotate(voice.credential_ciphertext)
        # Conditional: a credential replaced meanwhile by a reconnect is left alone.
        count += Voice.objects.filter(
            pk=voice.pk, credential_ciphertext=voice.credential_ciphertext
        ).update(credential_ciphertext=rotated)
    return count
