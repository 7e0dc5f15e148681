"""Status updates: what the organisation tells its customers while an incident is open.

An update is written once and goes out through the publishing outbox on each chosen voice, as
an ordinary operational post: the voice rule, the guideline check and the review policy all
apply as for any post. Each voice gets its own post, replying to the previous update published
on that voice, so that each network carries the incident as one thread; the incident's public
status page and Atom feed carry every update too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.crisis import scope, timeline
from cluetrain.crisis.models import Incident, StatusUpdate
from cluetrain.organizations import policy
from cluetrain.organizations.models import Person
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Category, Delivery, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.voices.models import Voice

MAX_LENGTH = 5000


@dataclass(frozen=True)
class Template:
    name: str
    text: str


def templates(incident: Incident) -> list[Template]:
    """The runbook's templates and holding statements, filled in for this incident."""
    runbook = scope.runbook_for(incident.organization)
    values = {
        "title": incident.title,
        "summary": incident.public_summary,
        "organization": incident.organization.name,
        "status_page": status_page_url(incident),
    }
    found = []
    for group in (runbook.holding_statements or [], runbook.update_templates or []):
        for item in group:
            if not isinstance(item, dict) or not item.get("text"):
                continue
            found.append(Template(str(item.get("name") or "Template"), fill(item["text"], values)))
    return found


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with ``{title}``, ``{summary}``, ``{organization}``, ``{status_page}`` filled.

    Plain replacement, not ``str.format``: a template is typed by people, and a stray brace or
    ``{0.__class__}`` must stay text.
    """
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def status_page_url(incident: Incident) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.BASE_URL + reverse("crisis_public:status", args=[incident.feed_token])


def update_voices(person: Person, incident: Incident) -> list[Voice]:
    """The runbook's official voices this person may post an update through now."""
    runbook = scope.runbook_for(incident.organization)
    allowed = policy.postable_voices(person, incident.organization)
    return list(allowed.filter(pk__in=runbook.official_voices.values("pk")))


def _parent(incident: Incident, voice: Voice) -> str:
    """Where the previous update went on ``voice`` (its last part), to reply under it."""
    previous = (
        Delivery.objects.filter(
            voice=voice,
            status=PostStatus.PUBLISHED,
            post__in=StatusUpdate.posts.through.objects.filter(
                statusupdate__incident=incident
            ).values("post_id"),
        )
        .order_by("-published_at", "-pk")
        .first()
    )
    if previous is None or not previous.refs:
        return ""
    last = previous.refs[-1]
    for value in (last.get("id", ""), last.get("url", "")):
        if value.startswith(("at://", "https://", "http://")):
            return str(value)
    return ""


def do_post_update(
    person: Person, incident: Incident, text: str, voices: Sequence[Voice]
) -> StatusUpdate:
    """Publish a status update through ``voices`` (now) and on the incident's public feed.

    With no voice the update goes to the status page and its feed alone.
    """
    text = text.strip()
    if not text:
        raise ServiceError("Write the update first.", code="text")
    if len(text) > MAX_LENGTH:
        raise ServiceError(f"An update can be at most {MAX_LENGTH} characters.", code="text")
    if not incident.is_open:
        raise ServiceError("This incident has ended; updates are closed.", code="ended")
    organization = incident.organization
    runbook = scope.runbook_for(organization)
    named = set(runbook.official_voices.values_list("pk", flat=True))
    for voice in voices:
        if voice.pk not in named:
            raise NotAllowed(f"{voice} is not one of the runbook's voices for status updates.")
        # Personal voices are refused here too, whoever asks (the voice rule).
        policy.require_post_as(person, voice)
    if not voices and not (
        policy.can(person, organization, policy.Permission.DECLARE_INCIDENT)
        or runbook.responders.filter(pk=person.pk).exists()
    ):
        raise NotAllowed("Only the runbook's responders may post updates.")
    with transaction.atomic():
        update = StatusUpdate.objects.create(incident=incident, author=person, text=text)
        for voice in voices:
            post = do_create_post(
                person,
                organization,
                Draft(
                    text=text,
                    voices=[voice],
                    category=Category.OPERATIONAL,
                    title=f"{incident.title}: update",
                    reply_to_url=_parent(incident, voice),
                ),
                Schedule(When.NOW),
            )
            update.posts.add(post)
        names = ", ".join(v.name for v in voices) or "the status page only"
        timeline.add(
            incident,
            "status_update",
            f"{person.full_name} posted an update through {names}: {text[:300]}",
            actor=person,
            update=update.pk,
        )
    return update


def public_updates(incident: Incident) -> list[StatusUpdate]:
    """The updates the public sees, newest first: those not waiting for (or refused by) a
    reviewer on every voice they were meant for."""
    hidden = (PostStatus.REVIEW, PostStatus.CANCELLED, PostStatus.DRAFT)
    shown = []
    for update in incident.updates.prefetch_related("posts").order_by("-created_at", "-pk"):
        posts = list(update.posts.all())
        if posts and all(post.status in hidden for post in posts):
            continue
        shown.append(update)
    return shown
