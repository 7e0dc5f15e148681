"""The incidents API: list, read with the timeline, declare, post an update, close."""

from __future__ import annotations

from cluetrain.crisis.models import Incident, IncidentStatus
from cluetrain.crisis.services import Declaration, do_declare_incident
from tests.conftest import Cast
from tests.support.api_work import assert_error, call, queries_of, token


def _declare(cast: Cast, title: str = "Outage", **kwargs: object) -> Incident:
    return do_declare_incident(cast.director, cast.acme, Declaration(title=title, **kwargs))[0]  # type: ignore[arg-type]


def test_a_coordinator_declares_an_incident_and_reads_it_back_with_its_timeline(cast: Cast) -> None:
    secret = token(cast.coordinator, cast.acme)
    response = call(
        "post",
        "/api/incidents",
        secret,
        {"title": "  Payment   outage ", "severity": "critical", "public_summary": "Cards fail."},
    )
    assert response.status_code == 201, response.content
    incident = response.json()["incident"]
    assert (incident["title"], incident["severity"], incident["status"]) == (
        "Payment outage",
        "critical",
        "open",
    )
    assert incident["declared_by"]["id"] == cast.coordinator.pk
    assert response.json()["paused"] == 0
    read = call("get", f"/api/incidents/{incident['id']}", secret).json()
    assert read["timeline"][0]["verb"] == "declared"
    assert read["timeline"][0]["actor"]["name"] == cast.coordinator.full_name


def test_a_member_reads_incidents_but_may_not_declare_one(cast: Cast) -> None:
    _declare(cast)
    secret = token(cast.member, cast.acme)
    assert call("get", "/api/incidents", secret).json()["count"] == 1
    assert_error(call("post", "/api/incidents", secret, {"title": "Nope"}), 403, "not_allowed")
    assert Incident.objects.count() == 1


def test_a_declaration_naming_another_organisations_voice_is_refused(cast: Cast) -> None:
    secret = token(cast.director, cast.acme)
    from cluetrain.voices.models import Network, Voice, VoiceKind

    theirs = Voice.objects.create(
        organization=cast.globex,
        network=Network.PRACTICE,
        handle="@g",
        kind=VoiceKind.OFFICIAL,
        name="G",
    )
    body = {"title": "Scoped", "whole_organization": False, "voice_ids": [theirs.pk]}
    assert_error(call("post", "/api/incidents", secret, body), 400, "scope")
    assert_error(call("post", "/api/incidents", secret, {"title": "x", "severity": "huge"}), 400)
    assert_error(call("post", "/api/incidents", secret, {"title": " "}), 400, "title")
    assert not Incident.objects.exists()


def test_the_list_filters_by_status_and_severity(cast: Cast) -> None:
    _declare(cast, "One", severity="minor")
    ended = _declare(cast, "Two")
    secret = token(cast.director, cast.acme)
    call("post", f"/api/incidents/{ended.pk}/close", secret, {"note": "Fixed."})

    def titles(query: dict[str, str]) -> list[str]:
        found = call("get", "/api/incidents", secret, query).json()["items"]
        return [i["title"] for i in found]

    assert titles({"status": "open"}) == ["One"]
    assert titles({"status": "ended"}) == ["Two"]
    assert titles({"severity": "minor"}) == ["One"]
    assert_error(call("get", "/api/incidents", secret, {"status": "weird"}), 400, "invalid_input")


def test_closing_ends_the_incident_once(cast: Cast) -> None:
    incident = _declare(cast)
    secret = token(cast.operations, cast.acme)
    closed = call("post", f"/api/incidents/{incident.pk}/close", secret, {"note": "Back."})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == IncidentStatus.ENDED
    assert closed.json()["timeline"][-1]["verb"] == "ended"
    assert_error(call("post", f"/api/incidents/{incident.pk}/close", secret), 400, "ended")


def test_a_status_update_goes_on_the_status_page(cast: Cast) -> None:
    incident = _declare(cast)
    secret = token(cast.director, cast.acme)
    response = call(
        "post", f"/api/incidents/{incident.pk}/updates", secret, {"text": "Working on it."}
    )
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Working on it."
    assert response.json()["post_ids"] == []
    assert_error(
        call("post", f"/api/incidents/{incident.pk}/updates", secret, {"text": ""}), 400, "text"
    )
    trainee = token(cast.trainee, cast.acme)
    assert_error(
        call("post", f"/api/incidents/{incident.pk}/updates", trainee, {"text": "Hi"}), 403
    )


def test_another_organisations_incident_is_not_found(cast: Cast) -> None:
    incident = _declare(cast)
    secret = token(cast.outsider, cast.globex)
    assert_error(call("get", f"/api/incidents/{incident.pk}", secret), 404, "not_found")
    assert_error(call("post", f"/api/incidents/{incident.pk}/close", secret), 404, "not_found")
    assert call("get", "/api/incidents", secret).json()["count"] == 0


def test_the_incident_list_costs_the_same_queries_for_many_incidents(cast: Cast) -> None:
    secret = token(cast.director, cast.acme)
    _declare(cast, "First")
    few = queries_of("get", "/api/incidents", secret)
    for number in range(4):
        _declare(cast, f"More {number}", whole_organization=False, departments=[cast.care])
    assert queries_of("get", "/api/incidents", secret) == few
