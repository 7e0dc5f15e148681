"""Declaring an incident pauses what it covers, at once; people decide what happens next."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.crisis import pausing, services
from cluetrain.crisis.models import (
    IncidentStatus,
    PausedDelivery,
    PauseStatus,
    Runbook,
    TimelineEvent,
)
from cluetrain.crisis.services import Declaration
from cluetrain.publishing import dispatch, recording, recovery
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post, do_retry
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind
from tests.conftest import Cast


@pytest.fixture(autouse=True)
def _fresh_policy_cache() -> None:
    dispatch._allowed.clear()


def official(cast: Cast, handle: str, *, network: str = Network.PRACTICE, **extra: object) -> Voice:
    voice, _ = Voice.objects.get_or_create(
        organization=cast.acme,
        network=network,
        handle=handle,
        defaults={"kind": VoiceKind.OFFICIAL, "name": f"Acme {handle}", **extra},
    )
    VoiceAccess.objects.get_or_create(voice=voice, person=cast.mentor)
    return voice


def schedule(
    cast: Cast,
    voice: Voice,
    text: str = "Autumn sale: 20% off every ticket",
    *,
    category: str = Category.MARKETING,
    minutes: int = 30,
) -> Post:
    """A post by the mentor (who publishes without review) due in ``minutes``."""
    when = Schedule(When.NOW) if minutes <= 0 else Schedule(When.AT)
    if minutes > 0:
        local = (timezone.now() + timedelta(minutes=minutes)).replace(tzinfo=None)
        when = Schedule(When.AT, local=local, time_zone="UTC")
    return do_create_post(
        cast.mentor, cast.acme, Draft(text=text, voices=[voice], category=category), when
    )


def declare(cast: Cast, **fields: object) -> tuple[services.Incident, pausing.Paused]:  # type: ignore[name-defined]
    return services.do_declare_incident(
        cast.operations, cast.acme, Declaration(title="Signal failure at Central", **fields)
    )


def status_of(post: Post) -> str:
    return Delivery.objects.get(post=post).status


def test_declaring_pauses_scheduled_marketing_and_announcements_but_not_operations(
    cast: Cast,
) -> None:
    voice = official(cast, "@acme.news")
    sale = schedule(cast, voice)
    news = schedule(cast, voice, "New timetable from May", category=Category.ANNOUNCEMENT)
    service = schedule(cast, voice, "Lifts at Central are back", category=Category.OPERATIONAL)
    incident, paused = declare(cast)
    assert paused == pausing.Paused(paused=2, sent_before=0)
    assert status_of(sale) == status_of(news) == PostStatus.PAUSED
    assert status_of(service) == PostStatus.SCHEDULED
    sale.refresh_from_db()
    assert sale.status == PostStatus.PAUSED
    assert set(incident.paused.values_list("status", flat=True)) == {PauseStatus.PAUSED}
    assert TimelineEvent.objects.filter(incident=incident, verb="paused").exists()


def test_a_claimed_delivery_is_paused_and_its_worker_never_calls(cast: Cast) -> None:
    voice = official(cast, "@acme.offers")
    post = schedule(cast, voice, minutes=0)
    [pk] = dispatch.claim("worker-a")
    assert status_of(post) == PostStatus.PUBLISHING
    declare(cast)
    assert dispatch.publish_one(pk, "worker-a") == "skipped"
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.status == PostStatus.PAUSED
    assert delivery.called_at is None
    assert delivery.claim_token == ""


def test_a_call_already_in_flight_is_listed_as_sent_before_the_pause(cast: Cast) -> None:
    voice = official(cast, "@acme.flight")
    post = schedule(cast, voice, minutes=0)
    [pk] = dispatch.claim("worker-a")
    delivery = Delivery.objects.get(pk=pk)
    now = timezone.now()
    lease = timedelta(seconds=120)
    assert dispatch._stamp_call(delivery, "worker-a", now, now + lease)
    incident, paused = declare(cast)
    assert paused == pausing.Paused(paused=0, sent_before=1)
    record = incident.paused.get()
    assert record.status == PauseStatus.SENT_BEFORE_PAUSE
    assert record.called_at is not None
    # The worker records its result as usual: the post did go out.
    recording.record(delivery, "worker-a", [])
    assert status_of(post) == PostStatus.PUBLISHED


def test_a_claim_with_an_earlier_attempts_call_is_still_paused(cast: Cast) -> None:
    """``called_at`` left by an earlier attempt does not make a new claim look in flight."""
    voice = official(cast, "@acme.retry")
    post = schedule(cast, voice, minutes=0)
    Delivery.objects.filter(post=post).update(called_at=timezone.now() - timedelta(minutes=2))
    dispatch.claim("worker-a")
    _, paused = declare(cast)
    assert paused == pausing.Paused(paused=1, sent_before=0)
    assert status_of(post) == PostStatus.PAUSED


def test_scope_is_honoured_a_post_outside_it_goes_out(cast: Cast) -> None:
    inside = official(cast, "@acme.care.offers", department=cast.care)
    outside = official(cast, "@acme.freight")
    mastodon_side = official(cast, "@acme.masto", network=Network.FEED)
    a = schedule(cast, inside, minutes=0)
    b = schedule(cast, outside, minutes=0)
    c = schedule(cast, mastodon_side, minutes=0)
    incident, paused = declare(cast, whole_organization=False, departments=[cast.care])
    assert paused.paused == 1
    assert status_of(a) == PostStatus.PAUSED
    assert dispatch.run_due() >= 2
    assert status_of(b) == PostStatus.PUBLISHED
    assert status_of(c) == PostStatus.PUBLISHED
    assert status_of(a) == PostStatus.PAUSED
    assert (
        "department Customer care"
        in TimelineEvent.objects.get(incident=incident, verb="declared").message
    )


def test_scope_by_network_and_by_voice(cast: Cast) -> None:
    feed = official(cast, "@acme.feed", network=Network.FEED)
    practice = official(cast, "@acme.practice")
    named = official(cast, "@acme.named")
    on_feed, on_practice, on_named = (schedule(cast, v) for v in (feed, practice, named))
    declare(cast, whole_organization=False, networks=[Network.FEED], voices=[named])
    assert status_of(on_feed) == PostStatus.PAUSED
    assert status_of(on_named) == PostStatus.PAUSED
    assert status_of(on_practice) == PostStatus.SCHEDULED


def test_the_runbook_chooses_the_paused_categories(cast: Cast) -> None:
    Runbook.objects.update_or_create(
        organization=cast.acme, defaults={"paused_categories": [Category.CUSTOMER_CARE]}
    )
    voice = official(cast, "@acme.cats")
    sale = schedule(cast, voice)
    care = schedule(cast, voice, "We are here to help", category=Category.CUSTOMER_CARE)
    declare(cast)
    assert status_of(sale) == PostStatus.SCHEDULED
    assert status_of(care) == PostStatus.PAUSED


def test_a_post_scheduled_during_the_incident_is_paused_as_it_is_scheduled(cast: Cast) -> None:
    voice = official(cast, "@acme.late")
    incident, _ = declare(cast)
    post = schedule(cast, voice, minutes=0)
    assert status_of(post) == PostStatus.PAUSED
    assert dispatch.run_due() == 0
    assert incident.paused.get().delivery.post_id == post.pk


def test_a_retry_during_the_incident_is_paused(cast: Cast) -> None:
    voice = official(cast, "@acme.failed")
    post = schedule(cast, voice, minutes=0)
    Delivery.objects.filter(post=post).update(status=PostStatus.FAILED)
    declare(cast)
    do_retry(cast.mentor, post)
    assert status_of(post) == PostStatus.PAUSED


def test_a_recovered_claim_during_the_incident_is_paused(cast: Cast) -> None:
    voice = official(cast, "@acme.crashed")
    post = schedule(cast, voice, minutes=0)
    [pk] = dispatch.claim("dead-worker")
    now = timezone.now()
    Delivery.objects.filter(pk=pk).update(
        called_at=now - timedelta(minutes=5), claimed_until=now - timedelta(minutes=3)
    )
    # Its call started before the declaration: listed, not stopped (it may be out already).
    incident, paused = declare(cast)
    assert paused.sent_before == 1
    assert recovery.reclaim_stale() == 1
    # Put back to be tried again, it now waits for a person's decision.
    assert status_of(post) == PostStatus.PAUSED
    assert incident.paused.get(delivery_id=pk).status == PauseStatus.PAUSED


def test_a_member_cannot_declare_and_nothing_is_paused(cast: Cast) -> None:
    voice = official(cast, "@acme.member")
    post = schedule(cast, voice)
    with pytest.raises(NotAllowed):
        services.do_declare_incident(cast.member, cast.acme, Declaration(title="Not mine"))
    with pytest.raises(NotAllowed):
        services.do_declare_incident(cast.outsider, cast.acme, Declaration(title="Not mine"))
    assert status_of(post) == PostStatus.SCHEDULED


@pytest.mark.parametrize("who", ["director", "coordinator", "operations"])
def test_directors_coordinators_and_operations_may_declare(cast: Cast, who: str) -> None:
    incident, _ = services.do_declare_incident(
        getattr(cast, who), cast.acme, Declaration(title="Flooding")
    )
    assert incident.status == IncidentStatus.OPEN


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Fire", "severity": "apocalyptic"}, "severity"),
        ({"title": "Fire", "whole_organization": False}, "scope"),
        ({"title": "Fire", "whole_organization": False, "networks": ["myspace"]}, "networks"),
    ],
)
def test_bad_declarations_are_refused(cast: Cast, fields: dict[str, object], code: str) -> None:
    with pytest.raises(ServiceError) as caught:
        services.do_declare_incident(cast.director, cast.acme, Declaration(**fields))  # type: ignore[arg-type]
    assert caught.value.code == code


def test_another_organisations_department_cannot_be_in_scope(cast: Cast) -> None:
    from cluetrain.organizations.models import Department

    theirs = Department.objects.create(organization=cast.globex, name="Ops", slug="ops")
    with pytest.raises(ServiceError):
        declare(cast, whole_organization=False, departments=[theirs])


def test_ending_proposes_a_plan_and_resumes_nothing_by_itself(cast: Cast) -> None:
    voice = official(cast, "@acme.plan")
    soon = schedule(cast, voice, "Due soon", minutes=1)
    later = schedule(cast, voice, "Due tomorrow", minutes=24 * 60)
    incident, _ = declare(cast)
    plan = services.do_end_incident(cast.director, incident)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ENDED
    assert status_of(soon) == status_of(later) == PostStatus.PAUSED
    by_post = {line.pause.delivery.post_id: line for line in plan}
    assert by_post[later.pk].moved is False
    assert by_post[soon.pk].moved is True
    assert by_post[soon.pk].at >= timezone.now() + pausing.PLAN_START - timedelta(seconds=5)
    assert services.do_resume_by_plan(cast.director, incident) == 2
    assert status_of(soon) == status_of(later) == PostStatus.SCHEDULED
    due = Delivery.objects.get(post=later).due_at
    assert due is not None
    assert due > timezone.now() + timedelta(hours=23)
    with pytest.raises(ServiceError):
        services.do_end_incident(cast.director, incident)


def test_a_plan_spreads_one_voices_overdue_posts_apart(cast: Cast) -> None:
    voice = official(cast, "@acme.burst")
    posts = [schedule(cast, voice, f"Offer {i}", minutes=1) for i in range(3)]
    incident, _ = declare(cast)
    services.do_end_incident(cast.director, incident)
    times = sorted(line.at for line in pausing.resume_plan(incident))
    assert len(times) == len(posts)
    assert all(b - a == pausing.PLAN_SPACING for a, b in itertools.pairwise(times))


def test_resume_reschedule_and_cancel_one_by_one(cast: Cast) -> None:
    voice = official(cast, "@acme.one")
    a, b, c = (schedule(cast, voice, f"Offer {name}") for name in "abc")
    incident, _ = declare(cast)
    pause = {p.delivery.post_id: p.pk for p in incident.paused.select_related("delivery")}
    assert services.do_decide(cast.operations, incident, "resume", [pause[a.pk]]) == 1
    at = timezone.now() + timedelta(days=2)
    assert services.do_decide(cast.operations, incident, "reschedule", [pause[b.pk]], at=at) == 1
    assert services.do_decide(cast.operations, incident, "cancel", [pause[c.pk]]) == 1
    assert status_of(a) == status_of(b) == PostStatus.SCHEDULED
    assert Delivery.objects.get(post=b).due_at == at
    assert status_of(c) == PostStatus.CANCELLED
    states = dict(
        PausedDelivery.objects.filter(incident=incident).values_list("delivery__post_id", "status")
    )
    assert states == {
        a.pk: PauseStatus.RESUMED,
        b.pk: PauseStatus.RESCHEDULED,
        c.pk: PauseStatus.CANCELLED,
    }
    # Decided once: deciding again finds nothing.
    with pytest.raises(ServiceError):
        services.do_decide(cast.operations, incident, "cancel", [pause[a.pk]])
    # A person's decision stands while the incident lasts: a resumed post is not paused again.
    assert status_of(a) == PostStatus.SCHEDULED


def test_deciding_refuses_bad_input_and_members(cast: Cast) -> None:
    voice = official(cast, "@acme.bad")
    schedule(cast, voice)
    incident, _ = declare(cast)
    with pytest.raises(ServiceError):
        services.do_decide(cast.director, incident, "explode")
    with pytest.raises(ServiceError):
        services.do_decide(cast.director, incident, "reschedule", at=timezone.now())
    with pytest.raises(ServiceError):
        services.do_decide(
            cast.director, incident, "reschedule", at=timezone.now().replace(tzinfo=None)
        )
    with pytest.raises(NotAllowed):
        services.do_decide(cast.member, incident, "resume")
    assert incident.paused.filter(status=PauseStatus.PAUSED).count() == 1


def test_resuming_all_during_one_incident_leaves_another_incidents_pause(cast: Cast) -> None:
    voice = official(cast, "@acme.two")
    post = schedule(cast, voice)
    first, _ = declare(cast)
    second, paused = services.do_declare_incident(
        cast.director, cast.acme, Declaration(title="Second")
    )
    assert paused.paused == 0  # already paused by the first
    assert services.do_decide(cast.director, first, "resume") == 1
    # The second incident still covers it: paused again, under the second.
    assert status_of(post) == PostStatus.PAUSED
    assert second.paused.get().status == PauseStatus.PAUSED


def test_widening_the_scope_pauses_what_it_adds(cast: Cast) -> None:
    inside = official(cast, "@acme.w1", department=cast.care)
    outside = official(cast, "@acme.w2")
    a, b = schedule(cast, inside), schedule(cast, outside)
    incident, _ = declare(cast, whole_organization=False, departments=[cast.care])
    assert status_of(b) == PostStatus.SCHEDULED
    services.do_update_incident(
        cast.operations, incident, Declaration(title="Signal failure, wider")
    )
    assert status_of(a) == status_of(b) == PostStatus.PAUSED
    assert TimelineEvent.objects.filter(incident=incident, verb="updated").exists()
