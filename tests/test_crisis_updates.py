"""Operations keep customers informed: temporary rights, templates, threads, the public feed."""

from __future__ import annotations

import feedparser
import pytest
from django.test import Client

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.crisis import services, updates
from cluetrain.crisis.models import Runbook
from cluetrain.crisis.services import Declaration
from cluetrain.guidelines.engine.types import Kind, RuleSpec
from cluetrain.guidelines.engine.types import Severity as GuidelineSeverity
from cluetrain.guidelines.services import do_save_rules
from cluetrain.organizations import policy
from cluetrain.publishing import dispatch
from cluetrain.publishing.models import Category, Delivery, PostStatus
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests.conftest import Cast


@pytest.fixture(autouse=True)
def _fresh_policy_cache() -> None:
    dispatch._allowed.clear()


def status_voice(cast: Cast, handle: str = "@acme.status") -> Voice:
    """An official voice nobody is on the list of: only the runbook opens it."""
    voice, _ = Voice.objects.get_or_create(
        organization=cast.acme,
        network=Network.PRACTICE,
        handle=handle,
        defaults={"kind": VoiceKind.OFFICIAL, "name": f"Acme {handle}"},
    )
    return voice


def runbook(cast: Cast, *voices: Voice) -> Runbook:
    book, _ = Runbook.objects.get_or_create(organization=cast.acme)
    book.responders.set([cast.operations])
    book.official_voices.set(voices)
    book.update_templates = [
        {"name": "First", "text": "We know about {title}. Follow {status_page}. {0.__class__}"}
    ]
    book.save()
    return book


def open_incident(cast: Cast) -> services.Incident:  # type: ignore[name-defined]
    incident, _ = services.do_declare_incident(
        cast.director,
        cast.acme,
        Declaration(title="Signal failure", public_summary="Trains delayed at Central."),
    )
    return incident


def test_responders_get_the_runbook_voices_only_while_an_incident_is_open(cast: Cast) -> None:
    voice = status_voice(cast)
    runbook(cast, voice)
    assert not policy.can_post_as(cast.operations, voice)
    assert voice not in policy.postable_voices(cast.operations, cast.acme)
    incident = open_incident(cast)
    assert policy.can_post_as(cast.operations, voice)
    assert voice in policy.postable_voices(cast.operations, cast.acme)
    # Not a responder, not a right: the director is not on the voice's list either.
    assert not policy.can_post_as(cast.member, voice)
    services.do_end_incident(cast.director, incident)
    assert not policy.can_post_as(cast.operations, voice)
    assert voice not in policy.postable_voices(cast.operations, cast.acme)


def test_an_update_waiting_when_the_incident_ends_is_not_sent(cast: Cast) -> None:
    voice = status_voice(cast, "@acme.ending")
    runbook(cast, voice)
    incident = open_incident(cast)
    update = updates.do_post_update(cast.operations, incident, "Trains are moving again.", [voice])
    services.do_end_incident(cast.director, incident)
    dispatch._allowed.clear()
    dispatch.run_due()
    delivery = Delivery.objects.get(post__in=update.posts.all())
    assert delivery.status == PostStatus.FAILED
    assert delivery.error_code == "not_allowed"


def test_nobody_posts_from_anothers_personal_voice_even_in_a_runbook(cast: Cast) -> None:
    book = runbook(cast)
    book.official_voices.add(cast.member_voice)  # bypassing the service's own refusal
    incident = open_incident(cast)
    assert not policy.can_post_as(cast.operations, cast.member_voice)
    with pytest.raises(NotAllowed):
        updates.do_post_update(cast.operations, incident, "Hello", [cast.member_voice])


def test_the_runbook_service_refuses_a_personal_voice(cast: Cast) -> None:
    from cluetrain.crisis.runbooks import RunbookFields, do_save_runbook

    with pytest.raises(ServiceError):
        do_save_runbook(
            cast.director, cast.acme, RunbookFields(official_voices=[cast.member_voice])
        )
    with pytest.raises(ServiceError):
        do_save_runbook(cast.director, cast.acme, RunbookFields(responders=[cast.outsider.pk]))
    with pytest.raises(NotAllowed):
        do_save_runbook(cast.member, cast.acme, RunbookFields())


def test_a_voice_outside_the_runbook_is_refused(cast: Cast) -> None:
    runbook(cast, status_voice(cast))
    incident = open_incident(cast)
    with pytest.raises(NotAllowed):
        updates.do_post_update(cast.operations, incident, "Hello", [cast.care_voice])


def test_templates_are_filled_as_text_never_as_code(cast: Cast) -> None:
    runbook(cast, status_voice(cast))
    incident = open_incident(cast)
    [template] = updates.templates(incident)
    assert template.text.startswith("We know about Signal failure. Follow http")
    assert "{0.__class__}" in template.text


def test_updates_are_threaded_per_voice_and_on_the_public_feed(cast: Cast) -> None:
    voice = status_voice(cast, "@acme.thread")
    runbook(cast, voice)
    incident = open_incident(cast)
    first = updates.do_post_update(cast.operations, incident, "We are on it.", [voice])
    dispatch.run_due()
    first_delivery = Delivery.objects.get(post__in=first.posts.all())
    assert first_delivery.status == PostStatus.PUBLISHED
    assert first.posts.get().category == Category.OPERATIONAL
    second = updates.do_post_update(cast.operations, incident, "Trains move again.", [voice])
    assert second.posts.get().reply_to_url == first_delivery.refs[-1]["url"]
    dispatch.run_due()

    client = Client()
    page = client.get(f"/status/{incident.feed_token}/")
    assert page.status_code == 200
    assert b"Trains move again." in page.content
    assert b"We are on it." in page.content
    feed = client.get(f"/status/{incident.feed_token}.atom")
    assert feed["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert [e.summary for e in parsed.entries] == [
        "<p>Trains move again.</p>",
        "<p>We are on it.</p>",
    ]
    assert "Signal failure" in parsed.feed.title
    assert client.get("/status/not-a-token.atom").status_code == 404


def test_the_guideline_check_still_runs_on_updates(cast: Cast) -> None:
    voice = status_voice(cast, "@acme.guided")
    runbook(cast, voice)
    do_save_rules(
        cast.director,
        cast.acme,
        [
            RuleSpec(
                name="falcon-codename",
                kind=Kind.TERM,
                severity=GuidelineSeverity.BLOCK,
                terms=("Project Falcon",),
                explanation="Falcon is unannounced.",
            )
        ],
    )
    incident = open_incident(cast)
    with pytest.raises(ServiceError) as caught:
        updates.do_post_update(cast.operations, incident, "Project Falcon caused it.", [voice])
    assert caught.value.code == "blocked"
    assert not incident.updates.exists()


def test_updates_are_refused_after_the_end_and_for_empty_text(cast: Cast) -> None:
    voice = status_voice(cast, "@acme.closed")
    runbook(cast, voice)
    incident = open_incident(cast)
    with pytest.raises(ServiceError):
        updates.do_post_update(cast.operations, incident, "   ", [voice])
    services.do_end_incident(cast.director, incident)
    incident.refresh_from_db()
    with pytest.raises(ServiceError):
        updates.do_post_update(cast.operations, incident, "Late", [voice])


def test_the_status_page_escapes_what_people_wrote(cast: Cast) -> None:
    runbook(cast)
    incident, _ = services.do_declare_incident(
        cast.director, cast.acme, Declaration(title="<script>alert(1)</script>")
    )
    updates.do_post_update(cast.director, incident, "<img src=x onerror=alert(1)>", [])
    page = Client().get(f"/status/{incident.feed_token}/")
    assert b"<script>alert(1)" not in page.content
    assert b"<img src=x" not in page.content
    assert b"&lt;img src=x" in page.content
