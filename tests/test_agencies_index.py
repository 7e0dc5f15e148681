"""The self-sufficiency index on a known, hand-computed history.

Kivi Oy keeps Helsinki time. Ines (Marketing) and Hugo (Customer care) are in-house; Ada is
agency staff (Marketing). The history, in Helsinki months:

    Jan  Ines 1 post; Ada 3 posts through the Marketing feed    in 1, agency 3   25.0 %
    Feb  Ines 1 post (23:30 UTC on 31 Jan); Ada 1 post;
         Hugo 1 reply in a Customer care conversation            in 2, agency 1   66.7 %
    Mar  nothing                                                 (no share)
    Apr  Ines 1 post, 1 through the Customer care feed;
         Hugo 1 reply; Ada 1 reply (Customer care)               in 3, agency 1   75.0 %
    May  Ines 1 post                                             in 1, agency 0  100.0 %

By department: Marketing in 4, agency 4 (50 %); Customer care in 3, agency 1 (75 %).
Overall in 7, agency 5: 58.3 %. Least-squares slope over (0, 25), (1, 66.7), (3, 75),
(4, 100): 158.3 / 10 = 15.83 points a month; change over the last three months (Feb → May):
+33.3 points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from cluetrain.agencies import index
from cluetrain.agencies.index import self_sufficiency
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.publishing.models import PostStatus
from tests.support import agencies as make


@dataclass
class History:
    org: Organization
    other: Organization
    marketing: Department
    care: Department
    ines: Person
    hugo: Person
    ada: Person


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def history(db: None) -> History:
    org = Organization.objects.create(name="Kivi Oy", slug="kivi", time_zone="Europe/Helsinki")
    other = Organization.objects.create(name="Other Oy", slug="other-oy")
    marketing = Department.objects.create(organization=org, name="Marketing", slug="marketing")
    care = Department.objects.create(organization=org, name="Customer care", slug="care")
    ines = make.person(org, "Ines Inhouse", (Role.MEMBER,), (marketing,))
    hugo = make.person(org, "Hugo Inhouse", (Role.MEMBER,), (care,))
    ada = make.person(org, "Ada Agency", (Role.AGENCY,), (marketing,))
    # Hugo works for an agency elsewhere; Ada is in-house elsewhere: agency is per organisation.
    do_add_member(other, hugo, [Role.AGENCY])
    do_add_member(other, ada, [Role.MEMBER])
    marketing_feed = make.official_voice(org, marketing)
    care_feed = make.official_voice(org, care)
    care_talk = make.conversation(org, care)

    make.published(org, ines, at(2026, 1, 10))
    for day in (5, 12, 19):
        make.published(org, ada, at(2026, 1, day), marketing_feed)
    make.published(org, ines, at(2026, 1, 31, 23, 30))  # 01:30 on 1 Feb in Helsinki
    make.published(org, ada, at(2026, 2, 14))
    make.reply(org, hugo, at(2026, 2, 20), care_talk, care_feed)
    make.published(org, ines, at(2026, 4, 2))
    make.published(org, ines, at(2026, 4, 9), care_feed)
    make.reply(org, hugo, at(2026, 4, 15), care_talk, care_feed)
    make.reply(org, ada, at(2026, 4, 16), care_talk, care_feed)
    # Through two voices at once: one post.
    make.published(org, ines, at(2026, 5, 5), make.personal_voice(org, ines), marketing_feed)
    # Not counted: a draft, a post in review, a post after the range, another organisation's.
    make.published(org, ines, None, status=PostStatus.DRAFT)
    make.published(org, ada, None, status=PostStatus.REVIEW)
    make.published(org, ada, at(2026, 6, 1))
    make.published(other, ada, at(2026, 2, 1))
    return History(org, other, marketing, care, ines, hugo, ada)


def shares(result: index.IndexResult) -> list[float | None]:
    return [month.tally.share for month in result.months]


def test_the_index_by_month_matches_the_hand_computed_history(history: History) -> None:
    result = self_sufficiency(history.org, date(2026, 1, 1), date(2026, 5, 31))
    assert [m.label for m in result.months] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    assert [(m.tally.in_house, m.tally.agency) for m in result.months] == [
        (1, 3),
        (2, 1),
        (0, 0),
        (3, 1),
        (1, 0),
    ]
    assert shares(result) == [25.0, 66.7, None, 75.0, 100.0]


def test_a_post_at_2330_utc_on_31_january_counts_in_february_in_helsinki(
    history: History,
) -> None:
    result = self_sufficiency(history.org, date(2026, 2, 1), date(2026, 2, 28))
    [february] = result.months
    assert february.tally.in_house == 2  # Ines's late-night post and Hugo's reply
    january = self_sufficiency(history.org, date(2026, 1, 1), date(2026, 1, 31)).months[0]
    assert january.tally.in_house == 1


def test_an_empty_month_has_no_share_rather_than_zero(history: History) -> None:
    march = self_sufficiency(history.org, date(2026, 3, 1), date(2026, 3, 31)).months[0]
    assert march.tally.total == 0
    assert march.tally.share is None


def test_posts_and_replies_are_counted_apart(history: History) -> None:
    result = self_sufficiency(history.org, date(2026, 1, 1), date(2026, 5, 31))
    assert (result.overall.posts, result.overall.replies) == (9, 3)
    april = result.months[3].tally
    assert (april.posts, april.replies) == (2, 2)


def test_the_overall_index_and_its_trend(history: History) -> None:
    result = self_sufficiency(history.org, date(2026, 1, 1), date(2026, 5, 31))
    assert (result.overall.in_house, result.overall.agency) == (7, 5)
    assert result.overall.share == 58.3
    assert result.slope == 15.83
    assert result.change_3_months == 33.3
    assert result.trend_words == "Up 63.3 points over 5 months."


def test_the_index_by_department(history: History) -> None:
    result = self_sufficiency(history.org, date(2026, 1, 1), date(2026, 5, 31))
    rows = {row.name: row for row in result.departments}
    assert set(rows) == {"Marketing", "Customer care"}
    assert (rows["Marketing"].tally.in_house, rows["Marketing"].tally.agency) == (4, 4)
    assert (rows["Customer care"].tally.in_house, rows["Customer care"].tally.agency) == (3, 1)
    assert [t.share for t in rows["Customer care"].months] == [None, 100.0, None, 66.7, None]
    # The reply's conversation and the official voice decide before the author's department.
    assert [t.share for t in rows["Marketing"].months] == [25.0, 50.0, None, 100.0, 100.0]


def test_the_index_for_one_department(history: History) -> None:
    result = self_sufficiency(
        history.org, date(2026, 1, 1), date(2026, 5, 31), department=history.care
    )
    assert shares(result) == [None, 100.0, None, 66.7, None]
    assert (result.overall.in_house, result.overall.agency) == (3, 1)


def test_agency_is_judged_per_organisation(history: History) -> None:
    # Ada is agency in Kivi but in-house in Other Oy; Hugo the other way round.
    other = self_sufficiency(history.other, date(2026, 2, 1), date(2026, 2, 28))
    assert (other.overall.in_house, other.overall.agency) == (1, 0)


def test_the_index_takes_two_queries_whatever_the_history(
    history: History, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        result = self_sufficiency(history.org, date(2025, 1, 1), date(2026, 12, 31))
    assert len(result.months) == 24


def test_a_range_with_nothing_published_has_no_trend(history: History) -> None:
    result = self_sufficiency(history.org, date(2020, 1, 1), date(2020, 6, 30))
    assert shares(result) == [None] * 6
    assert result.slope is None
    assert result.change_3_months is None
    assert result.overall.share is None
    assert result.trend_words.startswith("Not enough months")


def test_a_reversed_range_gives_one_month_and_a_long_one_is_capped(history: History) -> None:
    assert len(self_sufficiency(history.org, date(2026, 5, 1), date(2026, 1, 1)).months) == 1
    assert len(self_sufficiency(history.org, date(1990, 1, 1), date(2026, 1, 1)).months) == 120


def test_the_csv_has_a_row_per_month_and_department_and_neutralises_formulas(
    history: History,
) -> None:
    history.marketing.name = '=HYPERLINK("http://evil")'
    history.marketing.save()
    text = index.as_csv(self_sufficiency(history.org, date(2026, 1, 1), date(2026, 2, 28)))
    lines = text.strip().splitlines()
    assert lines[0] == "month,department,in_house,agency,posts,replies,share"
    assert "2026-01,all,1,3,4,0,25.0" in lines
    assert any(line.startswith("2026-01,\"'=HYPERLINK") for line in lines)
    assert not any(",=" in line or line.split(",")[1].startswith("=") for line in lines)


def test_the_slope_of_a_steady_rise_is_its_step() -> None:
    months = [
        index.Month(date(2026, m, 1), index.Tally(in_house=m, agency=10 - m)) for m in (1, 2, 3)
    ]
    assert index.slope(months) == 10.0
    assert index.change_over(months, 3) is None
    assert index.change_over(months, 2) == 20.0


def test_a_post_is_judged_by_the_role_its_author_held_when_it_went_out(history: History) -> None:
    """Ines joins the agency's side on 1 April (a contractor now); Ada is hired in-house on
    1 May. Then: Jan 1/3, Feb 2/1 as before; Apr: Ines's two posts become agency work
    (in-house 1, agency 3: 25 %); May: Ines's post is agency work and Ada in-house (0 %)."""
    from cluetrain.agencies.models import AgencyPeriod
    from cluetrain.organizations.models import Membership
    from cluetrain.organizations.services import do_set_roles

    director = make.person(history.org, "Dora Director", (Role.DIRECTOR,))
    ines = Membership.objects.get(organization=history.org, person=history.ines)
    ada = Membership.objects.get(organization=history.org, person=history.ada)
    # A membership older than the joining window: the role given now starts now.
    Membership.objects.filter(pk__in=[ines.pk, ada.pk]).update(joined_at=at(2025, 1, 1))
    do_set_roles(director, Membership.objects.get(pk=ines.pk), [Role.AGENCY])
    do_set_roles(director, Membership.objects.get(pk=ada.pk), [Role.MEMBER])
    ines_period = AgencyPeriod.objects.get(organization=history.org, person=history.ines)
    assert ines_period.started_at is not None
    assert ines_period.ended_at is None
    ada_period = AgencyPeriod.objects.get(organization=history.org, person=history.ada)
    assert ada_period.started_at is None  # agency since she joined
    assert ada_period.ended_at is not None
    # The changes happened "now"; date them to the history's spring.
    AgencyPeriod.objects.filter(pk=ines_period.pk).update(started_at=at(2026, 4, 1))
    AgencyPeriod.objects.filter(pk=ada_period.pk).update(ended_at=at(2026, 5, 1))

    result = self_sufficiency(history.org, date(2026, 1, 1), date(2026, 5, 31))
    assert [(m.tally.in_house, m.tally.agency) for m in result.months] == [
        (1, 3),
        (2, 1),
        (0, 0),
        (1, 3),
        (0, 1),
    ]
    assert shares(result) == [25.0, 66.7, None, 25.0, 0.0]


def test_a_role_that_came_with_joining_counts_from_the_start(history: History) -> None:
    from cluetrain.agencies.models import AgencyPeriod

    [period] = AgencyPeriod.objects.filter(organization=history.org, person=history.ada)
    assert period.started_at is None
    assert period.ended_at is None
