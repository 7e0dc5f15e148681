"""Writing, scheduling and changing posts. UI, API, CLI and tasks all come through here.

A draft is checked whole first (``publishing.drafts``), then stored whole (post, media,
deliveries, history) or not at all. Whatever makes deliveries due here gives way to crisis mode
in the same transaction (``publishing.incidents``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.publishing import gate, incidents, scheduling
from cluetrain.publishing.drafts import CheckedDraft, Draft, check_draft, check_url, check_voices
from cluetrain.publishing.models import (
    FINISHED,
    Delivery,
    Post,
    PostEvent,
    PostMedia,
    PostStatus,
    QueueSlot,
)
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.status import refresh_status
from cluetrain.publishing.text import fingerprint
from cluetrain.voices.models import Voice


def _due_times(voices: list[Voice], schedule: Schedule) -> tuple[dict[int, datetime], str]:
    """When each voice's delivery goes out, and a note for the person (DST adjustments)."""
    now = timezone.now()
    if schedule.when == When.NOW:
        return dict.fromkeys((voice.pk for voice in voices), now), ""
    if schedule.when == When.AT:
        if schedule.local is None:
            raise ServiceError("Say when to publish.", code="when")
        resolved = scheduling.to_utc(schedule.local, schedule.time_zone)
        at = scheduling.check_future(resolved.at, now)
        return dict.fromkeys((voice.pk for voice in voices), at), resolved.note
    if schedule.when == When.SLOT:
        due = {}
        for voice in voices:
            slots = [(s.weekday, s.time) for s in QueueSlot.objects.filter(voice=voice)]
            taken = set(
                Delivery.objects.filter(
                    voice=voice, status__in=[PostStatus.SCHEDULED, PostStatus.PAUSED]
                ).values_list("due_at", flat=True)
            )
            due[voice.pk] = scheduling.next_free_slot(
                slots, scheduling.voice_time_zone(voice), {t for t in taken if t}, now
            )
        return due, ""
    raise ServiceError(f"{schedule.when!r} is not a way to schedule.", code="when")


def record_event(
    post: Post,
    verb: str,
    message: str = "",
    *,
    actor: Person | None = None,
    delivery: Delivery | None = None,
) -> PostEvent:
    return PostEvent.objects.create(
        post=post, delivery=delivery, actor=actor, verb=verb, message=message[:2000]
    )


def _keep_check(post: Post, checked: CheckedDraft, person: Person, draft: Draft) -> None:
    post.check_verdict = checked.guidelines.verdict
    post.check_version = checked.guidelines.version
    post.findings = checked.guidelines.findings
    post.override_reason = (
        draft.override_reason.strip() if checked.guidelines.verdict == "block" else ""
    )
    if post.override_reason:
        gate.record_override(person, post.organization, post, post.override_reason)


def do_create_post(
    person: Person, organization: Organization, draft: Draft, schedule: Schedule | None = None
) -> Post:
    """Check and store a post with its deliveries; schedule it unless it stays a draft."""
    schedule = schedule or Schedule()
    checked = check_draft(person, organization, draft)
    due, note = _due_times(checked.voices, schedule) if schedule.when != When.DRAFT else ({}, "")
    scheduling.zone(schedule.time_zone)
    with transaction.atomic():
        post = Post.objects.create(
            organization=organization,
            author=person,
            text=checked.text,
            variants=checked.variants,
            category=draft.category,
            title=draft.title.strip(),
            visibility=draft.visibility,
            content_warning=draft.content_warning.strip(),
            reply_to_url=check_url(draft.reply_to_url, "post to reply to"),
            quote_url=check_url(draft.quote_url, "post to quote"),
            link_preview=draft.link_preview or {},
            time_zone=schedule.time_zone,
            media_count=len(checked.images),
        )
        _keep_check(post, checked, person, draft)
        post.save(update_fields=["check_verdict", "check_version", "findings", "override_reason"])
        _save_media(post, checked)
        Delivery.objects.bulk_create(
            Delivery(
                post=post,
                voice=voice,
                organization=organization,
                network=voice.network,
                text_hash=fingerprint(checked.variants.get(voice.network) or checked.text),
            )
            for voice in checked.voices
        )
        record_event(post, "created", actor=person)
        if schedule.when != When.DRAFT:
            _schedule(person, post, due, note)
    return post


def _save_media(post: Post, checked: CheckedDraft) -> None:
    for position, (image, alt_text, name) in enumerate(checked.images):
        media = PostMedia(
            post=post,
            alt_text=alt_text,
            content_type=image.content_type,
            size=len(image.data),
            width=image.width,
            height=image.height,
            position=position,
        )
        media.file.save(f"{name or 'image'}.{image.suffix}", ContentFile(image.data), save=False)
        media.save()


# States in which a post may still be changed in place: nothing has been sent.
CHANGEABLE = (PostStatus.DRAFT, PostStatus.REVIEW, PostStatus.SCHEDULED, PostStatus.PAUSED)


def do_update_post(person: Person, post: Post, draft: Draft, schedule: Schedule) -> Post:
    """Change a post that has not gone out: its text, voices, media and time, all or nothing.

    Deliveries of voices that stay keep their idempotency keys (nothing was sent under them);
    voices dropped lose theirs, voices added get new ones. The images are replaced by
    ``draft.media`` (the composer sends the kept ones again).
    """
    require_author(person, post)
    checked = check_draft(person, post.organization, draft)
    due, note = _due_times(checked.voices, schedule) if schedule.when != When.DRAFT else ({}, "")
    scheduling.zone(schedule.time_zone)
    with transaction.atomic():
        incidents.guard(post.organization_id)
        post = Post.objects.select_for_update().get(pk=post.pk)
        deliveries = {d.voice_id: d for d in post.deliveries.select_for_update()}
        if any(d.status not in CHANGEABLE for d in deliveries.values()):
            raise ServiceError(
                "Part of this post is already going out or done; change it from its page.",
                code="started",
            )
        wanted = {voice.pk: voice for voice in checked.voices}
        Delivery.objects.filter(post=post).exclude(voice_id__in=wanted).delete()
        Delivery.objects.bulk_create(
            Delivery(post=post, voice=voice, organization=post.organization, network=voice.network)
            for pk, voice in wanted.items()
            if pk not in deliveries
        )
        for voice in checked.voices:
            Delivery.objects.filter(post=post, voice=voice).update(
                text_hash=fingerprint(checked.variants.get(voice.network) or checked.text),
                status=PostStatus.DRAFT,
                due_at=None,
            )
        post.text, post.variants = checked.text, checked.variants
        post.category, post.title = draft.category, draft.title.strip()
        post.visibility, post.content_warning = draft.visibility, draft.content_warning.strip()
        post.reply_to_url = check_url(draft.reply_to_url, "post to reply to")
        post.quote_url = check_url(draft.quote_url, "post to quote")
        post.link_preview = draft.link_preview or {}
        post.time_zone, post.media_count = schedule.time_zone, len(checked.images)
        post.scheduled_at = None
        _keep_check(post, checked, person, draft)
        post.save()
        for media in post.media.all():
            media.file.delete(save=False)
        post.media.all().delete()
        _save_media(post, checked)
        record_event(post, "edited", actor=person)
        if schedule.when == When.DRAFT:
            refresh_status(post)
        else:
            _schedule(person, post, due, note)
    return post


def _schedule(person: Person, post: Post, due: dict[int, datetime], note: str = "") -> None:
    reason = gate.review_reason(person, post)
    status = PostStatus.REVIEW if reason else PostStatus.SCHEDULED
    for voice_id, at in due.items():
        Delivery.objects.filter(post=post, voice_id=voice_id).update(status=status, due_at=at)
    post.scheduled_at = min(due.values())
    post.save(update_fields=["scheduled_at", "updated_at"])
    # Said back to the person by whatever asked (a DST adjustment, for instance).
    post.schedule_note = note
    if status == PostStatus.SCHEDULED:
        incidents.hold_post(post)
    refresh_status(post)
    when = "now" if post.scheduled_at <= timezone.now() + timedelta(seconds=5) else "for later"
    if reason:
        from cluetrain.reviews.services import do_request_review

        record_event(
            post, "scheduled", f"Planned {when}, once approved. {note}".strip(), actor=person
        )
        do_request_review(post, reason)
        post.schedule_note = f"{reason} {note}".strip()
    else:
        record_event(post, "scheduled", f"Scheduled {when}. {note}".strip(), actor=person)


def release_reviewed(post: Post, reviewer: Person) -> int:
    """A reviewer approved the post: it goes out at its planned time (now if that has passed)."""
    now = timezone.now()
    with transaction.atomic():
        waiting = list(post.deliveries.filter(status=PostStatus.REVIEW))
        for delivery in waiting:
            delivery.status = PostStatus.SCHEDULED
            delivery.due_at = max(delivery.due_at or now, now)
        Delivery.objects.bulk_update(waiting, ["status", "due_at"])
        if waiting:
            incidents.hold_post(post)
            post.scheduled_at = min(d.due_at for d in waiting if d.due_at)
            post.save(update_fields=["scheduled_at", "updated_at"])
            refresh_status(post)
            record_event(post, "approved", "Approved; scheduled.", actor=reviewer)
    return len(waiting)


def return_to_draft(
    post: Post, reviewer: Person | None, comment: str = "", *, verb: str = "changes_requested"
) -> int:
    """The post goes back to its author as a draft: a reviewer asked for changes, or nobody
    reviewed it in time (``reviewer`` None, ``verb`` "review_expired")."""
    with transaction.atomic():
        count = post.deliveries.filter(status=PostStatus.REVIEW).update(
            status=PostStatus.DRAFT, due_at=None
        )
        if count:
            Post.objects.filter(pk=post.pk).update(scheduled_at=None)
            refresh_status(post)
            record_event(post, verb, comment.strip()[:2000], actor=reviewer)
    return count


def require_author(person: Person, post: Post) -> None:
    if post.author_id != person.pk:
        raise NotAllowed("Only the author of a post can change it.")
    policy.require(person, post.organization, Permission.VIEW_ORGANIZATION)


def do_schedule(person: Person, post: Post, schedule: Schedule) -> Post:
    """Schedule a draft (or re-schedule a post that has not gone out yet)."""
    require_author(person, post)
    if schedule.when == When.DRAFT:
        raise ServiceError("Choose when to publish.", code="when")
    with transaction.atomic():
        incidents.guard(post.organization_id)
        post = Post.objects.select_for_update().get(pk=post.pk)
        deliveries = list(post.deliveries.select_related("voice", "voice__owner"))
        if any(d.status not in (PostStatus.DRAFT, PostStatus.SCHEDULED) for d in deliveries):
            raise ServiceError("This post is already going out or done; it cannot be rescheduled.")
        voices = check_voices(person, post.organization, [d.voice for d in deliveries])
        due, note = _due_times(voices, schedule)
        post.time_zone = schedule.time_zone
        post.save(update_fields=["time_zone"])
        _schedule(person, post, due, note)
    return post


def do_reschedule(person: Person, post: Post, at: datetime) -> Post:
    """Move a scheduled post to another moment (the calendar's drag and drop)."""
    require_author(person, post)
    if timezone.is_naive(at):
        raise ServiceError("A new time must carry its time zone.", code="when")
    at = scheduling.check_future(at)
    with transaction.atomic():
        moved = Delivery.objects.filter(
            post=post, status__in=[PostStatus.SCHEDULED, PostStatus.PAUSED]
        ).update(due_at=at)
        if not moved:
            raise ServiceError("Only a post that has not gone out yet can be moved.")
        Post.objects.filter(pk=post.pk).update(scheduled_at=at)
        post.scheduled_at = at
        record_event(post, "rescheduled", f"Moved to {at:%Y-%m-%d %H:%M} UTC.", actor=person)
    return post


def can_cancel(person: Person, post: Post) -> bool:
    if post.author_id == person.pk:
        return True
    # A coordinator may stop what goes out through official voices, never a personal one.
    return policy.can(person, post.organization, Permission.MANAGE_OFFICIAL_VOICES) and not any(
        d.voice.is_personal for d in post.deliveries.select_related("voice")
    )


def do_cancel(person: Person, post: Post, reason: str = "") -> int:
    """Cancel every delivery of the post that has not started; returns how many."""
    if not can_cancel(person, post):
        raise NotAllowed("You cannot cancel this post.")
    with transaction.atomic():
        count = Delivery.objects.filter(
            post=post,
            status__in=[
                PostStatus.DRAFT,
                PostStatus.REVIEW,
                PostStatus.SCHEDULED,
                PostStatus.PAUSED,
            ],
        ).update(status=PostStatus.CANCELLED, claim_token="")
        if not count:
            raise ServiceError("Nothing left to cancel: the post has gone out or is going out.")
        from cluetrain.reviews.services import do_withdraw_reviews

        do_withdraw_reviews(post, person)
        refresh_status(post)
        record_event(post, "cancelled", reason.strip()[:500], actor=person)
        audit.record(post.organization, person, "post.cancelled", post, deliveries=count)
    return count


def do_retry(person: Person, post: Post) -> int:
    """Try the failed deliveries of a post again, now."""
    require_author(person, post)
    with transaction.atomic():
        failed = list(post.deliveries.filter(status=PostStatus.FAILED).select_related("voice"))
        if not failed:
            raise ServiceError(
                "Nothing to retry: no delivery of this post has failed.", code="nothing_to_retry"
            )
        check_voices(person, post.organization, [d.voice for d in failed])
        count = Delivery.objects.filter(pk__in=[d.pk for d in failed]).update(
            status=PostStatus.SCHEDULED, due_at=timezone.now(), error="", error_code="", attempts=0
        )
        if count:
            incidents.hold_post(post)
            refresh_status(post)
            record_event(post, "retried", f"{count} to try again.", actor=person)
    return count


def visible_posts(person: Person, organization: Organization) -> QuerySet[Post]:
    """Posts a member sees: their own, and everything through official voices."""
    from django.db.models import Q

    if not policy.is_member(person, organization):
        return Post.objects.none()
    return (
        Post.objects.filter(organization=organization)
        .filter(Q(author=person) | Q(deliveries__voice__kind="official"))
        .distinct()
    )


def do_publish(person: Person, voice: Voice, text: str) -> Post:
    """Publish ``text`` through one voice now: the short path of the composer, API and CLI."""
    return do_create_post(
        person, voice.organization, Draft(text=text, voices=[voice]), Schedule(When.NOW)
    )


__all__ = [
    "FINISHED",
    "do_cancel",
    "do_create_post",
    "do_publish",
    "do_reschedule",
    "do_retry",
    "do_schedule",
]
