"""The crisis screens: the banner everywhere, the incident page, the runbook, the report."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.utils import timezone

from cluetrain.crisis import services
from cluetrain.crisis.models import Incident, PauseStatus, Runbook
from cluetrain.crisis.services import Declaration
from cluetrain.listening.models import Message
from cluetrain.publishing.models import Delivery, PostStatus
from tests.conftest import Cast
from tests.support.inbox import author, conversation
from tests.test_crisis_pause import official, schedule


def incident_with_a_pause(cast: Cast) -> Incident:
    voice = official(cast, "@acme.page")
    schedule(cast, voice, "Winter sale <b>now</b>")
    incident, _ = services.do_declare_incident(
        cast.operations, cast.acme, Declaration(title="Power cut <i>north</i>")
    )
    return incident


def test_the_banner_shows_on_every_page_while_an_incident_is_open(cast: Cast) -> None:
    client = cast.client(cast.member)
    assert b"banner incident" not in client.get("/").content
    incident = incident_with_a_pause(cast)
    for page in ("/", "/publish/", "/inbox/", "/crisis/"):
        content = client.get(page).content
        assert b"banner incident" in content, page
        assert b"Power cut &lt;i&gt;north&lt;/i&gt;" in content
    services.do_end_incident(cast.director, incident)
    assert b"banner incident" not in client.get("/").content
    # Another organisation's people see nothing of it.
    assert b"banner incident" not in cast.client(cast.outsider).get("/").content


def test_the_incident_page_lists_paused_posts_with_their_actions(cast: Cast) -> None:
    incident = incident_with_a_pause(cast)
    page = cast.client(cast.operations).get(f"/crisis/incidents/{incident.pk}/")
    assert page.status_code == 200
    assert b"Winter sale &lt;b&gt;now&lt;/b&gt;" in page.content
    for action in (b'value="resume"', b'value="reschedule"', b'value="cancel"'):
        assert action in page.content
    assert b"the whole organisation" in page.content
    # A member may look but is offered no action.
    member_page = cast.client(cast.member).get(f"/crisis/incidents/{incident.pk}/")
    assert b'value="cancel"' not in member_page.content
    assert cast.client(cast.outsider).get(f"/crisis/incidents/{incident.pk}/").status_code == 404


def test_resuming_from_the_page(cast: Cast) -> None:
    incident = incident_with_a_pause(cast)
    pause = incident.paused.get()
    client = cast.client(cast.operations)
    answer = client.post(
        f"/crisis/incidents/{incident.pk}/paused", {"action": "resume", "pause": [pause.pk]}
    )
    assert answer.status_code == 302
    assert Delivery.objects.get(pk=pause.delivery_id).status == PostStatus.SCHEDULED
    # A member's post is refused by the service.
    assert (
        cast.client(cast.member)
        .post(f"/crisis/incidents/{incident.pk}/paused", {"action": "cancel", "all": "1"})
        .status_code
        == 403
    )


def test_declaring_and_ending_from_the_pages(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    assert client.get("/crisis/declare/").status_code == 200
    answer = client.post(
        "/crisis/declare/",
        {"title": "Bridge closed", "severity": "critical", "whole_organization": "on"},
    )
    incident = Incident.objects.get(title="Bridge closed")
    assert answer.url == f"/crisis/incidents/{incident.pk}/"
    client.post(f"/crisis/incidents/{incident.pk}/end", {"note": "Reopened"})
    incident.refresh_from_db()
    assert not incident.is_open
    assert cast.client(cast.member).get("/crisis/declare/").status_code == 403
    bad = client.post("/crisis/declare/", {"title": "Nowhere", "severity": "minor"})
    assert b"Name the departments" in bad.content


def test_the_runbook_page_saves_for_directors_and_only_reads_for_members(cast: Cast) -> None:
    voice = official(cast, "@acme.runbook")
    client = cast.client(cast.director)
    answer = client.post(
        "/crisis/runbook/",
        {
            "paged_people": [str(cast.director.pk)],
            "responders": [str(cast.operations.pk)],
            "official_voices": [str(voice.pk)],
            "paused_categories": ["marketing"],
            "update_templates": "First\nWe know about {title}.\n---\nFixed\nAll fixed.",
            "alert_emails": "on",
        },
    )
    assert answer.status_code == 302
    book = Runbook.objects.get(organization=cast.acme)
    assert list(book.responders.all()) == [cast.operations]
    assert book.paused_categories == ["marketing"]
    assert [t["name"] for t in book.update_templates] == ["First", "Fixed"]
    refused = cast.client(cast.member).post("/crisis/runbook/", {"paused_categories": []})
    assert refused.status_code == 403
    bad = client.post("/crisis/runbook/", {"slack_webhook_url": "ftp://example.com/x"})
    assert b"Only http:// and https://" in bad.content


def test_the_report_counts_messages_responses_and_pauses_as_csv_and_html(cast: Cast) -> None:
    incident = incident_with_a_pause(cast)
    who = author(cast.acme)
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(declared_at=now - timedelta(minutes=20))
    incident.refresh_from_db()
    for minutes, sentiment, label in ((-30, 0.2, "positive"), (-1, -0.8, "negative")):
        Message.objects.create(
            organization=cast.acme,
            network="bluesky",
            external_id=f"at://x/{minutes}",
            author=who,
            text='=HYPERLINK("http://evil")' if minutes == -1 else "fine",
            created_at=now + timedelta(minutes=minutes),
            received_at=now + timedelta(minutes=minutes),
            sentiment=sentiment,
            sentiment_label=label,
        )
    conversation(
        cast.acme,
        who=who,
        at=incident.declared_at + timedelta(minutes=1),
        first_message_at=incident.declared_at + timedelta(minutes=1),
        first_response_at=incident.declared_at + timedelta(minutes=11),
    )
    services.do_decide(cast.operations, incident, "cancel")
    client = cast.client(cast.director)
    page = client.get(f"/crisis/incidents/{incident.pk}/report/")
    assert page.status_code == 200
    assert b'id="chart-data"' in page.content
    assert b"<svg" in page.content
    exported = client.get(f"/crisis/incidents/{incident.pk}/report.html")
    assert "attachment" in exported["Content-Disposition"]
    assert b"<svg" in exported.content
    assert b"/static/" not in exported.content  # opens from a file, nothing to fetch
    assert b"Winter sale &lt;b&gt;now&lt;/b&gt;" in exported.content
    answer = client.get(f"/crisis/incidents/{incident.pk}/report.csv")
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    summary = {row[1]: row[2] for row in rows if row[0] == "summary"}
    assert summary["messages"] == "2"
    assert summary["conversations"] == "1"
    assert summary["median_response_minutes"] == "10.0"
    volume = [row for row in rows if row[0] == "volume"]
    assert sum(int(row[2]) for row in volume) == 2
    paused = [row for row in rows if row[0] == "paused"]
    assert paused[0][1] == "Winter sale <b>now</b>"
    assert paused[0][2] == PauseStatus.CANCELLED
    verbs = [row[2] for row in rows if row[0] == "timeline"]
    assert verbs[:2] == ["declared", "paused"]
    assert "cancelled" in verbs
    # A cell starting with "=" is not run by a spreadsheet.
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_the_incident_page_asks_the_same_number_of_queries_for_2_or_12_paused_posts(
    cast: Cast,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    voice = official(cast, "@acme.count")
    for i in range(2):
        schedule(cast, voice, f"Offer {i}")
    incident, _ = services.do_declare_incident(cast.operations, cast.acme, Declaration(title="A"))
    client = cast.client(cast.operations)
    client.get(f"/crisis/incidents/{incident.pk}/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        client.get(f"/crisis/incidents/{incident.pk}/")
    services.do_end_incident(cast.operations, incident)
    for i in range(10):
        schedule(cast, voice, f"More {i}")
    second, _ = services.do_declare_incident(cast.operations, cast.acme, Declaration(title="B"))
    assert second.paused.count() == 10
    client.get(f"/crisis/incidents/{second.pk}/")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/crisis/incidents/{second.pk}/")
    assert len(many) == len(few)


def test_the_timeline_refreshes_by_itself_and_paused_posts_are_struck_through_on_the_calendar(
    cast: Cast,
) -> None:
    incident = incident_with_a_pause(cast)
    client = cast.client(cast.operations)
    page = client.get(f"/crisis/incidents/{incident.pk}/")
    assert f'hx-get="/crisis/incidents/{incident.pk}/timeline"'.encode() in page.content
    services.do_raise_alert(cast.acme, kind="volume", headline="More <b>delays</b>")
    fragment = client.get(f"/crisis/incidents/{incident.pk}/timeline")
    assert b"More &lt;b&gt;delays&lt;/b&gt;" in fragment.content
    assert b"<html" not in fragment.content
    calendar = cast.client(cast.mentor).get("/publish/calendar/")
    assert b"calendar-item status-paused" in calendar.content
    services.do_end_incident(cast.operations, incident)
    ended = client.get(f"/crisis/incidents/{incident.pk}/")
    assert b"every 15s" not in ended.content


def test_the_admin_shows_incidents_and_alerts_read_only(cast: Cast) -> None:
    incident = incident_with_a_pause(cast)
    client = cast.client(cast.admin)
    assert client.get("/admin/crisis/incident/").status_code == 200
    assert client.get(f"/admin/crisis/incident/{incident.pk}/change/").status_code == 200
    assert client.get("/admin/crisis/incident/add/").status_code == 403
    assert client.get("/admin/crisis/alert/").status_code == 200


def test_the_runbook_is_one_click_from_settings(cast: Cast) -> None:
    page = cast.client(cast.member).get("/settings/")
    assert b'href="/crisis/runbook/"' in page.content
    assert cast.client(cast.member).get("/crisis/runbook/").status_code == 200
