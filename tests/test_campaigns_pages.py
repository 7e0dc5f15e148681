"""The objectives, campaigns and cost pages: who sees and changes what, escaping, the CSV, and
query counts that do not grow with the list."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from cluetrain.campaigns.models import Campaign, CampaignPost, HourlyRate, Objective
from cluetrain.organizations.roles import Role
from tests.conftest import Cast
from tests.support import campaigns as history


def objective(cast: Cast, name: str = "Fast answers") -> Objective:
    return Objective.objects.create(
        organization=cast.acme,
        name=name,
        kind="first_response_within",
        params={"minutes": 30, "complaints_only": True},
        target=90,
    )


def campaign(cast: Cast, name: str = "Autumn saver fares") -> Campaign:
    return Campaign.objects.create(
        organization=cast.acme,
        name=name,
        starts_on=date(2026, 9, 1),
        ends_on=date(2026, 9, 30),
        posts_planned=3,
    )


def test_the_index_shows_objectives_with_progress_bars_and_campaigns(cast: Cast) -> None:
    objective(cast)
    campaign(cast)
    page = cast.client(cast.director).get(reverse("campaigns:index"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Fast answers" in text
    assert "<progress" in text
    assert "Autumn saver fares" in text
    assert reverse("campaigns:objective_new") in text


def test_an_empty_organisation_sees_what_objectives_and_campaigns_are(cast: Cast) -> None:
    page = cast.client(cast.outsider).get(reverse("campaigns:index"))
    assert page.status_code == 200
    assert "No objectives yet." in page.content.decode()
    assert "No campaigns yet." in page.content.decode()


def test_people_without_insights_may_not_see_the_pages(cast: Cast) -> None:
    item = objective(cast)
    for name, args in (
        ("campaigns:index", ()),
        ("campaigns:objective", (item.pk,)),
        ("campaigns:cost", ()),
        ("campaigns:cost_csv", ()),
    ):
        for person in (cast.member, cast.trainee, cast.agency):
            assert cast.client(person).get(reverse(name, args=args)).status_code == 403


def test_a_mentor_sees_but_may_not_define(cast: Cast) -> None:
    page = cast.client(cast.mentor).get(reverse("campaigns:index"))
    assert page.status_code == 200
    assert reverse("campaigns:objective_new") not in page.content.decode()
    assert cast.client(cast.mentor).get(reverse("campaigns:objective_new")).status_code == 403
    assert cast.client(cast.mentor).get(reverse("campaigns:rates")).status_code == 403


def test_another_organisations_objectives_and_campaigns_are_not_found(cast: Cast) -> None:
    theirs = Objective.objects.create(
        organization=cast.globex, name="Theirs", kind="people_active", target=4
    )
    their_campaign = Campaign.objects.create(
        organization=cast.globex,
        name="Theirs",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 2, 1),
    )
    client = cast.client(cast.director)
    assert client.get(reverse("campaigns:objective", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("campaigns:campaign", args=[their_campaign.pk])).status_code == 404
    assert (
        client.get(reverse("campaigns:campaign_edit", args=[their_campaign.pk])).status_code == 404
    )
    response = client.post(reverse("campaigns:attach", args=[their_campaign.pk]), {"post": "1"})
    assert response.status_code == 404


def test_a_coordinator_creates_an_objective_from_the_page_and_html_stays_text(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    response = client.post(
        reverse("campaigns:objective_new"),
        {
            "name": "<script>alert(1)</script> fast",
            "kind": "first_response_within",
            "minutes": "30",
            "complaints_only": "on",
            "target": "90",
            "period": "month",
            "active": "on",
        },
    )
    made = Objective.objects.get(organization=cast.acme)
    assert response.status_code == 302
    assert made.params == {"minutes": 30, "complaints_only": True}
    page = client.get(reverse("campaigns:objective", args=[made.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fast" in page
    assert 'id="objective-data"' in page


def test_a_bad_objective_form_shows_its_errors(cast: Cast) -> None:
    response = cast.client(cast.director).post(
        reverse("campaigns:objective_new"),
        {"name": "Shares", "kind": "sla_compliance", "target": "150", "period": "month"},
    )
    assert response.status_code == 200
    assert "cannot be more than 100" in response.content.decode()
    assert not Objective.objects.filter(organization=cast.acme).exists()


def test_a_campaign_is_planned_and_a_post_attached_from_its_page(cast: Cast) -> None:
    client = cast.client(cast.director)
    response = client.post(
        reverse("campaigns:campaign_new"),
        {
            "name": "Autumn saver fares",
            "starts_on": "2026-09-01",
            "ends_on": "2026-09-30",
            "voices": [cast.member_voice.pk],
            "budget_hours": "4",
            "posts_planned": "3",
            "engagement_target": "100",
        },
    )
    assert response.status_code == 302
    made = Campaign.objects.get(organization=cast.acme)
    post = history.post(cast.acme, cast.member, created=datetime(2026, 9, 2, tzinfo=UTC))
    page = client.get(reverse("campaigns:campaign", args=[made.pk])).content.decode()
    assert f'value="{post.pk}"' in page
    client.post(reverse("campaigns:attach", args=[made.pk]), {"post": str(post.pk)})
    assert CampaignPost.objects.filter(campaign=made, post=post).exists()
    page = client.get(reverse("campaigns:campaign", args=[made.pk])).content.decode()
    assert 'id="campaign-data"' in page
    assert post.text in page
    client.post(reverse("campaigns:detach", args=[made.pk]), {"post": str(post.pk)})
    assert not CampaignPost.objects.filter(campaign=made).exists()


def test_a_campaign_ending_before_it_starts_is_refused_on_the_page(cast: Cast) -> None:
    response = cast.client(cast.director).post(
        reverse("campaigns:campaign_new"),
        {
            "name": "Backwards",
            "starts_on": "2026-09-30",
            "ends_on": "2026-09-01",
            "budget_hours": "1",
            "posts_planned": "0",
            "engagement_target": "0",
        },
    )
    assert response.status_code == 200
    assert "ends before it starts" in response.content.decode()


def test_the_index_reads_in_a_fixed_number_of_queries_for_campaigns(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    client = cast.client(cast.director)
    for n in range(30):
        made = campaign(cast, f"Campaign {n}")
        post = history.post(cast.acme, cast.member, created=datetime(2026, 9, 2, tzinfo=UTC))
        CampaignPost.objects.create(campaign=made, post=post)
    client.get(reverse("campaigns:index"))  # warm the session and roles
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert client.get(reverse("campaigns:index")).status_code == 200


def test_the_cost_page_and_its_csv(cast: Cast) -> None:
    HourlyRate.objects.create(organization=cast.acme, role=Role.MEMBER, rate=Decimal("30"))
    cast.care.name = '=HYPERLINK("http://evil")'
    cast.care.save(update_fields=["name"])
    history.conversation(
        cast.acme,
        heard=datetime(2026, 3, 2, 9, tzinfo=UTC),
        replier=cast.member,
        replied=datetime(2026, 3, 2, 9, 20, tzinfo=UTC),
        resolved=datetime(2026, 3, 2, 10, tzinfo=UTC),
    )
    client = cast.client(cast.director)
    query = {"start": "2026-03-01", "end": "2026-03-31"}
    page = client.get(reverse("campaigns:cost"), query)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="cost-data"' in text
    assert "10.00" in text  # 20 minutes at 30 an hour, per resolved conversation
    csv = client.get(reverse("campaigns:cost_csv"), {**query, "department": str(cast.care.pk)})
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode()
    assert "scope,\"'=HYPERLINK" in body
    assert "activity,Replying" in body


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-03-31", "end": "2026-03-01"},
        {"start": "yesterday", "end": "2026-03-01"},
        {"start": "1900-01-01", "end": "2026-03-01"},
    ],
)
def test_bad_periods_fall_back_with_a_message(cast: Cast, query: dict[str, str]) -> None:
    page = cast.client(cast.director).get(reverse("campaigns:cost"), query, follow=True)
    assert page.status_code == 200
    assert "Cost per outcome" in page.content.decode()
    assert list(page.context["messages"])


def test_a_director_edits_rates_and_minutes_on_the_settings_page(cast: Cast) -> None:
    client = cast.client(cast.director)
    assert client.get(reverse("campaigns:rates")).status_code == 200
    client.post(reverse("campaigns:set_rate"), {"role": Role.MENTOR, "rate": "55"})
    assert HourlyRate.objects.get(organization=cast.acme, role=Role.MENTOR).rate == Decimal("55")
    client.post(reverse("campaigns:set_rate"), {"role": Role.MENTOR, "rate": "-5"})
    assert HourlyRate.objects.get(organization=cast.acme, role=Role.MENTOR).rate == Decimal("55")
    form = {"currency": "EUR", "default_rate": "41"}
    for activity in ("composing", "reviewing", "replying"):
        form |= {f"{activity}_minutes": "7", f"{activity}_cap": "45"}
    assert client.post(reverse("campaigns:rates"), form).status_code == 302
    assert cast.acme.cost_settings.default_rate == Decimal("41")
    rate = HourlyRate.objects.get(organization=cast.acme)
    client.post(reverse("campaigns:remove_rate", args=[rate.pk]))
    assert not HourlyRate.objects.filter(organization=cast.acme).exists()
    assert (
        cast.client(cast.coordinator)
        .post(reverse("campaigns:set_rate"), {"role": Role.MENTOR, "rate": "1"})
        .status_code
        == 403
    )


def test_each_objective_on_the_index_costs_a_few_roll_up_reads(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = cast.client(cast.director)
    objective(cast, "One")
    client.get(reverse("campaigns:index"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("campaigns:index"))
    for n in range(4):
        objective(cast, f"More {n}")
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("campaigns:index"))
    # The measures behind each objective read day roll-ups: a handful of small queries each.
    assert len(five) - len(one) <= 4 * 4


def test_an_objective_is_changed_and_paused_from_its_page(cast: Cast) -> None:
    item = objective(cast)
    client = cast.client(cast.director)
    form = client.get(reverse("campaigns:objective_edit", args=[item.pk]))
    assert 'value="Fast answers"' in form.content.decode()
    client.post(
        reverse("campaigns:objective_edit", args=[item.pk]),
        {
            "name": "Snabba svar \u202e🚆",
            "kind": "first_response_within",
            "minutes": "15",
            "target": "80",
            "period": "quarter",
        },
    )
    item.refresh_from_db()
    # The right-to-left override is dropped; the rest is kept as typed.
    assert (item.name, item.params["minutes"], item.period, item.active) == (
        "Snabba svar 🚆",
        15,
        "quarter",
        False,
    )
    page = client.get(reverse("campaigns:index")).content.decode()
    assert "Paused:" in page


def test_a_campaigns_description_and_name_are_shown_as_text(cast: Cast) -> None:
    made = campaign(cast, "<i>Autumn</i>")
    made.description = '<img src=x onerror="alert(1)">\nSecond line'
    made.save(update_fields=["description"])
    page = cast.client(cast.mentor).get(reverse("campaigns:campaign", args=[made.pk]))
    text = page.content.decode()
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;<br>Second line" in text
    assert "&lt;i&gt;Autumn&lt;/i&gt;" in text
    assert "Add a post" not in text  # a mentor sees the campaign but does not change it


def test_a_campaigns_plan_is_changed_from_its_page(cast: Cast) -> None:
    made = campaign(cast)
    client = cast.client(cast.coordinator)
    assert (
        'value="Autumn saver fares"'
        in client.get(reverse("campaigns:campaign_edit", args=[made.pk])).content.decode()
    )
    response = client.post(
        reverse("campaigns:campaign_edit", args=[made.pk]),
        {
            "name": "Autumn saver fares",
            "starts_on": "2026-09-01",
            "ends_on": "2026-10-15",
            "voices": [cast.care_voice.pk],
            "budget_hours": "6.5",
            "posts_planned": "8",
            "engagement_target": "400",
        },
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.ends_on, made.budget_hours, made.posts_planned) == (
        date(2026, 10, 15),
        Decimal("6.5"),
        8,
    )
    assert list(made.voices.all()) == [cast.care_voice]
