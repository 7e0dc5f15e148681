"""Data leaving Cluetrain is audited: every CSV export, the monthly report, backups, restores."""

from __future__ import annotations

import getpass
import io
import socket
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cluetrain.api.services import do_create_token
from cluetrain.backups.services import do_backup, do_restore
from cluetrain.core.models import AuditEvent
from cluetrain.crisis import services as crisis
from cluetrain.crisis.services import Declaration
from cluetrain.guidelines import services as guidelines
from cluetrain.guidelines.engine.types import Kind, RuleSpec, Severity
from cluetrain.organizations.models import Organization, Person
from tests.conftest import Cast

WEEK = "range=custom&from=2026-03-02&to=2026-03-08"


def exports(organization: Organization) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organization=organization, verb="data.exported"))


def test_an_insights_csv_download_records_who_took_which_table_for_which_period(
    cast: Cast,
) -> None:
    response = cast.client(cast.director).get(f"/insights/top_posts.csv?{WEEK}")
    assert response.status_code == 200

    [event] = exports(cast.acme)
    assert event.actor == cast.director
    assert event.target == "insights.top_posts"
    assert event.data["table"] == "top_posts"
    assert event.data["scope"] == "organization"
    assert (event.data["start"], event.data["end"]) == ("2026-03-02", "2026-03-08")
    assert event.data["via"] == "web"
    assert not exports(cast.globex)


def test_a_department_csv_names_the_department(cast: Cast) -> None:
    url = f"/insights/departments/{cast.care.pk}/engagement.csv?{WEEK}"
    assert cast.client(cast.director).get(url).status_code == 200
    [event] = exports(cast.acme)
    assert event.data["scope"] == "department"
    assert event.data["department_id"] == cast.care.pk


def test_a_refused_or_unknown_export_records_nothing(cast: Cast) -> None:
    member = cast.client(cast.member)
    assert member.get(f"/insights/engagement.csv?{WEEK}").status_code == 403
    director = cast.client(cast.director)
    assert director.get(f"/insights/nonsense.csv?{WEEK}").status_code == 404
    assert exports(cast.acme) == []


def test_the_monthly_report_csv_records_its_month(cast: Cast) -> None:
    response = cast.client(cast.director).get("/insights/report/2026-03.csv")
    assert response.status_code == 200
    [event] = exports(cast.acme)
    assert event.actor == cast.director
    assert event.data["table"] == "report"
    assert (event.data["start"], event.data["end"]) == ("2026-03-01", "2026-03-31")
    # Reading the report on screen is not an export.
    assert cast.client(cast.director).get("/insights/report/2026-03/").status_code == 200
    assert len(exports(cast.acme)) == 1


def test_cluetrain_export_records_no_person_but_the_os_user(cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "topics.csv"
    call_command(
        "export",
        "--org",
        "acme",
        "--table",
        "topics",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-08",
        "-o",
        str(out),
    )
    call_command(
        "export", "--org", "acme", "--table", "report", "--month", "2026-02", "-o", str(out)
    )

    topics, report = sorted(exports(cast.acme), key=lambda e: e.pk)
    assert topics.actor is None
    assert topics.data["os_user"] == getpass.getuser()
    assert topics.data["host"] == socket.gethostname()
    assert topics.data["via"] == "cli"
    assert (topics.data["table"], topics.data["start"]) == ("topics", "2026-03-02")
    assert report.data["table"] == "report"
    assert (report.data["start"], report.data["end"]) == ("2026-02-01", "2026-02-28")


@pytest.mark.parametrize(
    ("command", "what", "form"),
    [
        ("agencies index --org acme --csv", "agencies.self_sufficiency", "csv"),
        ("agencies index --org acme", "agencies.self_sufficiency", "table"),
        (
            "campaigns cost --org acme --from 2026-03-01 --to 2026-03-31 --csv",
            "campaigns.cost",
            "csv",
        ),
        ("campaigns cost --org acme --from 2026-03-01 --to 2026-03-31", "campaigns.cost", "table"),
    ],
)
def test_the_other_commands_exports_are_recorded_as_csv_or_as_a_printed_table(
    cast: Cast, command: str, what: str, form: str
) -> None:
    out = io.StringIO()
    call_command(*command.split(), stdout=out)
    assert out.getvalue()
    [event] = exports(cast.acme)
    assert (event.actor, event.target) == (None, what)
    assert event.data["os_user"] == getpass.getuser()
    assert event.data["via"] == "cli"
    assert event.data["format"] == form
    assert event.data["start"] <= event.data["end"]
    assert not exports(cast.globex)


def test_the_audit_logs_own_csv_export_is_recorded(cast: Cast) -> None:
    response = cast.client(cast.director).get("/settings/audit/export.csv?verb=person.")
    assert response.status_code == 200
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    [event] = exports(cast.acme)
    assert (event.actor, event.target) == (cast.director, "audit_log")
    assert event.data["filters"] == {"verb": "person."}
    assert (event.data["via"], event.data["format"]) == ("web", "csv")


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("campaigns:cost_csv", "campaigns.cost"),
        ("agencies:self_sufficiency_csv", "agencies.self_sufficiency"),
    ],
)
def test_the_other_csv_exports_are_recorded(cast: Cast, url: str, what: str) -> None:
    response = cast.client(cast.director).get(reverse(url))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    [event] = exports(cast.acme)
    assert (event.actor, event.target) == (cast.director, what)
    assert event.data["start"] <= event.data["end"]
    assert (event.data["via"], event.data["format"]) == ("web", "csv")
    assert "os_user" not in event.data  # a signed-in person is the actor


@pytest.mark.parametrize("form", ["csv", "html"])
def test_the_incident_report_downloads_are_recorded(cast: Cast, form: str) -> None:
    incident, _ = crisis.do_declare_incident(cast.operations, cast.acme, Declaration(title="Fire"))
    url = f"/crisis/incidents/{incident.pk}/report.{form}"
    response = cast.client(cast.member).get(url)
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="incident-{incident.pk}.{form}"'
    )
    [event] = exports(cast.acme)
    assert (event.actor, event.target) == (cast.member, "crisis.incident_report")
    assert event.data["incident"] == incident.pk
    assert event.data["title"] == "Fire"
    assert (event.data["via"], event.data["format"]) == ("web", form)
    assert not exports(cast.globex)


def test_reading_the_incident_report_on_its_page_is_not_an_export(cast: Cast) -> None:
    incident, _ = crisis.do_declare_incident(cast.operations, cast.acme, Declaration(title="Fire"))
    client = cast.client(cast.member)
    assert client.get(f"/crisis/incidents/{incident.pk}/report/").status_code == 200
    assert client.get(f"/crisis/incidents/{incident.pk}/").status_code == 200
    assert exports(cast.acme) == []
    # Another organisation's incident is not found, and not recorded.
    assert (
        cast.client(cast.outsider).get(f"/crisis/incidents/{incident.pk}/report.html").status_code
        == 404
    )
    assert exports(cast.acme) == exports(cast.globex) == []


SECRET_PROJECT = RuleSpec(
    name="Project Zephyr", kind=Kind.TERM, severity=Severity.BLOCK, terms=("zephyr",)
)


def test_downloading_the_rules_file_is_recorded(cast: Cast) -> None:
    version = guidelines.do_save_rules(cast.director, cast.acme, [SECRET_PROJECT], "one rule")
    response = cast.client(cast.coordinator).get("/settings/guidelines/export/")
    assert response.status_code == 200
    assert "zephyr" in response.content.decode()
    [event] = exports(cast.acme)
    assert (event.actor, event.target) == (cast.coordinator, "guidelines.rules")
    assert (event.data["via"], event.data["format"]) == ("web", "yaml")
    assert (event.data["version"], event.data["rules"]) == (version.number, 1)


def test_a_refused_rules_file_records_nothing(cast: Cast) -> None:
    assert cast.client(cast.member).get("/settings/guidelines/export/").status_code == 403
    assert exports(cast.acme) == []


def api_get(person: Person, organization: Organization, path: str, **query: str) -> Any:
    secret = do_create_token(person, organization, "export script")[1]
    return Client().get(path, query, headers={"Authorization": f"Bearer {secret}"})


def test_the_rules_file_through_the_api_is_recorded_but_their_json_is_not(cast: Cast) -> None:
    response = api_get(cast.director, cast.acme, "/api/guidelines/rules", format="yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    [event] = exports(cast.acme)
    assert (event.actor, event.target) == (cast.director, "guidelines.rules")
    assert (event.data["via"], event.data["format"]) == ("api", "yaml")
    assert event.data["version"] == 0  # the built-in rules
    # The rules as JSON are the API's reading of the guidelines page, not a file.
    assert api_get(cast.director, cast.acme, "/api/guidelines/rules").status_code == 200
    assert (
        api_get(cast.member, cast.acme, "/api/guidelines/rules", format="yaml").status_code == 403
    )
    assert len(exports(cast.acme)) == 1


def test_insights_read_through_the_api_are_recorded_as_an_export(cast: Cast) -> None:
    week = {"start": "2026-03-02", "end": "2026-03-08"}
    response = api_get(
        cast.director, cast.acme, "/api/insights", tables="summary,top_posts", **week
    )
    assert response.status_code == 200, response.content
    path = f"/api/insights/departments/{cast.care.pk}"
    assert api_get(cast.coordinator, cast.acme, path, **week).status_code == 200

    several, department = sorted(exports(cast.acme), key=lambda e: e.pk)
    assert (several.actor, several.target) == (cast.director, "insights.tables")
    assert several.data["table"] == "summary, top_posts"
    assert (several.data["via"], several.data["format"]) == ("api", "json")
    assert (several.data["scope"], several.data["start"], several.data["end"]) == (
        "organization",
        "2026-03-02",
        "2026-03-08",
    )
    assert (department.actor, department.target) == (cast.coordinator, "insights.summary")
    assert department.data["scope"] == "department"
    assert department.data["department_id"] == cast.care.pk
    assert not exports(cast.globex)


def test_refused_insights_reads_through_the_api_record_nothing(cast: Cast) -> None:
    assert api_get(cast.member, cast.acme, "/api/insights").status_code == 403
    assert api_get(cast.director, cast.acme, "/api/insights", tables="secrets").status_code == 400
    assert exports(cast.acme) == []


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_backup_is_recorded_in_every_organisation_after_it_is_written(
    transactional_db: None, media_root: Path, tmp_path: Path
) -> None:
    acme = Organization.objects.create(name="Acme", slug="acme-b")
    globex = Organization.objects.create(name="Globex", slug="globex-b")

    out = io.StringIO()
    call_command("backup", str(tmp_path / "nightly.tar.gz"), stdout=out)

    for organization in (acme, globex):
        [event] = AuditEvent.objects.filter(
            organization=organization, verb="installation.backed_up"
        )
        assert event.actor is None
        assert event.target == "nightly.tar.gz"
        assert event.data["os_user"] == getpass.getuser()
        assert event.data["host"] == socket.gethostname()
        assert event.data["via"] == "cli"
        assert event.data["rows"] > 0


def test_a_failed_backup_records_nothing(
    transactional_db: None, media_root: Path, tmp_path: Path
) -> None:
    Organization.objects.create(name="Acme", slug="acme-b")
    with pytest.raises(FileNotFoundError, match="no-such-folder"):
        do_backup(tmp_path / "no-such-folder" / "x.tar.gz")
    assert not AuditEvent.objects.filter(verb="installation.backed_up").exists()


def test_a_restore_is_recorded_in_the_restored_database_where_it_survives(
    transactional_db: None, media_root: Path, tmp_path: Path
) -> None:
    kept = Organization.objects.create(name="Kept", slug="kept")
    archive = do_backup(tmp_path / "kept.tar.gz").path
    later = Organization.objects.create(name="Later", slug="later")

    do_restore(archive, force=True)

    assert not Organization.objects.filter(pk=later.pk).exists()
    [restored] = AuditEvent.objects.filter(organization=kept, verb="installation.restored")
    assert restored.actor is None
    assert restored.target == "kept.tar.gz"
    assert restored.data["archive"] == str(archive)
    assert restored.data["forced"] is True
    assert restored.data["os_user"] == getpass.getuser()
    assert (restored.data["via"], restored.data["host"]) == ("cli", socket.gethostname())
    assert restored.data["made_at"]
    # The backup's own event came after its snapshot: the restored log does not hold it.
    assert not AuditEvent.objects.filter(verb="installation.backed_up").exists()
