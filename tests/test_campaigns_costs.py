"""The cost of the effort: minutes measured from the product's events, capped, defaulted or
fixed, priced at each person's rate, and set against what it produced."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cluetrain.campaigns import costs, rates
from cluetrain.campaigns.models import CostSettings, HourlyRate
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.roles import Role
from tests.conftest import Cast
from tests.support import campaigns as history

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def known_history(cast: Cast) -> None:
    """Hand-computed (UTC, March 2026), rates: member 30, mentor 50, director 60 an hour.

    composing (member, 30/h): A 20 min measured, B 14 h capped to 60, C sent at once so the
    default 15: 95 min, 47.50. reviewing (director, 60/h): A, 10 min, 10.00. replying: the
    mentor (dearest role 50/h) 15 min after being handed the conversation, 12.50; the member
    two hours after the customer wrote, capped to 30 min, 15.00. Published: A and B, drawing
    20 + 80 engagements; resolved: one conversation.
    """
    org = cast.acme
    HourlyRate.objects.create(organization=org, role=Role.MEMBER, rate=Decimal("30"))
    HourlyRate.objects.create(organization=org, role=Role.MENTOR, rate=Decimal("50"))
    HourlyRate.objects.create(organization=org, role=Role.DIRECTOR, rate=Decimal("60"))
    a = history.post(
        org,
        cast.member,
        created=at(10, 10),
        sent=at(10, 10, 20),
        published=at(10, 11),
        voice=cast.member_voice,
        likes=10,
        reposts=5,
        replies=3,
        quotes=2,
    )
    history.post(
        org,
        cast.member,
        created=at(10, 9),
        sent=at(10, 23),
        published=at(11, 8),
        voice=cast.member_voice,
        likes=80,
    )
    history.post(org, cast.member, created=at(12, 9), sent=at(12, 9))
    history.review(a, cast.director, requested=at(10, 10, 20), decided=at(10, 10, 30))
    history.conversation(
        org,
        heard=at(10, 12),
        handed_over=at(10, 12, 10),
        replier=cast.mentor,
        replied=at(10, 12, 25),
        resolved=at(10, 13),
        department=cast.care,
    )
    history.conversation(org, heard=at(10, 14), replier=cast.member, replied=at(10, 16))


def by_activity(summary: costs.CostSummary) -> dict[str, tuple[float, Decimal]]:
    return {a.activity: (a.minutes, a.cost) for a in summary.activities}


def test_the_cost_of_a_month_is_measured_capped_and_priced_by_hand(cast: Cast) -> None:
    known_history(cast)
    summary = costs.cost_summary(cast.acme, *MARCH)
    assert by_activity(summary) == {
        "composing": (95.0, Decimal("47.50")),
        "reviewing": (10.0, Decimal("10.00")),
        "replying": (45.0, Decimal("27.50")),
    }
    assert summary.cost == Decimal("85.00")
    assert summary.hours == 2.5
    assert (summary.posts, summary.resolved, summary.engagement) == (2, 1, 100)
    assert summary.per_post == Decimal("28.75")
    assert summary.per_conversation == Decimal("27.50")
    assert summary.per_month == Decimal("85.00")
    assert summary.per_100_engagements == Decimal("57.50")
    composing = next(a for a in summary.activities if a.activity == "composing")
    assert (composing.count, composing.measured) == (3, 2)


def test_a_fixed_figure_replaces_the_measurement_when_the_organisation_prefers_it(
    cast: Cast,
) -> None:
    known_history(cast)
    CostSettings.objects.create(organization=cast.acme, composing_minutes=10, composing_fixed=True)
    summary = costs.cost_summary(cast.acme, *MARCH)
    assert by_activity(summary)["composing"] == (30.0, Decimal("15.00"))


def test_a_lower_cap_cuts_long_spans_and_the_default_fills_missing_ones(cast: Cast) -> None:
    known_history(cast)
    CostSettings.objects.create(organization=cast.acme, composing_cap=5, composing_minutes=1)
    # A 20 -> 5, B 840 -> 5, C (no measurement) -> the default 1.
    assert by_activity(costs.cost_summary(cast.acme, *MARCH))["composing"][0] == 11.0


def test_a_persons_own_rate_wins_over_their_roles(cast: Cast) -> None:
    known_history(cast)
    HourlyRate.objects.create(organization=cast.acme, person=cast.member, rate=Decimal("90"))
    summary = costs.cost_summary(cast.acme, *MARCH)
    assert by_activity(summary)["composing"] == (95.0, Decimal("142.50"))


def test_people_without_a_rate_cost_the_default(cast: Cast) -> None:
    known_history(cast)
    HourlyRate.objects.filter(organization=cast.acme).delete()
    # The default is 40 an hour: 150 minutes cost 100.
    assert costs.cost_summary(cast.acme, *MARCH).cost == Decimal("100.00")


def test_a_department_counts_its_own_people_and_conversations(cast: Cast) -> None:
    known_history(cast)
    summary = costs.cost_summary(cast.acme, *MARCH, department=cast.care)
    assert by_activity(summary) == {
        "composing": (0.0, Decimal("0.00")),
        "reviewing": (0.0, Decimal("0.00")),
        "replying": (15.0, Decimal("12.50")),
    }
    assert summary.resolved == 1


def test_an_inbox_reply_is_counted_as_replying_not_composing(cast: Cast) -> None:
    from cluetrain.listening.models import Message

    known_history(cast)
    reply_post = history.post(cast.acme, cast.member, created=at(10, 16), sent=at(10, 16))
    Message.objects.filter(direction="out", sent_by=cast.member).update(post=reply_post)
    assert by_activity(costs.cost_summary(cast.acme, *MARCH))["composing"][0] == 95.0


def test_months_are_read_in_the_organisations_time_zone(cast: Cast) -> None:
    cast.acme.time_zone = "America/New_York"
    cast.acme.save(update_fields=["time_zone"])
    # 03:00 UTC on 1 March is 22:00 on 28 February in New York; 03:30 UTC on 1 April is
    # 23:30 on 31 March (daylight saving time began on 8 March).
    history.conversation(cast.acme, heard=at(1, 2, 0), replier=cast.member, replied=at(1, 3, 0))
    history.conversation(
        cast.acme, heard=at(1, 3, 20, month=4), replier=cast.member, replied=at(1, 3, 30, month=4)
    )
    march = costs.cost_summary(cast.acme, *MARCH)
    assert by_activity(march)["replying"][0] == 10.0
    february = costs.cost_summary(cast.acme, date(2026, 2, 1), date(2026, 2, 28))
    assert by_activity(february)["replying"][0] == 30.0
    spring = costs.cost_summary(cast.acme, date(2026, 2, 1), date(2026, 3, 31))
    assert [(m.label, m.minutes) for m in spring.months] == [("2026-02", 30.0), ("2026-03", 10.0)]


def test_an_empty_organisation_costs_nothing_and_divides_by_nothing(cast: Cast) -> None:
    summary = costs.cost_summary(cast.globex, *MARCH)
    assert summary.cost == Decimal("0")
    assert summary.hours == 0
    assert summary.per_post is None
    assert summary.per_conversation is None
    assert summary.per_100_engagements is None
    assert summary.per_month == Decimal("0.00")


def test_a_period_ending_before_it_starts_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="ends before"):
        costs.cost_summary(cast.acme, date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ServiceError, match="ten years"):
        costs.cost_summary(cast.acme, date(2000, 1, 1), date(2026, 1, 1))


def test_another_organisations_department_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="department"):
        costs.cost_summary(cast.globex, *MARCH, department=cast.care)


@pytest.mark.parametrize("bad", ["-1", "abc", "1e9", "NaN", "Infinity", ""])
def test_absurd_rates_are_refused(cast: Cast, bad: str) -> None:
    with pytest.raises(ServiceError):
        rates.do_set_rate(cast.director, cast.acme, bad, role=Role.MEMBER)


def test_a_director_sets_rates_and_minutes_and_a_coordinator_may_not(cast: Cast) -> None:
    rates.do_set_rate(cast.director, cast.acme, "32.5", role=Role.MEMBER)
    rates.do_set_rate(cast.director, cast.acme, "35", role=Role.MEMBER)
    rates.do_set_rate(cast.director, cast.acme, "70", member=cast.mentor)
    assert HourlyRate.objects.filter(organization=cast.acme).count() == 2
    assert costs.rates_of(cast.acme, [cast.member.pk, cast.mentor.pk]) == {
        cast.member.pk: Decimal("35.00"),
        cast.mentor.pk: Decimal("70.00"),
    }
    rates.do_save_cost_settings(
        cast.director,
        cast.acme,
        currency="EUR",
        default_rate="45",
        rules={"replying": rates.ActivityRule(minutes=8, cap=20, fixed=True)},
    )
    saved = costs.settings_of(cast.acme)
    assert (saved.currency, saved.replying_minutes, saved.replying_cap) == ("EUR", 8, 20)
    assert saved.replying_fixed
    assert saved.composing_minutes == 15
    with pytest.raises(NotAllowed):
        rates.do_set_rate(cast.coordinator, cast.acme, "1", role=Role.MEMBER)
    with pytest.raises(NotAllowed):
        rates.do_save_cost_settings(
            cast.outsider, cast.acme, currency="EUR", default_rate="1", rules={}
        )


def test_minutes_out_of_range_and_outsiders_rates_are_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="between 0 and 480"):
        rates.do_save_cost_settings(
            cast.director,
            cast.acme,
            currency="GBP",
            default_rate="40",
            rules={"composing": rates.ActivityRule(minutes=-5, cap=60)},
        )
    with pytest.raises(ServiceError, match="at least one minute"):
        rates.do_save_cost_settings(
            cast.director,
            cast.acme,
            currency="GBP",
            default_rate="40",
            rules={"composing": rates.ActivityRule(minutes=5, cap=0)},
        )
    with pytest.raises(ServiceError, match="currency"):
        rates.do_save_cost_settings(
            cast.director, cast.acme, currency="<b>", default_rate="40", rules={}
        )
    with pytest.raises(ServiceError, match="not a member"):
        rates.do_set_rate(cast.director, cast.acme, "10", member=cast.outsider)
