"""The agency pages: who gets in, what they show, the badge where people are shown, the CSV,
the hand-over plan's htmx tick, query counts, and the demo loading twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cluetrain.agencies import services
from cluetrain.agencies.models import Agency, AgencyMember, Milestone, Shadowing, ShadowNotice
from cluetrain.agencies.notices import notify_shadows
from cluetrain.inbox.models import Conversation, Note
from cluetrain.notifications.models import Notification
from cluetrain.organizations.roles import Role
from cluetrain.publishing.models import PostEvent
from tests.conftest import Cast
from tests.support import agencies as make


@pytest.fixture
def brightside(cast: Cast) -> Agency:
    agency = services.do_create_agency(cast.director, cast.acme, "Brightside Social")
    services.do_add_agency_member(cast.director, agency, cast.agency)
    return agency


def test_the_director_sees_the_plan_on_the_agencies_page(cast: Cast, brightside: Agency) -> None:
    services.do_add_milestone(cast.director, brightside, "Done step", owner=cast.member)
    late = services.do_add_milestone(
        cast.director,
        brightside,
        "Late step",
        due_on=timezone.now().date() - timedelta(days=3),
        owner=cast.member,
    )
    step = Milestone.objects.get(title="Done step")
    services.do_set_milestone_done(cast.director, step, True)
    page = cast.client(cast.director).get(reverse("agencies:index"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Brightside Social" in text
    assert "1 of 2 milestones done (50 %)" in text
    assert "1 overdue" in text
    detail = cast.client(cast.director).get(reverse("agencies:agency", args=[brightside.pk]))
    assert f'id="milestone-{late.pk}"' in detail.content.decode()
    assert "Overdue since" in detail.content.decode()


def test_a_member_sees_no_plan_and_no_activity(cast: Cast, brightside: Agency) -> None:
    client = cast.client(cast.member)
    assert "Record an agency" not in client.get(reverse("agencies:index")).content.decode()
    assert client.get(reverse("agencies:agency", args=[brightside.pk])).status_code == 403
    assert client.get(reverse("agencies:activity")).status_code == 403


def test_an_outsider_cannot_open_another_organisations_agency(
    cast: Cast, brightside: Agency
) -> None:
    client = cast.client(cast.outsider)
    assert client.get(reverse("agencies:agency", args=[brightside.pk])).status_code == 404


def test_the_activity_page_merges_what_agency_staff_did(cast: Cast, brightside: Agency) -> None:
    post = make.published(cast.acme, cast.agency, datetime(2026, 3, 2, 9, tzinfo=UTC))
    PostEvent.objects.create(post=post, verb="created", actor=cast.agency)
    Note.objects.create(
        conversation=make.conversation(cast.acme, None), author=cast.agency, body="a quiet word"
    )
    make.published(
        cast.acme, cast.member, datetime(2026, 3, 3, 9, tzinfo=UTC), text="written by milo in house"
    )
    page = cast.client(cast.director).get(reverse("agencies:activity"))
    text = page.content.decode()
    assert "published a post" in text
    assert "drafted a post" in text
    assert "wrote an internal note" in text
    assert "a quiet word" in text
    assert "written by milo in house" not in text
    assert "Agency · Brightside Social" in text


def test_a_shadow_sees_their_partners_activity_and_the_agency_person_their_own(
    cast: Cast, brightside: Agency
) -> None:
    make.published(cast.acme, cast.agency, datetime(2026, 3, 2, 9, tzinfo=UTC), text="by ada")
    services.do_pair(cast.director, cast.acme, cast.agency, cast.trainee)
    for person in (cast.trainee, cast.agency):
        page = cast.client(person).get(reverse("agencies:activity"))
        assert page.status_code == 200
        assert "by ada" in page.content.decode()


def test_the_activity_page_filters_by_person_and_date_and_survives_bad_input(
    cast: Cast, brightside: Agency
) -> None:
    make.published(cast.acme, cast.agency, datetime(2026, 3, 2, 9, tzinfo=UTC), text="march")
    make.published(cast.acme, cast.agency, datetime(2026, 5, 2, 9, tzinfo=UTC), text="may")
    client = cast.client(cast.director)
    url = reverse("agencies:activity")
    text = client.get(url, {"since": "2026-04-01", "until": "2026-05-31"}).content.decode()
    assert "may" in text
    assert "march" not in text
    text = client.get(url, {"person": cast.member.pk}).content.decode()
    assert "Nothing in this period" in text
    for bad in (
        {"since": "2026-02-31"},
        {"page": "-4"},
        {"person": "<script>"},
        {"page": "9" * 40},
    ):
        assert client.get(url, bad).status_code == 200


def test_the_activity_page_reads_a_bounded_number_of_queries(
    cast: Cast, brightside: Agency, django_assert_max_num_queries: object
) -> None:
    for day in range(1, 29):
        post = make.published(cast.acme, cast.agency, datetime(2026, 2, day, 9, tzinfo=UTC))
        PostEvent.objects.create(post=post, verb="created", actor=cast.agency)
    client = cast.client(cast.director)
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        page = client.get(reverse("agencies:activity"))
    text = page.content.decode()
    # 56 things done: a page of 50, newest first (the drafts were recorded just now).
    assert text.count("drafted a post") == 28
    assert text.count("published a post") == 22
    assert "Older" in text
    second = client.get(reverse("agencies:activity"), {"page": 2}).content.decode()
    assert second.count("published a post") == 6


def test_the_index_page_shows_a_chart_a_table_and_a_csv(cast: Cast) -> None:
    make.published(cast.acme, cast.agency, timezone.now() - timedelta(days=1))
    make.published(cast.acme, cast.member, timezone.now() - timedelta(days=1))
    client = cast.client(cast.director)
    page = client.get(reverse("agencies:self_sufficiency"))
    text = page.content.decode()
    assert 'id="sufficiency-chart"' in text
    assert 'id="sufficiency-data"' in text
    assert "50.0 %" in text
    csv = client.get(reverse("agencies:self_sufficiency_csv"))
    assert csv["Content-Type"].startswith("text/csv")
    assert ",all,1,1,2,0,50.0" in csv.content.decode()
    bad = client.get(reverse("agencies:self_sufficiency"), {"start": "nope", "department": "x"})
    assert bad.status_code == 200


def test_the_index_page_is_for_people_who_see_insights(cast: Cast) -> None:
    assert cast.client(cast.member).get(reverse("agencies:self_sufficiency")).status_code == 403
    assert cast.client(cast.agency).get(reverse("agencies:self_sufficiency_csv")).status_code == 403


def test_the_index_page_reads_a_bounded_number_of_queries(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    for days in range(0, 300, 10):
        make.published(cast.acme, cast.agency, timezone.now() - timedelta(days=days))
    client = cast.client(cast.director)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        client.get(reverse("agencies:self_sufficiency"))


def test_milestones_are_ticked_off_with_htmx(cast: Cast, brightside: Agency) -> None:
    step = services.do_add_milestone(cast.director, brightside, "Own the inbox", owner=cast.member)
    client = cast.client(cast.member)
    url = reverse("agencies:milestone_done", args=[step.pk])
    response = client.post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Mark undone" in response.content.decode()
    assert "Remove" not in response.content.decode()  # only directors and coordinators remove
    assert "1 of 1 milestones done (100 %)" in response.content.decode()
    # The owner sees the plan they have a part in.
    page = client.get(reverse("agencies:agency", args=[brightside.pk]))
    assert page.status_code == 200
    assert "Own the inbox" in page.content.decode()
    step.refresh_from_db()
    assert step.done_by == cast.member
    assert cast.client(cast.trainee).post(url, {"done": "0"}).status_code == 403


def test_the_pairing_form_pairs_and_refuses_with_a_reason(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    url = reverse("agencies:pair")
    client.post(url, {"agency_person": cast.agency.pk, "shadow": cast.member.pk})
    assert Shadowing.objects.filter(agency_person=cast.agency, shadow=cast.member).exists()
    response = client.post(
        url, {"agency_person": cast.agency.pk, "shadow": cast.agency.pk}, follow=True
    )
    assert "Agency staff cannot shadow" in response.content.decode()
    assert cast.client(cast.member).post(
        url, {"agency_person": cast.agency.pk, "shadow": cast.trainee.pk}
    ).status_code in (302, 403)
    assert not Shadowing.objects.filter(shadow=cast.trainee).exists()


def test_creating_an_agency_with_hostile_input(cast: Cast) -> None:
    client = cast.client(cast.director)
    client.post(reverse("agencies:create"), {"name": "<b>Loud</b> & Co", "contract_ends_on": ""})
    agency = Agency.objects.get(organization=cast.acme)
    page = client.get(reverse("agencies:index")).content.decode()
    assert "&lt;b&gt;Loud&lt;/b&gt; &amp; Co" in page
    client.post(reverse("agencies:create"), {"name": "x" * 500})
    client.post(reverse("agencies:create"), {"name": "Dated", "contract_ends_on": "2026-13-45"})
    assert list(Agency.objects.filter(organization=cast.acme)) == [agency]


def test_the_badge_marks_agency_staff_on_the_people_page(cast: Cast, brightside: Agency) -> None:
    page = cast.client(cast.director).get(reverse("organizations:people")).content.decode()
    assert page.count("agency-mark") == 1
    assert "Agency · Brightside Social" in page


def test_the_badge_is_per_organisation(cast: Cast) -> None:
    # In Globex the cast's agency person is also agency; Milo joins Globex as agency but is
    # in-house in Acme: Acme's people page marks only Ada.
    from cluetrain.organizations.services import do_add_member

    do_add_member(cast.globex, cast.member, [Role.AGENCY])
    page = cast.client(cast.director).get(reverse("organizations:people")).content.decode()
    assert page.count("agency-mark") == 1


def test_the_badge_marks_an_agency_assignee_in_the_inbox_list(cast: Cast) -> None:
    talk = make.conversation(cast.acme, None)
    Conversation.objects.filter(pk=talk.pk).update(assignee=cast.agency)
    page = cast.client(cast.director).get(reverse("inbox:index"))
    assert page.status_code == 200
    assert "agency-mark" in page.content.decode()


def test_shadows_are_told_once_of_each_published_post(cast: Cast) -> None:
    pairing = services.do_pair(cast.director, cast.acme, cast.agency, cast.member)
    Shadowing.objects.filter(pk=pairing.pk).update(paired_at=timezone.now() - timedelta(days=2))
    talk = make.conversation(cast.acme, cast.care)
    make.published(cast.acme, cast.agency, timezone.now() - timedelta(hours=3), text="a post")
    make.reply(cast.acme, cast.agency, timezone.now() - timedelta(hours=2), talk, cast.care_voice)
    make.published(cast.acme, cast.agency, timezone.now() - timedelta(days=5), text="before")
    make.published(cast.acme, cast.agency, None, text="draft", status="draft")
    assert notify_shadows() == 2
    assert notify_shadows() == 0
    titles = set(
        Notification.objects.filter(person=cast.member, kind="agency.shadow").values_list(
            "title", flat=True
        )
    )
    assert titles == {"Ada Agency published a post", "Ada Agency replied in the inbox"}
    assert ShadowNotice.objects.filter(shadow=cast.member).count() == 2


def test_the_shadowing_page_lists_the_partners_posts(cast: Cast) -> None:
    services.do_pair(cast.director, cast.acme, cast.agency, cast.member)
    make.published(cast.acme, cast.agency, timezone.now(), text="shown to the shadow")
    page = cast.client(cast.member).get(reverse("agencies:shadowing")).content.decode()
    assert "shown to the shadow" in page
    alone = cast.client(cast.trainee).get(reverse("agencies:shadowing")).content.decode()
    assert "You are not shadowing anyone" in alone


def test_the_demo_loads_brightside_social_once(db: None) -> None:
    from cluetrain.agencies import demo
    from cluetrain.agencies.index import self_sufficiency
    from cluetrain.core.demo import load_demo
    from cluetrain.organizations.models import Person
    from cluetrain.publishing.models import Post

    organization = load_demo()
    people = {
        p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith="acme-rail.example")
    }
    demo.load(organization, people)

    def counts() -> tuple[int, ...]:
        return tuple(
            model.objects.count() for model in (Agency, AgencyMember, Shadowing, Milestone, Post)
        )

    first = counts()
    demo.load(organization, people)
    assert counts() == first
    agency = Agency.objects.get(organization=organization, name="Brightside Social")
    steps = list(agency.milestones.all())
    assert sum(1 for s in steps if s.is_done) * 2 == len(steps)
    assert Shadowing.objects.filter(agency_person=people["aisha"], shadow=people["sofia"]).exists()
    today = timezone.now().date()
    result = self_sufficiency(organization, today - timedelta(days=200), today)
    shares = [m.tally.share for m in result.months if m.tally.share is not None]
    assert len(shares) >= 6
    assert result.slope is not None
    assert result.slope > 0


def test_a_director_removes_a_milestone_and_a_member_cannot(cast: Cast, brightside: Agency) -> None:
    step = services.do_add_milestone(cast.director, brightside, "Temporary step")
    url = reverse("agencies:delete_milestone", args=[step.pk])
    assert cast.client(cast.member).post(url).status_code == 403
    assert cast.client(cast.outsider).post(url).status_code == 404
    assert cast.client(cast.director).post(url).status_code == 302
    assert not Milestone.objects.filter(pk=step.pk).exists()


def test_the_badge_escapes_a_hostile_agency_name(cast: Cast) -> None:
    agency = services.do_create_agency(cast.director, cast.acme, "<img src=x onerror=alert(1)>")
    services.do_add_agency_member(cast.director, agency, cast.agency)
    page = cast.client(cast.director).get(reverse("organizations:people")).content.decode()
    assert "<img src=x" not in page
    assert "Agency · &lt;img src=x onerror=alert(1)&gt;" in page
