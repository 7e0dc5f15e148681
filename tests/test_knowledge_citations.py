"""Citing facts from the composer and the inbox reply box: the panel, the citation record, the
post or reply it ends up in, and the warning when a cited fact is retired."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cluetrain.core.errors import ServiceError
from cluetrain.inbox import replies
from cluetrain.knowledge import citations, services
from cluetrain.knowledge.models import Citation, FactStatus
from cluetrain.notifications.models import Notification
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.reviews.autonomy import do_set_level
from tests.conftest import Cast
from tests.support.inbox_ui import make_conversation
from tests.support.knowledge import fact

# The schedule takes a wall-clock time in the zone it names.
IN_THREE_DAYS = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(tzinfo=None)
BIKES = "Folding bikes travel free on every train."


@pytest.fixture
def bikes(cast: Cast) -> Any:
    return fact(
        cast.acme, cast.coordinator, BIKES, sources=["Bike policy", "https://acme.example/bikes"]
    )


def test_the_citation_text_is_the_statement_and_its_first_web_source(
    cast: Cast, bikes: Any
) -> None:
    assert citations.citation_text(bikes) == f"{BIKES} (https://acme.example/bikes)"


def test_the_composer_and_the_reply_box_carry_the_cite_panel(cast: Cast) -> None:
    client = cast.client(cast.member)
    composer = client.get("/publish/").content.decode()
    assert 'data-cite-target="id_text"' in composer
    assert "knowledge/cite" in composer  # the panel's script, from static files
    conversation = make_conversation(cast.acme)
    pane = client.get(f"/inbox/c/{conversation.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-cite-target="reply-text"' in pane
    assert f'data-cite-conversation="{conversation.pk}"' in pane


def test_citing_from_the_composer_records_it_and_the_post_that_holds_it(
    cast: Cast, bikes: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = cast.client(cast.member)
    response = client.post(f"/knowledge/facts/{bikes.pk}/cite/", {"where": "composer"})
    assert response.status_code == 204
    citation = Citation.objects.get(fact=bikes)
    assert (citation.person, citation.cited_in, citation.version, citation.post) == (
        cast.member,
        "composer",
        1,
        None,
    )
    text = f"Good news for commuters: {citations.citation_text(bikes)} #iworkatacme"
    with django_capture_on_commit_callbacks(execute=True):
        post = do_create_post(
            cast.member,
            cast.acme,
            Draft(text=text, voices=[cast.member_voice]),
            Schedule(When.AT, IN_THREE_DAYS, "UTC"),
        )
    citation.refresh_from_db()
    assert citation.post == post
    page = cast.client(cast.trainee).get(f"/knowledge/facts/{bikes.pk}/").content.decode()
    assert f"/publish/posts/{post.pk}/" in page
    # Retiring a fact cited by a post not yet out says so.
    assert post.status == PostStatus.SCHEDULED
    assert services.do_retire_fact(cast.coordinator, bikes) == [post.pk]
    warning = Notification.objects.get(person=cast.member, kind="fact_retired")
    assert warning.url == f"/publish/posts/{post.pk}/"


def test_a_post_without_the_cited_text_is_not_tied_to_the_citation(
    cast: Cast, bikes: Any, django_capture_on_commit_callbacks: Any
) -> None:
    citations.do_cite(cast.member, bikes, "composer")
    with django_capture_on_commit_callbacks(execute=True):
        do_create_post(
            cast.member, cast.acme, Draft(text="Something else.", voices=[cast.member_voice])
        )
    assert Citation.objects.get(fact=bikes).post is None


def test_citing_in_a_reply_records_the_conversation_and_the_reply(
    cast: Cast, bikes: Any, django_capture_on_commit_callbacks: Any
) -> None:
    do_set_level(cast.coordinator, cast.member, cast.acme, "autonomous", reason="Answers alone.")
    conversation = make_conversation(cast.acme, "Can I bring my Brompton?")
    client = cast.client(cast.member)
    client.post(
        f"/knowledge/facts/{bikes.pk}/cite/",
        {"where": "reply", "conversation": str(conversation.pk)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = replies.do_reply(
            cast.member,
            conversation,
            cast.member_voice,
            f"Yes! {citations.citation_text(bikes)} #iworkatacme",
        )
    citation = Citation.objects.get(fact=bikes)
    assert (citation.cited_in, citation.conversation, citation.post) == (
        "reply",
        conversation,
        sent.post,
    )


def test_the_wording_cited_stays_as_it_was_after_the_fact_changes(cast: Cast, bikes: Any) -> None:
    citations.do_cite(cast.member, bikes, "composer")
    services.do_edit_fact(cast.coordinator, bikes, statement="Folding bikes travel free.")
    citation = Citation.objects.get(fact=bikes)
    assert citation.version == 1
    assert citation.inserted_text.startswith(BIKES)
    assert bikes.versions.get(version=citation.version).statement == BIKES


def test_only_verified_facts_can_be_cited(cast: Cast) -> None:
    draft = fact(cast.acme, cast.coordinator, "Not sure yet.", verify=False)
    with pytest.raises(ServiceError, match="verified"):
        citations.do_cite(cast.member, draft, "composer")
    response = cast.client(cast.member).post(
        f"/knowledge/facts/{draft.pk}/cite/", {"where": "composer"}
    )
    assert response.status_code == 400
    assert draft.status == FactStatus.DRAFT


def test_odd_places_and_other_organisations_are_refused(cast: Cast, bikes: Any) -> None:
    with pytest.raises(ServiceError):
        citations.do_cite(cast.member, bikes, "<script>")
    outsider = cast.client(cast.outsider)
    assert (
        outsider.post(f"/knowledge/facts/{bikes.pk}/cite/", {"where": "reply"}).status_code == 404
    )
    assert not Citation.objects.exists()


def test_the_cite_panel_offers_verified_facts_and_escapes_them(cast: Cast) -> None:
    fact(cast.acme, cast.coordinator, 'Bikes "<img src=x onerror=alert(1)>" ride free.')
    panel = cast.client(cast.agency).get("/knowledge/search/", {"q": "bikes", "where": "reply"})
    body = panel.content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert (
        cast.client(cast.outsider)
        .get("/knowledge/search/", {"q": "bikes"})
        .content.count(b"data-cite-fact")
        == 0
    )
