"""Writing the runbook in calm times: who is paged, who may speak, what stops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from cluetrain.core import audit, crypto
from cluetrain.core.errors import ServiceError
from cluetrain.crisis.alerts import check_channel
from cluetrain.crisis.models import Runbook, webhook_ciphertexts
from cluetrain.crisis.scope import runbook_for
from cluetrain.organizations import policy
from cluetrain.organizations.models import Membership, Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.publishing.models import Category
from cluetrain.voices.models import Voice, VoiceKind

MAX_TEMPLATES = 30


@dataclass
class RunbookFields:
    paged_people: Sequence[int] = ()
    responders: Sequence[int] = ()
    official_voices: Sequence[Voice] = ()
    paused_categories: Sequence[str] = ()
    update_templates: list[dict[str, str]] = field(default_factory=list)
    holding_statements: list[dict[str, str]] = field(default_factory=list)
    review_rules: str = ""
    alert_emails: bool = True
    # ``None`` keeps the webhook the runbook has; ``""`` removes it.
    slack_webhook_url: str | None = None
    teams_webhook_url: str | None = None


def members(organization: Organization) -> list[Person]:
    return [
        m.person
        for m in Membership.objects.filter(organization=organization, is_active=True)
        .select_related("person")
        .order_by("person__full_name")
        if m.person.is_active
    ]


def do_save_runbook(person: Person, organization: Organization, fields: RunbookFields) -> Runbook:
    policy.require(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    allowed = {p.pk for p in members(organization)}
    for pk in (*fields.paged_people, *fields.responders):
        if int(pk) not in allowed:
            raise ServiceError("Only members of the organisation can be paged or respond.")
    for voice in fields.official_voices:
        if voice.organization_id != organization.pk or voice.kind != VoiceKind.OFFICIAL:
            # A personal voice is its owner's alone; no runbook hands it to anyone.
            raise ServiceError(f"{voice} is not an official voice of {organization.name}.")
    for category in fields.paused_categories:
        if category not in Category.values:
            raise ServiceError(f"{category!r} is not a post category.", code="category")
    if len(fields.update_templates) + len(fields.holding_statements) > MAX_TEMPLATES:
        raise ServiceError(f"A runbook holds at most {MAX_TEMPLATES} templates.")
    webhooks = {
        channel: check_channel(address)
        for channel, address in (
            ("slack", fields.slack_webhook_url),
            ("teams", fields.teams_webhook_url),
        )
        if address is not None
    }
    with transaction.atomic():
        runbook = runbook_for(organization)
        runbook.paused_categories = list(dict.fromkeys(fields.paused_categories))
        runbook.update_templates = fields.update_templates
        runbook.holding_statements = fields.holding_statements
        runbook.review_rules = fields.review_rules.strip()[:5000]
        runbook.alert_emails = fields.alert_emails
        for channel, address in webhooks.items():
            runbook.set_webhook(channel, address)
        runbook.save()
        runbook.paged_people.set([int(pk) for pk in fields.paged_people])
        runbook.responders.set([int(pk) for pk in fields.responders])
        runbook.official_voices.set(fields.official_voices)
        # Which webhooks changed, never their addresses: those are secrets.
        audit.record(
            organization, person, "runbook.saved", runbook, webhooks_changed=sorted(webhooks)
        )
    return runbook


def do_rotate_webhooks(batch_size: int = 500) -> int:
    """Re-encrypt every runbook's Slack and Teams addresses with the primary key; returns how
    many addresses."""
    count = 0
    for column in webhook_ciphertexts():
        runbooks = Runbook.objects.exclude(**{column: ""}).values_list("pk", column)
        for pk, token in runbooks.iterator(chunk_size=batch_size):
            # Conditional: an address replaced meanwhile in the runbook page is left alone.
            count += Runbook.objects.filter(pk=pk, **{column: token}).update(
                **{column: crypto.rotate(token)}
            )
    return count
