"""The facts pages and the ``facts`` command: who sees and changes what, and hostile input."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from cluetrain.knowledge import services
from cluetrain.knowledge.models import Fact, FactStatus
from cluetrain.notifications.models import Notification
from tests.conftest import Cast
from tests.support.knowledge import due, fact


def test_a_coordinator_writes_a_fact_through_the_form(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    assert client.get("/knowledge/facts/new/").status_code == 200
    response = client.post(
        "/knowledge/facts/new/",
        {
            "statement": "Lost property is kept for 30 days.",
            "sources": "https://acme.example/lost\nStation handbook, page 4",
            "topics": "lost property",
            "departments": [cast.care.pk],
            "owner": cast.member.pk,
            "review_interval_days": 60,
            "verify": "1",
        },
    )
    made = Fact.objects.get(statement="Lost property is kept for 30 days.")
    assert response["Location"] == f"/knowledge/facts/{made.pk}/"
    assert (made.status, made.owner, made.topics) == (
        FactStatus.VERIFIED,
        cast.member,
        ["lost-property"],
    )


def test_a_bad_source_in_the_form_is_shown_not_saved(cast: Cast) -> None:
    response = cast.client(cast.coordinator).post(
        "/knowledge/facts/new/",
        {"statement": "Bikes.", "sources": "javascript:alert(1)", "review_interval_days": 30},
    )
    assert response.status_code == 200
    assert b"not javascript:" in response.content
    assert not Fact.objects.exists()


@pytest.mark.parametrize("key", ["member", "trainee", "agency"])
def test_people_who_do_not_curate_get_no_new_fact_form(cast: Cast, key: str) -> None:
    client = cast.client(getattr(cast, key))
    assert client.get("/knowledge/facts/new/").status_code == 403
    assert b"New fact" not in client.get("/knowledge/").content


def test_hostile_html_in_statements_and_sources_is_escaped(cast: Cast) -> None:
    found = fact(
        cast.acme,
        cast.coordinator,
        "<script>alert('x')</script> bikes",
        sources=['https://acme.example/"><script>alert(1)</script>', "<b>Handbook</b>"],
    )
    body = cast.client(cast.member).get(f"/knowledge/facts/{found.pk}/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "&lt;b&gt;Handbook&lt;/b&gt;" in body
    assert 'href="https://acme.example/&quot;&gt;&lt;script&gt;' in body


def test_drafts_are_hidden_from_people_who_neither_curate_nor_own_them(cast: Cast) -> None:
    draft = fact(cast.acme, cast.coordinator, "Maybe true.", verify=False, owner=cast.member)
    assert cast.client(cast.trainee).get(f"/knowledge/facts/{draft.pk}/").status_code == 403
    assert cast.client(cast.member).get(f"/knowledge/facts/{draft.pk}/").status_code == 200
    assert b"Maybe true." not in cast.client(cast.trainee).get("/knowledge/").content
    assert b"Maybe true." in cast.client(cast.mentor).get("/knowledge/").content


def test_outsiders_see_nothing_of_another_organisations_facts(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Acme secret fact.")
    outsider = cast.client(cast.outsider)
    assert outsider.get(f"/knowledge/facts/{found.pk}/").status_code == 404
    assert b"Acme secret fact." not in outsider.get("/knowledge/", {"q": "secret"}).content
    for action in ("verify", "reviewed", "retire"):
        assert outsider.post(f"/knowledge/facts/{found.pk}/{action}/").status_code == 404
    assert cast.client(cast.member).get("/knowledge/").status_code == 200
    assert Fact.objects.get(pk=found.pk).status == FactStatus.VERIFIED


def test_the_owner_edits_through_the_form_and_a_trainee_may_not(cast: Cast) -> None:
    found = fact(cast.acme, cast.coordinator, "Refunds take 10 days.", owner=cast.member)
    assert cast.client(cast.trainee).get(f"/knowledge/facts/{found.pk}/edit/").status_code == 403
    response = cast.client(cast.member).post(
        f"/knowledge/facts/{found.pk}/edit/",
        {"statement": "Refunds take 7 days.", "review_interval_days": 90, "owner": cast.member.pk},
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert (found.statement, found.version) == ("Refunds take 7 days.", 2)


def test_retiring_and_verifying_from_the_fact_page(cast: Cast) -> None:
    draft = fact(cast.acme, cast.coordinator, "Bikes go in coach A.", verify=False)
    assert cast.client(cast.member).post(f"/knowledge/facts/{draft.pk}/verify/").status_code == 403
    mentor = cast.client(cast.mentor)
    mentor.post(f"/knowledge/facts/{draft.pk}/verify/")
    mentor.post(f"/knowledge/facts/{draft.pk}/retire/")
    draft.refresh_from_db()
    assert draft.status == FactStatus.RETIRED


def test_the_facts_list_costs_the_same_queries_for_few_or_many(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    for n in range(30):
        fact(cast.acme, cast.coordinator, f"Fact number {n} about bikes.", owner=cast.member)
    client = cast.client(cast.member)
    client.get("/knowledge/")
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        page = client.get("/knowledge/", {"q": "bikes"})
    assert page.content.count(b'<li class="card">') == 30


def test_the_facts_command_lists_adds_reviews_retires_and_reminds(cast: Cast) -> None:
    out = io.StringIO()
    call_command(
        "facts",
        "add",
        "--org",
        "acme",
        "--as",
        "coordinator@example.com",
        "--statement",
        "Dogs travel free.",
        "--source",
        "https://acme.example/dogs",
        "--owner",
        "member@example.com",
        "--verify",
        stdout=out,
    )
    made = Fact.objects.get(statement="Dogs travel free.")
    due(made, services.today_in(cast.acme) - dt.timedelta(days=1))
    out = io.StringIO()
    call_command("facts", "list", "--org", "acme", "--q", "dogs", "--json", stdout=out)
    [row] = json.loads(out.getvalue())
    assert (row["id"], row["stale"], row["owner"]) == (made.pk, True, "member@example.com")
    out = io.StringIO()
    call_command("facts", "remind", stdout=out)
    assert "1 overdue" in out.getvalue()
    assert Notification.objects.filter(person=cast.member, kind="fact_review").count() == 1
    call_command("facts", "reviewed", str(made.pk), "--as", "member@example.com", stdout=out)
    with pytest.raises(CommandError, match="Only people"):
        call_command("facts", "retire", str(made.pk), "--as", "member@example.com")
    call_command("facts", "retire", str(made.pk), "--as", "director@example.com", stdout=out)
    made.refresh_from_db()
    assert made.status == FactStatus.RETIRED
