"""The roll-ups kept by differences: changes applied once, two runs adding nothing, a rebuild
giving what the incremental job gave, participation by week, and posting cadence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from cluetrain.core.errors import ServiceError
from cluetrain.insights import frequency, measures
from cluetrain.insights.measures import Period, Scope
from cluetrain.insights.rollup_models import RollupDay
from cluetrain.insights.rollups import buckets, maintain
from cluetrain.publishing.models import QueueSlot
from tests.conftest import Cast
from tests.support.insights import change, publish, react, talk

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday
MAY = Period(date(2026, 5, 1), date(2026, 5, 31), "UTC")


def snapshot() -> list[tuple]:
    return sorted(
        (r.kind, r.organization_id, r.day, r.department_id, r.voice_id, r.person_id, r.counts)
        for r in RollupDay.objects.all()
    )


def test_a_resolution_later_is_applied_as_the_difference(cast: Cast) -> None:
    c = talk(cast.acme, AT, responded_after=20)
    maintain.catch_up()
    scope = Scope(cast.acme.pk)
    assert measures.conversation_measures(scope, MAY).resolved == 0
    change(c, resolved_at=AT + timedelta(hours=2), status="resolved", department=cast.care)
    maintain.catch_up()
    m = measures.conversation_measures(scope, MAY)
    assert (m.opened, m.resolved) == (1, 1)
    assert m.resolution_median_min == 122.5  # the middle of the 5-minute bucket [120, 125)
    care = measures.conversation_measures(Scope(cast.acme.pk, department_id=cast.care.pk), MAY)
    assert care.opened == 1


def test_running_the_job_twice_or_over_the_same_changes_adds_nothing(cast: Cast) -> None:
    talk(cast.acme, AT, responded_after=20, replier=cast.member)
    maintain.catch_up()
    before = snapshot()
    maintain.catch_up()
    assert snapshot() == before
    # As if a crash had lost the cursors after the counts were applied.
    from cluetrain.insights.rollup_models import RollupCursor

    RollupCursor.objects.exclude(name="lock").filter(name__in=["conversation", "event"]).delete()
    maintain.catch_up()
    assert snapshot() == before


def test_a_rebuild_gives_what_the_incremental_job_gave(cast: Cast) -> None:
    talk(cast.acme, AT, responded_after=3, resolved_after=40, replier=cast.member)
    maintain.catch_up()
    second = talk(cast.acme, AT + timedelta(days=1), responded_after=90, replier=cast.mentor)
    delivery = publish(cast.care_voice, cast.mentor, AT, likes=4)
    maintain.catch_up()
    change(second, resolved_at=AT + timedelta(days=2), status="resolved")
    react(delivery, likes=9, replies=2)
    maintain.catch_up()
    incremental = snapshot()
    out = StringIO()
    call_command("insights", "rebuild", "--organization", "acme", stdout=out)
    assert "conversations=2" in out.getvalue()
    assert snapshot() == incremental
    assert measures.post_engagement(Scope(cast.acme.pk), MAY).engagement == 11


def test_rebuild_refuses_an_unknown_organisation(cast: Cast) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation"):
        call_command("insights", "rebuild", "--organization", "<nope>")


def test_participation_counts_people_per_week_and_who_spoke_first(cast: Cast) -> None:
    talk(cast.acme, AT - timedelta(days=14), responded_after=5, replier=cast.member)
    talk(cast.acme, AT, responded_after=5, replier=cast.member)
    talk(cast.acme, AT + timedelta(days=1), responded_after=5, replier=cast.mentor)
    publish(cast.care_voice, cast.trainee, AT + timedelta(days=8))
    period = Period(date(2026, 5, 4), date(2026, 5, 17), "UTC")
    maintain.catch_up()
    for rollups in (True, False):
        p = measures.participation(Scope(cast.acme.pk), period, rollups=rollups)
        assert [(w.week_start, w.people, w.new_people) for w in p.weeks] == [
            (date(2026, 5, 4), 2, 1),
            (date(2026, 5, 11), 1, 1),
        ]
        assert (p.people, p.replies_people, p.posts_people) == (3, 2, 1)


def test_a_recommended_cadence_is_where_engagement_per_post_falls_off() -> None:
    # Two weeks each at 2, 4 and 8 posts: 10, 9 and 3 reactions a post.
    weeks = [(2, 20), (2, 20), (4, 36), (4, 36), (8, 24), (8, 24)]
    assert frequency.recommended_cadence(weeks) == 4
    assert frequency.recommended_cadence([(3, 9)]) is None
    assert frequency.recommended_cadence([]) is None


def test_best_slots_need_enough_posts_and_feed_the_queue(cast: Cast) -> None:
    for week in range(3):
        monday = AT + timedelta(weeks=week)
        publish(cast.care_voice, cast.mentor, monday, likes=30)  # Monday 09:00
        publish(cast.care_voice, cast.mentor, monday + timedelta(days=2, hours=5), likes=5)
    publish(cast.care_voice, cast.mentor, AT + timedelta(hours=3), likes=500)  # only once
    maintain.catch_up()
    result = measures.frequency(Scope(cast.acme.pk), MAY)
    (voice,) = result.voices
    assert voice.best_slots == [(0, 9), (2, 14)]
    assert result.heat[0][9].posts == 3
    assert result.heat[0][9].engagement_per_post == 30
    assert measures.frequency(Scope(cast.acme.pk), MAY, rollups=False) == result
    with pytest.raises(Exception, match="cannot change"):
        frequency.do_apply_recommended_slots(cast.trainee, cast.care_voice, MAY)
    slots = frequency.do_apply_recommended_slots(cast.director, cast.care_voice, MAY)
    assert sorted((s.weekday, s.time.hour) for s in slots) == [(0, 9), (2, 14)]
    assert QueueSlot.objects.filter(voice=cast.care_voice).count() == 2


def test_a_voice_without_posts_gets_no_slots(cast: Cast) -> None:
    maintain.catch_up()
    with pytest.raises(ServiceError, match="not posted enough"):
        frequency.do_apply_recommended_slots(cast.director, cast.care_voice, MAY)


def test_buckets_are_fine_under_an_hour_and_coarse_later() -> None:
    assert buckets.bucket_of(0) == 0
    assert buckets.bucket_of(59.9) == 59
    assert buckets.middle_of(buckets.bucket_of(61)) == 62.5
    assert buckets.middle_of(buckets.bucket_of(10**9)) == buckets.OVERFLOW_MINUTES
    assert buckets.percentile({}, 0.5) is None
    values = [1.5, 7.2, 33.3, 75, 300, 2000, 9000]
    histogram = buckets.merge([{str(buckets.bucket_of(v)): 1} for v in values])
    for fraction in (0.5, 0.9):
        exact = buckets.exact_percentile(values, fraction)
        read = buckets.percentile(histogram, fraction)
        assert exact is not None
        assert read is not None
        assert abs(read - exact) <= buckets.width_of(buckets.bucket_of(exact)) / 2


def test_the_worker_runs_the_roll_ups_every_thirty_seconds() -> None:
    from cluetrain.core.jobs import PERIODIC

    assert PERIODIC.get("cluetrain.insights.tasks.update_rollups") == 30


def test_the_update_command_applies_what_changed_and_then_nothing(cast: Cast) -> None:
    talk(cast.acme, AT, responded_after=20, replier=cast.member)
    out = StringIO()
    call_command("insights", "update", stdout=out)
    assert "messages=2" in out.getvalue()
    again = StringIO()
    call_command("insights", "update", stdout=again)
    assert "messages=0" in again.getvalue()
    assert measures.participation(Scope(cast.acme.pk), MAY).people == 1


def test_an_untriaged_message_holds_the_cursor_until_triage_threads_it(cast: Cast) -> None:
    from cluetrain.listening.models import Message

    c = talk(cast.acme, AT, responded_after=20, replier=cast.member)
    Message.objects.filter(conversation=c, direction="in").update(triaged_at=None)
    assert maintain.catch_up()["messages"] == 0
    Message.objects.filter(conversation=c).update(triaged_at=AT)
    assert maintain.catch_up()["messages"] == 2
