"""Campaigns: a plan (dates, voices, posts, engagement, effort) against what happened."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cluetrain.campaigns import execution, services
from cluetrain.campaigns.models import CampaignPost, HourlyRate
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.roles import Role
from cluetrain.publishing.models import Post
from tests.conftest import Cast
from tests.support import campaigns as history


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=UTC)


def plan(cast: Cast, **overrides: object) -> services.CampaignFields:
    values: dict[str, object] = {
        "name": "Autumn saver fares",
        "starts_on": date(2026, 9, 1),
        "ends_on": date(2026, 9, 30),
        "voices": [cast.member_voice, cast.care_voice],
        "budget_hours": "2",
        "posts_planned": 4,
        "engagement_target": 200,
    }
    values.update(overrides)
    return services.CampaignFields(**values)  # type: ignore[arg-type]


def test_a_campaign_shows_its_execution_against_the_plan(cast: Cast) -> None:
    HourlyRate.objects.create(organization=cast.acme, role=Role.MEMBER, rate=Decimal("30"))
    HourlyRate.objects.create(organization=cast.acme, role=Role.MENTOR, rate=Decimal("50"))
    campaign = services.do_create_campaign(cast.director, cast.acme, plan(cast))
    on_time = history.post(
        cast.acme,
        cast.member,
        created=at(2, 9),
        sent=at(2, 9, 30),
        published=at(2, 10),
        voice=cast.member_voice,
        likes=40,
        reposts=10,
    )
    late = history.post(
        cast.acme,
        cast.member,
        created=at(30, 9),
        sent=at(30, 9, 10),
        published=datetime(2026, 10, 1, 9, tzinfo=UTC),
        voice=cast.member_voice,
        likes=25,
    )
    waiting = history.post(cast.acme, cast.member, created=at(20, 9), sent=at(20, 9))
    for post in (on_time, late, waiting):
        services.do_attach_post(cast.coordinator, campaign, post)
    # A customer answers the first post: a conversation it drew, answered in 12 minutes.
    ref = on_time.deliveries.get().refs[0]["id"]
    history.conversation(
        cast.acme, heard=at(2, 11), replier=cast.mentor, replied=at(2, 11, 12), in_reply_to=ref
    )
    history.conversation(cast.acme, heard=at(2, 11), replier=cast.mentor, replied=at(2, 11, 40))

    result = execution.execution(campaign)
    assert (result.published, result.on_time) == (2, 1)
    assert result.posts_percent == 50
    assert result.voices_used == ["Milo Member"]
    assert result.voices_missing == ["Acme Customer care"]
    assert result.engagement == 75
    assert result.engagement_percent == 38
    assert result.conversations == 1
    # Composing 30 + 10 + 15 (default) minutes at 30 an hour, replying 12 minutes at 50.
    assert result.hours == 1.1
    assert result.cost == Decimal("37.50")
    assert result.budget_percent == 55
    assert not result.over_budget
    assert result.chart["posts"].count(1) == 1  # the late one fell after the campaign's dates
    assert [line.engagement for line in result.lines] == [50, 25, 0]


def test_a_campaigns_page_reads_in_few_queries(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    campaign = services.do_create_campaign(cast.director, cast.acme, plan(cast))
    for day in range(1, 21):
        post = history.post(
            cast.acme,
            cast.member,
            created=at(day, 9),
            sent=at(day, 9),
            published=at(day, 10),
            voice=cast.member_voice,
        )
        CampaignPost.objects.create(campaign=campaign, post=post)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert execution.execution(campaign).published == 20


def test_a_campaign_ending_before_it_starts_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="ends before"):
        services.do_create_campaign(
            cast.director,
            cast.acme,
            plan(cast, starts_on=date(2026, 9, 2), ends_on=date(2026, 9, 1)),
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"budget_hours": "-3"}, "between 0"),
        ({"budget_hours": "1e12"}, "between 0"),
        ({"budget_hours": "NaN"}, "between 0|number"),
        ({"budget_hours": "many"}, "number of hours"),
        ({"posts_planned": -1}, "between 0"),
        ({"engagement_target": "x"}, "whole number"),
        ({"description": "d" * 2001}, "description"),
        ({"name": ""}, "name"),
    ],
)
def test_hostile_plans_are_refused(cast: Cast, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        services.do_create_campaign(cast.director, cast.acme, plan(cast, **overrides))


def test_another_organisations_voices_objective_and_posts_are_refused(cast: Cast) -> None:
    from cluetrain.campaigns.models import Objective

    theirs = Objective.objects.create(
        organization=cast.globex, name="Theirs", kind="people_active", target=5
    )
    with pytest.raises(ServiceError, match="objective"):
        services.do_create_campaign(cast.director, cast.acme, plan(cast, objective=theirs))
    with pytest.raises(ServiceError, match="voices"):
        services.do_create_campaign(cast.outsider, cast.globex, plan(cast))
    campaign = services.do_create_campaign(cast.director, cast.acme, plan(cast))
    outsider_post = Post.objects.create(organization=cast.globex, author=cast.outsider, text="x")
    with pytest.raises(ServiceError, match="not in this organisation"):
        services.do_attach_post(cast.director, campaign, outsider_post)


def test_a_post_counts_in_one_campaign_only(cast: Cast) -> None:
    first = services.do_create_campaign(cast.director, cast.acme, plan(cast))
    second = services.do_create_campaign(cast.director, cast.acme, plan(cast, name="Winter"))
    post = history.post(cast.acme, cast.member, created=at(2, 9))
    services.do_attach_post(cast.director, first, post)
    services.do_attach_post(cast.director, first, post)  # again: nothing changes
    with pytest.raises(ServiceError, match="Autumn saver fares"):
        services.do_attach_post(cast.director, second, post)
    assert services.do_detach_post(cast.director, first, post)
    services.do_attach_post(cast.director, second, post)
    assert CampaignPost.objects.get(post=post).campaign == second


def test_only_directors_and_coordinators_plan_campaigns(cast: Cast) -> None:
    for person in (cast.member, cast.mentor, cast.trainee, cast.agency):
        with pytest.raises(NotAllowed):
            services.do_create_campaign(person, cast.acme, plan(cast))
    campaign = services.do_create_campaign(cast.coordinator, cast.acme, plan(cast))
    post = history.post(cast.acme, cast.member, created=at(2, 9))
    with pytest.raises(NotAllowed):
        services.do_attach_post(cast.member, campaign, post)
