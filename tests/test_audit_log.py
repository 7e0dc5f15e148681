"""The audit log: append-only in the model and the database, sign-ins recorded, its page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed
from cluetrain.core.models import AppendOnly, AuditEvent
from tests.conftest import PASSWORD, Cast


def test_an_event_cannot_be_changed_or_deleted_through_the_model(cast: Cast) -> None:
    event = audit.record(cast.acme, cast.director, "role.granted", cast.member)
    event.verb = "nothing.happened"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(verb="nothing.happened")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "role.granted"


def test_the_database_refuses_an_update_behind_the_models_back(cast: Cast) -> None:
    event = audit.record(cast.acme, cast.director, "role.granted", cast.member)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET verb = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_id = %s", [cast.outsider.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == "role.granted"


def test_a_delete_behind_the_models_back_is_refused_on_postgresql(cast: Cast) -> None:
    event = audit.record(cast.acme, cast.director, "role.granted", cast.member)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
        assert AuditEvent.objects.filter(pk=event.pk).exists()
    else:
        # SQLite empties tables with DELETE (Django's flush): only updates are refused there.
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert ("core_auditevent_no_update",) in cursor.fetchall()


def test_deleting_a_person_keeps_their_events_without_the_actor(cast: Cast) -> None:
    event = audit.record(cast.acme, cast.trainee, "voice.connected", "a voice")
    cast.trainee.delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.actor is None
    assert kept.verb == "voice.connected"


def test_signing_in_out_and_failing_are_recorded_with_the_address(cast: Cast) -> None:
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.post("/accounts/login/", {"username": cast.member.email, "password": "wrong"})
    client.post("/accounts/login/", {"username": cast.member.email, "password": PASSWORD})
    client.post("/accounts/logout/")
    events = AuditEvent.objects.filter(organization=cast.acme, actor=cast.member).order_by("id")
    assert [event.verb for event in events] == [
        "person.sign_in_failed",
        "person.signed_in",
        "person.signed_out",
    ]
    assert {event.data["address"] for event in events} == {"198.51.100.4"}
    # Globex's leads do not learn about Acme's people.
    assert not AuditEvent.objects.filter(organization=cast.globex, actor=cast.member).exists()


def test_a_failed_sign_in_for_an_unknown_address_is_not_kept(cast: Cast) -> None:
    before = AuditEvent.objects.count()
    Client().post("/accounts/login/", {"username": "nobody@example.org", "password": "x"})
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("key", ["director", "admin"])
def test_leads_read_the_audit_page(cast: Cast, key: str) -> None:
    audit.record(cast.acme, cast.director, "api_token.created", "token <b>one</b>")
    response = cast.client(getattr(cast, key)).get("/settings/audit/")
    assert response.status_code == 200
    assert b"api_token.created" in response.content
    assert b"token &lt;b&gt;one&lt;/b&gt;" in response.content


@pytest.mark.parametrize("key", ["coordinator", "mentor", "member", "trainee", "agency"])
def test_nobody_else_reads_it(cast: Cast, key: str) -> None:
    assert cast.client(getattr(cast, key)).get("/settings/audit/").status_code == 403
    assert cast.client(getattr(cast, key)).get("/settings/audit/export.csv").status_code == 403


def test_an_outsider_sees_no_other_organisations_events(cast: Cast) -> None:
    audit.record(cast.acme, cast.director, "acme.secret", "x")
    with pytest.raises(NotAllowed):
        audit.check_can_read(cast.outsider, cast.acme)


def test_the_page_filters_by_actor_verb_and_day(cast: Cast) -> None:
    audit.record(cast.acme, cast.director, "voice.connected", "v1")
    audit.record(cast.acme, cast.admin, "voice.access_granted", "v2")
    audit.record(cast.acme, cast.admin, "webhook.created", "w1")
    client = cast.client(cast.director)
    by_actor = client.get("/settings/audit/", {"actor": cast.admin.pk}).context["events"]
    assert {event.target for event in by_actor if event.verb != "person.signed_in"} == {
        "v2",
        "w1",
    }
    by_prefix = client.get("/settings/audit/", {"verb": "voice."}).context["events"]
    assert {event.target for event in by_prefix} == {"v1", "v2"}
    exact = client.get("/settings/audit/", {"verb": "webhook.created"}).context["events"]
    assert [event.target for event in exact] == ["w1"]
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert not client.get("/settings/audit/", {"since": tomorrow}).context["events"]


def test_pages_follow_each_other_without_gaps_or_repeats(cast: Cast) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(organization=cast.acme, verb="bulk.event", target=str(n)) for n in range(120)
    )
    seen: list[str] = []
    before = None
    while True:
        events, before = audit.events_page(
            cast.director, cast.acme, audit.AuditFilter(verb="bulk.event"), before=before
        )
        seen += [event.target for event in events]
        if before is None:
            break
    assert seen == [str(n) for n in reversed(range(120))]


def test_the_page_costs_the_same_queries_however_many_events(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(organization=cast.acme, actor=cast.admin, verb="bulk.event", target=str(n))
        for n in range(80)
    )
    client = cast.client(cast.director)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get("/settings/audit/").status_code == 200


def test_the_csv_export_defuses_formulas(cast: Cast) -> None:
    audit.record(cast.acme, cast.director, "fact.created", '=HYPERLINK("http://evil")')
    response = cast.client(cast.director).get("/settings/audit/export.csv", {"verb": "fact."})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == list(audit.CSV_HEADER)
    assert rows[1][3] == "fact.created"
    assert rows[1][4].startswith("'=HYPERLINK")


def test_a_bad_filter_value_is_ignored_not_an_error(cast: Cast) -> None:
    client = cast.client(cast.director)
    response = client.get("/settings/audit/", {"since": "yesterday", "before": "-3", "actor": "x"})
    assert response.status_code == 200


def test_an_organisation_and_its_audit_log_cannot_be_deleted_in_the_admin(cast: Cast) -> None:
    audit.record(cast.acme, None, "test.kept", "history")
    client = Client()
    client.force_login(cast.admin)
    assert (
        client.get(f"/admin/organizations/organization/{cast.acme.pk}/delete/").status_code == 403
    )
    listing = client.get("/admin/organizations/organization/")
    assert listing.status_code == 200
    assert b"delete_selected" not in listing.content
    assert AuditEvent.objects.filter(organization=cast.acme, verb="test.kept").exists()
