"""The publishing screens: the composer, a post's page, the calendar and each voice's queue.

Views read the request, call the services and render. A ``ServiceError`` is shown next to the
form with everything typed kept; ``NotAllowed`` is left to Django, which answers 403 with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cluetrain.core.actions import act_and_say
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.publishing import calendar_grid, previews, scheduling
from cluetrain.publishing.forms import (
    ComposerForm,
    EditPublishedForm,
    MoveForm,
    QueueForm,
    kept_media,
    variant_field,
    voice_ids,
)
from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
from cluetrain.publishing.published import do_delete_published, do_edit_published
from cluetrain.publishing.queues import do_set_queue, free_slots
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import (
    can_cancel,
    do_cancel,
    do_create_post,
    do_reschedule,
    do_retry,
    do_update_post,
    visible_posts,
)
from cluetrain.voices.models import Network, Voice, VoiceKind

# Not gone out yet: a post whose deliveries are all in these can go back to the composer.
NOT_GONE_OUT = {PostStatus.DRAFT, PostStatus.REVIEW, PostStatus.SCHEDULED, PostStatus.PAUSED}
LIST_SIZE = 20
# The history's verbs, as a sentence's predicate.
HISTORY_WORDS = {
    "created": "wrote it",
    "scheduled": "scheduled it",
    "rescheduled": "moved it",
    "cancelled": "cancelled it",
    "retried": "asked to try again",
    "retrying": "will try again",
    "recovered": "took it back after a stopped worker",
    "published": "published it",
    "failed": "could not publish it",
    "edited": "changed the wording",
    "edit_published": "carried the new wording to the network",
    "edit_not_supported": "could not carry the new wording",
    "edit_failed": "could not carry the new wording",
    "deleted": "took it down",
    "delete_failed": "could not take it down",
}


def zone_named(name: str) -> ZoneInfo:
    try:
        return scheduling.zone(name)
    except ServiceError:  # a zone the system no longer knows: show UTC rather than fail
        return ZoneInfo("UTC")


def viewer_zone(person: Person) -> ZoneInfo:
    return zone_named(person.time_zone or settings.TIME_ZONE)


def _with_deliveries(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.select_related("author").prefetch_related(
        Prefetch("deliveries", Delivery.objects.select_related("voice").order_by("pk"))
    )


def _post_in_organization(request: MemberRequest, pk: int) -> Post:
    # Actions look the post up in the whole organisation, not only among the visible ones, so
    # that a forged request meets the service's refusal (403 with the reason) rather than 404.
    return get_object_or_404(
        Post.objects.select_related("organization", "author"),
        pk=pk,
        organization=request.organization,
    )


# ---- Composer --------------------------------------------------------------------------------


@member_required
def index(request: MemberRequest) -> HttpResponse:
    """The composer, with the person's drafts, what they have waiting and what went out."""
    return _composer(request, None)


@member_required
def compose(request: MemberRequest) -> HttpResponse:
    """The composer for a post that has not gone out yet (``?post=ID``), or a new one."""
    post_id = request.GET.get("post", "")
    if not post_id:
        return _composer(request, None)
    if not post_id.isdigit():
        raise Http404
    post = get_object_or_404(
        _with_deliveries(Post.objects.filter(organization=request.organization)),
        pk=int(post_id),
        author=request.user,
    )
    if any(delivery.status not in NOT_GONE_OUT for delivery in post.deliveries.all()):
        messages.info(request, "This post has gone out or is going out; edit it from its page.")
        return redirect("publishing:post", post.pk)
    return _composer(request, post)


def _composer(request: MemberRequest, editing: Post | None) -> HttpResponse:
    person, organization = request.user, request.organization
    voices = list(policy.postable_voices(person, organization))
    person_zone = person.time_zone or settings.TIME_ZONE
    if request.method == "POST":
        form = ComposerForm(request.POST, time_zone=person_zone)
        chosen = set(voice_ids(request.POST))
        if form.is_valid():
            try:
                post, said = _save_composed(request, form, editing)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, said)
                return redirect("publishing:post", post.pk)
        check_data: QueryDict = request.POST
    else:
        initial, chosen = _initial(editing, person_zone)
        if not chosen and len(voices) == 1:
            chosen = {voices[0].pk}
        form = ComposerForm(initial=initial, time_zone=person_zone)
        check_data = _as_query(initial, chosen)
    networks = sorted({voice.network for voice in voices})
    context: dict[str, Any] = {
        "form": form,
        "voices": voices,
        "chosen": chosen,
        "networks": networks,
        "variant_fields": [(network, form[variant_field(network)]) for network in networks],
        "has_mastodon": Network.MASTODON in networks,
        "may_override": policy.can(person, organization, Permission.OVERRIDE_BLOCK),
        "editing": editing,
        "existing_media": list(editing.media.all()) if editing else [],
        "check": previews.composer_check(person, organization, check_data, editing),
        "zone": viewer_zone(person),
    }
    if editing is None:
        mine = _with_deliveries(Post.objects.filter(organization=organization, author=person))
        context["waiting"] = mine.filter(status__in=NOT_GONE_OUT | {PostStatus.FAILED}).order_by(
            "scheduled_at", "-created_at"
        )[:LIST_SIZE]
        context["recent"] = mine.filter(
            status__in=[PostStatus.PUBLISHED, PostStatus.PUBLISHING]
        ).order_by("-created_at")[:LIST_SIZE]
    return render(request, "publishing/index.html", context)


def _initial(post: Post | None, person_zone: str) -> tuple[dict[str, Any], set[int]]:
    if post is None:
        return {"when": When.NOW.value, "time_zone": person_zone}, set()
    initial: dict[str, Any] = {
        "text": post.text,
        "category": post.category,
        "visibility": post.visibility,
        "content_warning": post.content_warning,
        "reply_to_url": post.reply_to_url,
        "quote_url": post.quote_url,
        "title": post.title,
        "when": When.DRAFT.value,
        "time_zone": post.time_zone or person_zone,
    }
    for network, text in post.variants.items():
        initial[variant_field(network)] = text
    if post.scheduled_at and post.status != PostStatus.DRAFT:
        local = post.scheduled_at.astimezone(zone_named(initial["time_zone"]))
        initial.update(when=When.AT.value, date=local.date(), time=local.time().replace(second=0))
    return initial, {delivery.voice_id for delivery in post.deliveries.all()}


def _as_query(initial: dict[str, Any], chosen: set[int]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in initial.items():
        data[key] = str(value)
    data.setlist("voice", [str(pk) for pk in sorted(chosen)])
    return data


def _save_composed(
    request: MemberRequest, form: ComposerForm, editing: Post | None
) -> tuple[Post, str]:
    person, organization = request.user, request.organization
    wanted = voice_ids(request.POST)
    # Looked up everywhere, not only among the offered voices: a forged choice reaches the
    # service, which refuses it with the reason (403), and nothing is stored.
    chosen = list(Voice.objects.filter(pk__in=wanted).select_related("organization", "owner"))
    if len(chosen) < len(set(wanted)):
        raise ServiceError("One of the chosen voices no longer exists; choose again.")
    kept = kept_media(list(editing.media.all()), request.POST) if editing else []
    schedule = form.schedule()
    text = form.cleaned_data["text"]
    draft = form.draft(chosen, form.uploads(request.FILES, kept), previews.stored_card(text))
    if editing is not None:
        post = do_update_post(person, editing, draft, schedule)
    else:
        post = do_create_post(person, organization, draft, schedule)
    return post, _saved_message(post, schedule, viewer_zone(person))


def _saved_message(post: Post, schedule: Schedule, zone: ZoneInfo) -> str:
    if schedule.when == When.DRAFT:
        return "Saved as a draft."
    if schedule.when == When.NOW:
        return "On its way to be published."
    if post.scheduled_at is None:  # the review policy held it back
        return "Saved; it goes out once it is approved."
    if schedule.when == When.AT and schedule.local is not None:
        local = post.scheduled_at.astimezone(scheduling.zone(schedule.time_zone))
        return (
            f"Scheduled for {local:%a %-d %b %Y, %H:%M} ({schedule.time_zone}). "
            f"{post.schedule_note}"
        ).strip()
    local = post.scheduled_at.astimezone(zone)
    return f"Scheduled in the next free queue slot: {local:%a %-d %b %Y, %H:%M} ({zone.key})."


# ---- Live check and previews -----------------------------------------------------------------


@require_POST
@member_required
def check(request: MemberRequest) -> HttpResponse:
    """The composer's live fragment, asked for as the person types."""
    editing = None
    post_id = request.POST.get("editing", "")
    if post_id.isdigit():
        editing = Post.objects.filter(
            pk=int(post_id), author=request.user, organization=request.organization
        ).first()
    context = previews.composer_check(request.user, request.organization, request.POST, editing)
    return render(request, "publishing/_check.html", {"check": context, "oob": True})


@member_required
def link_preview(request: MemberRequest) -> HttpResponse:
    """The card of a link, fetched (within the limits of ``previews``) and cached for a day."""
    url = request.GET.get("url", "")
    card = previews.link_card(url) if url.startswith(("http://", "https://")) else None
    return render(request, "publishing/_link_card.html", {"card": card})


# ---- A post's page and what can be done to it ------------------------------------------------


@member_required
def post_detail(request: MemberRequest, pk: int) -> HttpResponse:
    person = request.user
    post = get_object_or_404(
        visible_posts(person, request.organization).select_related("author"), pk=pk
    )
    deliveries = list(post.deliveries.select_related("voice").order_by("pk"))
    statuses = {delivery.status for delivery in deliveries}
    mine = post.author_id == person.pk
    cancellable = can_cancel(person, post)
    context = {
        "post": post,
        "deliveries": deliveries,
        "history": [
            (event, HISTORY_WORDS.get(event.verb, event.verb.replace("_", " ")))
            for event in post.events.select_related("actor", "delivery__voice")
        ],
        "media": list(post.media.all()),
        "parts": post.parts(),
        "zone": viewer_zone(person),
        "may_cancel": cancellable and bool(statuses & NOT_GONE_OUT),
        "may_retry": mine and PostStatus.FAILED in statuses,
        "may_compose": mine and bool(statuses) and statuses <= NOT_GONE_OUT,
        "may_edit_published": mine and PostStatus.PUBLISHED in statuses,
        "may_delete": cancellable and PostStatus.PUBLISHED in statuses,
    }
    return render(request, "publishing/post.html", context)


def _post_action(
    request: MemberRequest, pk: int, act: Callable[[Post], int], said: Callable[[int], str]
) -> HttpResponse:
    """Run one of the post page's buttons through its service and say what happened."""
    post = _post_in_organization(request, pk)
    return act_and_say(request, lambda: said(act(post)), "publishing:post", post.pk)


def _voices(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


@require_POST
@member_required
def cancel(request: MemberRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda post: do_cancel(request.user, post, request.POST.get("reason", "")),
        lambda count: f"Cancelled: {_voices(count, 'voice')} will not post it.",
    )


@require_POST
@member_required
def retry(request: MemberRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda post: do_retry(request.user, post),
        lambda count: f"Trying again now ({count})." if count else "Nothing to retry.",
    )


@require_POST
@member_required
def delete(request: MemberRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda post: do_delete_published(request.user, post),
        lambda count: f"Taking it down from {_voices(count, 'network account')}.",
    )


@member_required
def edit(request: MemberRequest, pk: int) -> HttpResponse:
    """Change the words of a published post, carried to the networks that allow edits."""
    post = _post_in_organization(request, pk)
    form = EditPublishedForm(request.POST or None, initial={"text": post.text})
    if request.method == "POST" and form.is_valid():
        try:
            do_edit_published(request.user, post, form.cleaned_data["text"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Saved; the networks that allow edits will show the new text."
            )
            return redirect("publishing:post", post.pk)
    return render(request, "publishing/edit.html", {"post": post, "form": form})


# ---- Calendar --------------------------------------------------------------------------------


def _calendar(request: MemberRequest, query: QueryDict) -> dict[str, Any]:
    person, organization = request.user, request.organization
    zone = viewer_zone(person)
    params = calendar_grid.Params.read(query, timezone.now().astimezone(zone).date())
    start, end = params.span()
    posts = visible_posts(person, organization).filter(status__in=calendar_grid.SHOWN)
    posts = calendar_grid.within(posts, start, end, zone)
    if params.voice:
        posts = posts.filter(deliveries__voice_id=params.voice)
    if params.department:
        # A department's posts: through its feeds, or by its people.
        posts = posts.filter(
            Q(deliveries__voice__department_id=params.department)
            | Q(
                author__memberships__departments=params.department,
                author__memberships__organization=organization,
            )
        )
    if params.category:
        posts = posts.filter(category=params.category)
    posts = _with_deliveries(posts.distinct()).order_by("at", "pk")
    return {
        "params": params,
        "zone": zone,
        "grid": calendar_grid.build(params, list(posts), zone, person),
        "voices": Voice.objects.filter(organization=organization)
        .filter(Q(kind=VoiceKind.OFFICIAL) | Q(owner=person))
        .order_by("kind", "name"),
        "departments": organization.departments.all(),
        "categories": Category.choices,
    }


@member_required
def calendar(request: MemberRequest) -> HttpResponse:
    context = _calendar(request, request.GET)
    # A fragment for htmx's page turns; the whole page when htmx restores history.
    fragment = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "publishing/_calendar_grid.html" if fragment else "publishing/calendar.html"
    return render(request, template, context)


@require_POST
@member_required
def reschedule(request: MemberRequest, pk: int) -> HttpResponse:
    """Move a post on the calendar to a local day (keeping its time of day) or a day and hour."""
    post = _post_in_organization(request, pk)
    zone = viewer_zone(request.user)
    wants_fragment = request.content_type == "application/json" or bool(
        request.headers.get("HX-Request")
    )
    body: Any = request.POST
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
    said, status = _move(request.user, post, MoveForm(body), zone)
    if not wants_fragment:
        (messages.success if status == 200 else messages.error)(request, said)
        return redirect(f"{calendar_grid.calendar_url()}?{request.GET.urlencode()}")
    context = _calendar(request, request.GET)
    context.update(said=said, failed=status != 200)
    return render(request, "publishing/_calendar_grid.html", context, status=status)


def _move(person: Person, post: Post, form: MoveForm, zone: ZoneInfo) -> tuple[str, int]:
    if not form.is_valid():
        return "Give the new day (and time) to move the post to.", 400
    local_time = form.cleaned_data["time"]
    if local_time is None:
        if post.scheduled_at is None:
            return "This post has no time yet; give one.", 400
        local_time = post.scheduled_at.astimezone(zone).time()
    try:
        resolved = scheduling.to_utc(
            datetime.combine(form.cleaned_data["date"], local_time), zone.key
        )
        do_reschedule(person, post, resolved.at)
    except ServiceError as exc:
        return exc.message, 400
    local = resolved.at.astimezone(zone)
    return f"Moved to {local:%a %-d %b, %H:%M}. {resolved.note}".strip(), 200


# ---- A voice's queue -------------------------------------------------------------------------


@member_required
def queue(request: MemberRequest, voice_id: int) -> HttpResponse:
    """A voice's posting times (weekday and wall-clock time in the voice's time zone)."""
    voice = get_object_or_404(
        Voice.objects.select_related("owner", "organization"),
        pk=voice_id,
        organization=request.organization,
    )
    if voice.is_personal and voice.owner_id != request.user.pk:
        raise Http404  # a personal voice is its owner's alone, down to its posting times
    slots = [(slot.weekday, slot.time) for slot in voice.slots.all()]
    form = QueueForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        try:
            do_set_queue(request.user, voice, form.cleaned_data["slots"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Posting times saved.")
            return redirect("publishing:queue", voice.pk)
    voice_zone = scheduling.voice_time_zone(voice)
    return render(
        request,
        "publishing/queue.html",
        {
            "voice": voice,
            "form": form,
            "voice_zone": voice_zone,
            "zone": viewer_zone(request.user),
            "free": free_slots(voice),
        },
    )


# ---- Pages Cluetrain serves itself -----------------------------------------------------------


def entry(request: MemberRequest, key: str, index: int) -> HttpResponse:
    """The page of an item Cluetrain serves itself: a feed entry (public) or a practice post."""
    delivery = get_object_or_404(
        Delivery.objects.select_related("post", "voice", "organization"),
        key=key,
        status=PostStatus.PUBLISHED,
    )
    parts = delivery.post.parts(delivery.network)
    if not 0 <= index < len(parts):
        raise Http404
    if delivery.network == "practice":
        # The practice space never leaves Cluetrain: members only.
        if not request.user.is_authenticated or not policy.is_member(
            request.user, delivery.organization
        ):
            raise Http404
    elif delivery.network != "feed":
        return redirect(delivery.url) if delivery.url.startswith("http") else redirect("/")
    return render(
        request,
        "publishing/entry.html",
        {"delivery": delivery, "post": delivery.post, "text": parts[index], "index": index},
    )
