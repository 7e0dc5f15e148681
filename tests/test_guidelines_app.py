"""Guidelines as an organisation keeps them: stored, versioned, checked, edited, exported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from cluetrain.api.services import do_create_token
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.core.models import AuditEvent
from cluetrain.guidelines import services
from cluetrain.guidelines.engine.types import Kind, RuleSpec, Severity, Verdict
from cluetrain.guidelines.models import GuidelineRule, GuidelineVersion
from cluetrain.guidelines.presenting import highlighted, replacement_of
from tests.conftest import Cast
from tests.support.guidelines import FALCON_AND_Q3

FALCON = RuleSpec(
    name="falcon-codename",
    kind=Kind.TERM,
    severity=Severity.BLOCK,
    terms=("Project Falcon", "Falcon X2"),
    explanation="Falcon is unannounced.",
    suggestion='Say "our next product".',
)
Q3 = RuleSpec(
    name="q3-numbers",
    kind=Kind.PATTERN,
    severity=Severity.REVIEW,
    pattern=r"\bQ3 (revenue|sales)\b",
)
CARDS = RuleSpec(name="cards", kind=Kind.DETECTOR, severity=Severity.BLOCK, detector="payment_card")
CARD_NUMBER = "4111 1111 1111 1111"


# ---- Saving, versions, permissions -------------------------------------------------------------


def test_each_save_bumps_the_version_and_keeps_a_snapshot(cast: Cast) -> None:
    first = services.do_save_rules(cast.director, cast.acme, [FALCON], "First rules")
    second = services.do_save_rules(cast.coordinator, cast.acme, [FALCON, Q3])
    assert (first.number, second.number) == (1, 2)
    assert "falcon-codename" in first.snapshot
    assert "q3-numbers" not in first.snapshot
    assert "q3-numbers" in second.snapshot
    assert first.note == "First rules"
    assert second.created_by == cast.coordinator
    assert services.rule_set_of(cast.acme).version == 2  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(
        organization=cast.acme, verb="guidelines.saved", target="acme@2"
    ).exists()


def test_every_check_names_the_version_it_used(cast: Cast) -> None:
    assert services.check_text(cast.acme, "hello").version == "acme@0"
    services.do_save_rules(cast.director, cast.acme, [FALCON])
    assert services.check_text(cast.acme, "hello").version == "acme@1"
    services.do_save_rules(cast.director, cast.acme, [Q3])
    result = services.check_text(cast.acme, "Project Falcon and Q3 revenue")
    assert result.version == "acme@2"
    assert [f.rule for f in result.findings] == ["q3-numbers"]  # not the cached version 1


def test_a_rule_that_cannot_run_is_refused_with_its_name(cast: Cast) -> None:
    broken = RuleSpec(name="broken-pattern", kind=Kind.PATTERN, severity=Severity.WARN, pattern="(")
    with pytest.raises(ServiceError) as refused:
        services.do_save_rules(cast.director, cast.acme, [FALCON, broken])
    assert "broken-pattern" in refused.value.message
    assert not GuidelineVersion.objects.filter(rule_set__organization=cast.acme).exists()


def test_two_rules_cannot_share_a_name(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="Two rules are named"):
        services.do_save_rules(cast.director, cast.acme, [FALCON, FALCON])


@pytest.mark.parametrize("who", ["member", "mentor", "trainee", "admin", "outsider"])
def test_only_directors_and_coordinators_edit_guidelines(cast: Cast, who: str) -> None:
    with pytest.raises(NotAllowed):
        services.do_save_rules(getattr(cast, who), cast.acme, [FALCON])
    assert not GuidelineRule.objects.exists()


def test_a_switched_off_rule_is_kept_but_not_checked(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON, Q3], disabled={"q3-numbers"})
    assert [rule.enabled for rule in services.stored_rules(cast.acme)] == [True, False]
    result = services.check_text(cast.acme, "Q3 revenue of Project Falcon")
    assert [f.rule for f in result.findings] == ["falcon-codename"]


def test_changing_and_deleting_one_rule_keeps_the_others(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON, Q3])
    louder = RuleSpec(name="q3-numbers", kind=Kind.PATTERN, severity=Severity.BLOCK, pattern="Q3")
    services.do_save_rule(cast.director, cast.acme, louder, replacing="q3-numbers")
    services.do_delete_rule(cast.coordinator, cast.acme, "falcon-codename")
    assert services.rules_of(cast.acme) == [louder]
    assert [v.note for v in services.versions_of(cast.acme)] == [
        "Deleted “falcon-codename”.",
        "Changed “q3-numbers”.",
        "",
    ]


# ---- Checking ----------------------------------------------------------------------------------


def test_an_organisation_without_rules_gets_the_built_in_detectors(cast: Cast) -> None:
    result = services.check_text(cast.acme, f"My card is {CARD_NUMBER}")
    assert result.verdict == Verdict.BLOCK
    assert result.findings[0].match == CARD_NUMBER


def test_organisation_rules_find_their_terms_and_patterns(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON, Q3])
    text = "Our Q3 sales beat PROJECT  falcon!"
    result = services.check_text(cast.acme, text)
    assert result.verdict == Verdict.BLOCK
    found = {f.rule: text[f.start : f.end] for f in result.findings}
    assert found == {"q3-numbers": "Q3 sales", "falcon-codename": "PROJECT  falcon"}
    assert services.check_text(cast.globex, text).verdict == Verdict.OK  # another organisation


def test_an_embargo_ends_at_its_time(cast: Cast) -> None:
    until = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
    embargo = RuleSpec(
        name="launch", kind=Kind.EMBARGO, severity=Severity.BLOCK, terms=("Skyline",), until=until
    )
    services.do_save_rules(cast.director, cast.acme, [embargo])
    before = services.check_text(cast.acme, "Skyline is here", now=until - timedelta(minutes=1))
    after = services.check_text(cast.acme, "Skyline is here", now=until + timedelta(minutes=1))
    assert (before.verdict, after.verdict) == (Verdict.BLOCK, Verdict.OK)
    assert services.rules_of(cast.acme)[0].until == until  # stored and read back aware


def test_a_sample_is_checked_against_unsaved_rules(cast: Cast) -> None:
    result = services.check_sample(cast.member, cast.acme, [FALCON], "Falcon X2 soon")
    assert [f.rule for f in result.findings] == ["falcon-codename"]
    assert result.version == "acme@draft"
    assert not GuidelineVersion.objects.exists()
    with pytest.raises(NotAllowed):
        services.check_sample(cast.outsider, cast.acme, [FALCON], "Falcon X2 soon")


# ---- Rules files -------------------------------------------------------------------------------

RULES_FILE = (
    FALCON_AND_Q3
    + """  - name: cards
    kind: detector
    detector: payment_card
    severity: block
"""
)


def test_a_rules_file_round_trips_through_the_database(cast: Cast) -> None:
    version = services.do_import_yaml(cast.director, cast.acme, RULES_FILE)
    assert version.note == "Imported from a rules file."
    assert services.rules_of(cast.acme) == [FALCON, Q3, CARDS]
    exported = services.export_yaml(cast.acme)
    services.do_import_yaml(cast.outsider, cast.globex, exported)  # Globex's director
    assert services.rules_of(cast.globex) == [FALCON, Q3, CARDS]


def test_a_bad_rules_file_is_refused_and_nothing_changes(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON])
    with pytest.raises(ServiceError, match="cannot be read"):
        services.do_import_yaml(cast.director, cast.acme, "rules: [{name: x, kind: nonsense}]")
    assert services.rules_of(cast.acme) == [FALCON]


def test_the_export_of_an_organisation_without_rules_is_the_built_in_set(cast: Cast) -> None:
    assert "payment_card" in services.export_yaml(cast.acme)


# ---- Presenting findings -----------------------------------------------------------------------


def test_the_marked_text_escapes_every_piece() -> None:
    services_result = services.compile_rules([FALCON]).check("<b>Falcon X2</b> & co")
    html = highlighted("<b>Falcon X2</b> & co", services_result.findings)
    assert html == (
        '&lt;b&gt;<mark class="finding block" data-finding="1" title="Falcon is unannounced.">'
        "Falcon X2</mark>&lt;/b&gt; &amp; co"
    )


def test_a_quoted_suggestion_becomes_the_replacement() -> None:
    assert replacement_of('Say "our next product".') == "our next product"
    assert replacement_of("Say “a new product” instead") == "a new product"
    assert replacement_of("Remove the number.") is None


# ---- API ---------------------------------------------------------------------------------------


def api(cast: Cast, person: Any, path: str, body: Any = None, method: str = "post") -> Any:
    secret = do_create_token(person, cast.acme, "tests")[1]
    headers = {"Authorization": f"Bearer {secret}"}
    if method == "get":
        return Client().get(path, headers=headers)
    data = body if isinstance(body, str) else json.dumps(body)
    return Client().post(path, data, content_type="application/json", headers=headers)


def test_the_api_checks_a_text_with_the_callers_rules(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON])
    text = "Soon: Project Falcon!"
    response = api(cast, cast.member, "/api/guidelines/check", {"text": text})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "block"
    assert body["version"] == "acme@1"
    finding = body["findings"][0]
    assert text[finding["start"] : finding["end"]] == finding["match"] == "Project Falcon"
    assert finding["suggestion"] == 'Say "our next product".'


def test_the_api_finds_nothing_in_an_empty_text(cast: Cast) -> None:
    response = api(cast, cast.member, "/api/guidelines/check", {"text": ""})
    assert response.json() == {"verdict": "ok", "version": "acme@0", "findings": []}


@pytest.mark.parametrize(
    ("body", "code"),
    [({"text": 42}, "invalid_input"), ({}, "invalid_input"), ("{not json", "malformed_json")],
)
def test_the_api_refuses_bad_input_with_its_error_shape(cast: Cast, body: Any, code: str) -> None:
    response = api(cast, cast.member, "/api/guidelines/check", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_the_api_checks_only_in_the_callers_organisation(cast: Cast) -> None:
    response = api(
        cast, cast.member, "/api/guidelines/check", {"text": "x", "organization": "globex"}
    )
    assert response.status_code == 403
    assert "Acme" in response.json()["error"]["message"]
    same = api(cast, cast.member, "/api/guidelines/check", {"text": "x", "organization": "acme"})
    assert same.status_code == 200


def test_the_api_needs_a_caller(cast: Cast) -> None:
    response = Client().post(
        "/api/guidelines/check", {"text": "x"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_the_api_exports_the_rules_to_editors_only(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON])
    as_json = api(cast, cast.coordinator, "/api/guidelines/rules", method="get")
    assert as_json.json()["version"] == 1
    assert as_json.json()["rules"][0]["terms"] == ["Project Falcon", "Falcon X2"]
    as_yaml = api(cast, cast.director, "/api/guidelines/rules?format=yaml", method="get")
    assert as_yaml["Content-Type"].startswith("application/yaml")
    assert "falcon-codename" in as_yaml.content.decode()
    refused = api(cast, cast.member, "/api/guidelines/rules", method="get")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_allowed"


# ---- The guidelines page -----------------------------------------------------------------------


def test_every_member_sees_the_rules_and_only_editors_the_editing(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON], "Launch season")
    page = cast.client(cast.member).get("/settings/guidelines/").content.decode()
    assert "falcon-codename" in page
    assert "Launch season" in page
    assert "Import, replacing every rule" not in page
    editor = cast.client(cast.coordinator).get("/settings/guidelines/").content.decode()
    assert "Import, replacing every rule" in editor
    assert (
        cast.client(cast.member).get("/settings/guidelines/rules/edit/?kind=term").status_code
        == 403
    )
    assert (
        cast.client(cast.mentor)
        .post("/settings/guidelines/rules/delete/", {"rule": "falcon-codename"})
        .status_code
        == 403
    )


def rule_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "falcon-codename",
        "kind": "term",
        "severity": "block",
        "enabled": "on",
        **fields,
    }


def test_an_editor_adds_a_term_rule_from_the_form(cast: Cast) -> None:
    client = cast.client(cast.director)
    response = client.post(
        "/settings/guidelines/rules/edit/",
        rule_form(terms="Project Falcon\n\nFalcon X2\n", explanation="Unannounced."),
    )
    assert response.status_code == 302
    assert services.rules_of(cast.acme)[0].terms == ("Project Falcon", "Falcon X2")


def test_an_invalid_pattern_is_shown_in_the_form_and_not_saved(cast: Cast) -> None:
    client = cast.client(cast.director)
    response = client.post(
        "/settings/guidelines/rules/edit/?kind=pattern",
        rule_form(name="bad", kind="pattern", pattern="(unclosed"),
    )
    assert response.status_code == 200
    assert "The rule “bad” cannot be used" in response.content.decode()
    assert not GuidelineRule.objects.exists()


def test_an_embargo_is_read_in_the_editors_time_zone(cast: Cast) -> None:
    cast.director.time_zone = "Europe/Paris"
    cast.director.save(update_fields=["time_zone"])
    cast.client(cast.director).post(
        "/settings/guidelines/rules/edit/",
        rule_form(name="launch", kind="embargo", terms="Skyline", until="2030-05-01T11:00"),
    )
    assert services.rules_of(cast.acme)[0].until == datetime(2030, 5, 1, 9, 0, tzinfo=UTC)


def test_the_test_box_uses_the_rule_being_edited(cast: Cast) -> None:
    client = cast.client(cast.coordinator)
    fragment = client.post(
        "/settings/guidelines/test/",
        rule_form(terms="Falcon X2", sample="The <script>Falcon X2</script> ships"),
    ).content.decode()
    assert '<mark class="finding block"' in fragment
    assert "&lt;script&gt;" in fragment
    assert "<script>" not in fragment
    live = client.post(
        "/settings/guidelines/test/", rule_form(kind="pattern", pattern="(", sample="x")
    ).content.decode()
    assert "The rule “falcon-codename” cannot be used" in live


def test_the_test_box_checks_the_saved_rules_for_any_member(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON])
    fragment = (
        cast.client(cast.trainee)
        .post("/settings/guidelines/test/", {"sample": "Project Falcon"})
        .content.decode()
    )
    assert "Cannot be published: Falcon is unannounced." in fragment


def test_import_and_export_through_the_page(cast: Cast) -> None:
    client = cast.client(cast.director)
    client.post("/settings/guidelines/import/", {"text": RULES_FILE, "note": "From the wiki"})
    assert [r.name for r in services.rules_of(cast.acme)] == [
        "falcon-codename",
        "q3-numbers",
        "cards",
    ]
    download = client.get("/settings/guidelines/export/")
    assert download["Content-Disposition"].startswith('attachment; filename="acme-guidelines-')
    assert "q3-numbers" in download.content.decode()
    assert cast.client(cast.member).get("/settings/guidelines/export/").status_code == 403


# ---- The composer ------------------------------------------------------------------------------


def test_the_composer_check_marks_a_finding_and_escapes_hostile_text(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON])
    response = cast.client(cast.member).post(
        "/publish/check/",
        {
            "text": "<script>alert(1)</script> Project Falcon <script>",
            "voice": [cast.member_voice.pk],
        },
    )
    fragment = response.content.decode()
    assert (
        '<mark class="finding block" data-finding="1" title="Falcon is unannounced.">'
        "Project Falcon</mark>" in fragment
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    assert "<script>" not in fragment
    assert "Cannot be published: Falcon is unannounced." in fragment
    assert (
        'data-guideline-replace data-start="26" data-match="Project Falcon" '
        'data-with="our next product"' in fragment
    )


def test_the_composer_check_says_when_a_post_needs_review(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [Q3])
    fragment = (
        cast.client(cast.member).post("/publish/check/", {"text": "Q3 revenue up"}).content.decode()
    )
    assert "Needs review" in fragment


def test_the_settings_page_links_to_the_guidelines(cast: Cast) -> None:
    page = cast.client(cast.member).get("/settings/").content.decode()
    assert 'href="/settings/guidelines/"' in page


def test_the_editor_shows_the_fields_of_the_rules_kind(cast: Cast) -> None:
    services.do_save_rules(cast.director, cast.acme, [FALCON, Q3])
    client = cast.client(cast.director)
    pattern = client.get("/settings/guidelines/rules/edit/?rule=q3-numbers").content.decode()
    assert 'name="pattern"' in pattern
    assert 'value="\\bQ3 (revenue|sales)\\b"' in pattern
    assert 'name="terms"' not in pattern
    detector = client.get("/settings/guidelines/rules/edit/?kind=detector").content.decode()
    assert '<option value="payment_card">' in detector
    assert 'name="domains"' in detector


def test_the_rules_page_asks_the_database_a_fixed_number_of_times(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    many = [
        RuleSpec(name=f"rule-{n}", kind=Kind.TERM, severity=Severity.WARN, terms=(f"t{n}",))
        for n in range(30)
    ]
    services.do_save_rules(cast.director, cast.acme, many)
    client = cast.client(cast.director)
    with django_assert_max_num_queries(12):
        page = client.get("/settings/guidelines/")
    assert page.content.decode().count("rule-") >= 30
