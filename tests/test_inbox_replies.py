"""Replying from the inbox: the voice rules, the network, the guidelines, the customer's
personal data, the outbox, and a reply threaded on a real Bluesky server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from atproto import AtUri
from django.db.models import F
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox import personal_data, replies
from cluetrain.inbox.models import Conversation, Status
from cluetrain.listening.models import Direction, Message
from cluetrain.networks.base import Outgoing
from cluetrain.organizations.models import Person
from cluetrain.publishing import dispatch
from cluetrain.publishing.models import Category, PostStatus
from cluetrain.reviews.autonomy import do_set_level
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind
from cluetrain.voices.services import do_connect_personal_voice
from tests.conftest import Cast
from tests.support.inbox_ui import make_author, make_conversation
from tests.test_bluesky import PASSWORD, connect, create_account, reader

CUSTOMER = "My bag never arrived! Call me on +44 20 7946 0958 or write to jane.doe@example.com"


@pytest.fixture(autouse=True)
def _autonomous(cast: Cast) -> None:
    dispatch._allowed.clear()
    for person in (cast.member, cast.mentor):
        do_set_level(cast.coordinator, person, cast.acme, "autonomous", reason="Answers alone.")


def test_a_member_replies_from_her_own_voice_and_the_reply_is_recorded(cast: Cast) -> None:
    c = make_conversation(cast.acme, "Is the 8:15 running?")
    customer = c.messages.get()
    sent = replies.do_reply(cast.member, c, cast.member_voice, "Yes, on time today.")
    post = sent.post
    assert post.category == Category.CUSTOMER_CARE
    assert post.reply_to_url == customer.url
    assert post.status == PostStatus.SCHEDULED
    message = sent.message
    assert message.direction == Direction.OUTBOUND
    assert (message.post, message.sent_by, message.conversation) == (post, cast.member, c)
    assert message.external_id == f"post:{post.pk}"
    assert message.reply_to_external_id == customer.external_id
    c.refresh_from_db()
    assert c.status == Status.WAITING
    assert c.first_response_at is not None
    assert c.last_reply_at is not None
    assert c.events.filter(kind="replied").exists()


def test_once_published_the_reply_takes_its_network_id(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    sent = replies.do_reply(cast.member, c, cast.member_voice, "We are on it.")
    dispatch.run_due()
    messages = list(Message.objects.filter(pk=sent.message.pk))
    assert replies.sync_reply_ids(messages) == 1
    assert replies.sync_reply_ids(messages) == 0  # twice: nothing more
    message = Message.objects.get(pk=sent.message.pk)
    assert not message.external_id.startswith("post:")
    assert message.url


def test_a_reply_the_stream_heard_first_stays_one_message(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    sent = replies.do_reply(cast.member, c, cast.member_voice, "We are on it.")
    dispatch.run_due()
    network_id = sent.post.deliveries.get().refs[0]["id"]
    # The listener heard the published reply before the inbox looked: its own row.
    heard = Message.objects.create(
        organization=cast.acme,
        network=sent.message.network,
        external_id=network_id,
        author=sent.message.author,
        text="We are on it.",
        created_at=timezone.now(),
        received_at=timezone.now(),
        direction=Direction.OUTBOUND,
        conversation=c,
        triaged_at=timezone.now(),
    )
    Conversation.objects.filter(pk=c.pk).update(message_count=F("message_count") + 1)
    before = Conversation.objects.get(pk=c.pk).message_count

    assert replies.sync_reply_ids([sent.message]) == 1

    assert not Message.objects.filter(pk=sent.message.pk).exists()
    heard.refresh_from_db()
    assert (heard.post_id, heard.sent_by_id) == (sent.post.pk, cast.member.pk)
    assert Conversation.objects.get(pk=c.pk).message_count == before - 1


def test_the_status_after_a_reply_can_be_chosen(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    replies.do_reply(cast.member, c, cast.member_voice, "Done.", status_after=Status.RESOLVED)
    c.refresh_from_db()
    assert c.status == Status.RESOLVED
    assert c.resolved_at is not None


def test_a_director_cannot_reply_from_a_members_personal_voice(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    for person in (cast.director, cast.admin):
        with pytest.raises(NotAllowed, match="personal voice"):
            replies.do_reply(person, c, cast.member_voice, "Speaking for Milo")
    assert not Message.objects.filter(conversation=c, direction=Direction.OUTBOUND).exists()


def test_an_official_voice_answers_only_for_the_people_on_its_list(cast: Cast) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(NotAllowed):
        replies.do_reply(cast.member, c, cast.care_voice, "From customer care")
    sent = replies.do_reply(cast.mentor, c, cast.care_voice, "From customer care")
    assert sent.post.deliveries.get().voice == cast.care_voice


def test_the_voice_picker_offers_only_usable_voices_of_the_conversations_network(
    cast: Cast,
) -> None:
    practice = make_conversation(cast.acme)
    bluesky = make_conversation(cast.acme, network=Network.BLUESKY)
    assert list(replies.reply_voices(cast.mentor, practice)) == [cast.care_voice]
    assert list(replies.reply_voices(cast.member, practice)) == [cast.member_voice]
    assert list(replies.reply_voices(cast.director, practice)) == []
    assert list(replies.reply_voices(cast.member, bluesky)) == []


def test_a_reply_from_another_network_is_refused(cast: Cast) -> None:
    c = make_conversation(
        cast.acme, network=Network.BLUESKY, external_id="at://did:plc:abc/app.bsky.feed.post/1"
    )
    with pytest.raises(ServiceError, match="Bluesky") as refused:
        replies.do_reply(cast.member, c, cast.member_voice, "Hello from the practice space")
    assert refused.value.code == "network"


def test_a_feed_conversation_cannot_be_answered_in_a_thread(cast: Cast) -> None:
    feed_voice = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.FEED,
        handle="news",
        name="Acme news",
    )
    VoiceAccess.objects.create(voice=feed_voice, person=cast.director)
    c = make_conversation(cast.acme, network=Network.FEED)
    with pytest.raises(ServiceError) as refused:
        replies.do_reply(cast.director, c, feed_voice, "Thanks for the comment")
    assert refused.value.code == "network"
    assert list(replies.reply_voices(cast.director, c)) == []


def test_a_manager_cannot_reply(cast: Cast, manager: Person) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(NotAllowed):
        replies.do_reply(manager, c, cast.member_voice, "Hello")


def test_a_blocking_guideline_finding_stops_the_reply(cast: Cast) -> None:
    c = make_conversation(cast.acme, "What card did I use?")
    with pytest.raises(ServiceError) as refused:
        replies.do_reply(cast.member, c, cast.member_voice, "Your card 4111 1111 1111 1111")
    assert refused.value.code == "blocked"
    assert not Message.objects.filter(conversation=c, direction=Direction.OUTBOUND).exists()
    c.refresh_from_db()
    assert c.status == Status.NEW


def test_only_a_director_overrides_a_blocking_finding_with_a_reason(cast: Cast) -> None:
    director_voice = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.PERSONAL,
        network=Network.PRACTICE,
        handle="@diane",
        name="Diane Director",
        owner=cast.director,
    )
    c = make_conversation(cast.acme, "Test card please")
    text = "The test card is 4111 1111 1111 1111"
    with pytest.raises(NotAllowed):
        replies.do_reply(cast.member, c, cast.member_voice, text, override_reason="needed")
    sent = replies.do_reply(
        cast.director, c, director_voice, text, override_reason="It is the public test card."
    )
    assert sent.post.override_reason == "It is the public test card."


def test_repeating_the_customers_phone_or_email_asks_for_confirmation(cast: Cast) -> None:
    c = make_conversation(cast.acme, CUSTOMER)
    for text in (
        "We will call you on 020 7946 0958 today.",
        "We wrote to Jane.Doe@Example.com just now.",
    ):
        with pytest.raises(replies.PersonalDataRepeated) as warned:
            replies.do_reply(cast.member, c, cast.member_voice, text)
        assert warned.value.code == "personal_data"
        assert "0958" not in str(warned.value) or "…0958" in str(warned.value)
    assert not Message.objects.filter(conversation=c, direction=Direction.OUTBOUND).exists()
    sent = replies.do_reply(
        cast.member,
        c,
        cast.member_voice,
        "We will call you on 020 7946 0958 today.",
        confirm_personal_data=True,
    )
    assert [w.kind for w in sent.warnings] == ["phone number"]
    event = c.events.get(kind="replied")
    assert event.detail["personal_data_confirmed"] == ["phone number …0958"]


def test_a_reply_without_the_customers_data_is_not_warned(cast: Cast) -> None:
    c = make_conversation(cast.acme, CUSTOMER)
    sent = replies.do_reply(
        cast.member, c, cast.member_voice, "So sorry! Please send us a private message."
    )
    assert sent.warnings == []


@pytest.mark.parametrize(
    ("customer", "reply", "kind"),
    [
        ("order #AB12345 is late", "About order AB12345: it ships today", "order number"),
        ("card 4111-1111-1111-1111 was charged twice", "card 4111 1111 1111 1111", "card number"),
        ("I live at 12 Station Road", "We will send it to 12 station road", "address"),
        ("postcode SW1A 1AA", "to SW1A1AA", "postcode"),
    ],
)
def test_the_personal_data_check_normalises_what_it_compares(
    customer: str, reply: str, kind: str
) -> None:
    found = personal_data.repeated(reply, [customer])
    assert [f.kind for f in found] == [kind]


@pytest.mark.parametrize(
    "reply",
    ["", "Thanks!", "Call our desk on 0800 123 4567", "<script>alert(1)</script>", "🚆" * 500],
)
def test_replies_that_repeat_nothing_raise_no_warning(reply: str) -> None:
    assert personal_data.repeated(reply, [CUSTOMER]) == []


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_reply_is_refused(cast: Cast, text: str) -> None:
    c = make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        replies.do_reply(cast.member, c, cast.member_voice, text)


def test_a_message_of_another_conversation_cannot_be_answered_here(cast: Cast) -> None:
    c, other = make_conversation(cast.acme), make_conversation(cast.acme)
    with pytest.raises(ServiceError):
        replies.do_reply(
            cast.member, c, cast.member_voice, "Hi", reply_to_message=other.messages.get()
        )


def test_a_supervised_persons_reply_waits_for_review(cast: Cast, pds: str, settings: Any) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    account = create_account(pds)
    voice = do_connect_personal_voice(
        cast.trainee,
        cast.acme,
        Network.BLUESKY,
        account.handle,
        credential={"handle": account.handle, "app_password": PASSWORD, "service": pds},
    )
    do_set_level(cast.coordinator, cast.trainee, cast.acme, "supervised", reason="Learning.")
    c = make_conversation(
        cast.acme, network=Network.BLUESKY, external_id="at://did:plc:x/app.bsky.feed.post/3k"
    )
    sent = replies.do_reply(cast.trainee, c, voice, "Thanks for telling us.")
    assert sent.in_review
    assert sent.post.status == PostStatus.REVIEW


def test_a_reply_is_threaded_under_the_customers_post_on_bluesky(
    cast: Cast, pds: str, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True
    customer = create_account(pds)
    [said] = connect(customer, pds, password=PASSWORD).publish(
        Outgoing(
            parts=("@acme my train is cancelled again, any news?",),
            key=uuid.uuid4().hex,
            created_at=timezone.now(),
        )
    )
    said_uri = said.id
    ours = create_account(pds)
    voice = do_connect_personal_voice(
        cast.member,
        cast.acme,
        Network.BLUESKY,
        ours.handle,
        credential={"handle": ours.handle, "app_password": PASSWORD, "service": pds},
    )
    author = make_author(
        cast.acme, network=Network.BLUESKY, handle=customer.handle, external_id=customer.did
    )
    c = make_conversation(
        cast.acme,
        "@acme my train is cancelled again, any news?",
        author=author,
        network=Network.BLUESKY,
        external_id=said_uri,
        url=f"https://bsky.app/profile/{customer.handle}/post/{AtUri.from_str(said_uri).rkey}",
    )

    sent = replies.do_reply(cast.member, c, voice, "Sorry! A replacement bus leaves at 9:10.")
    assert sent.post.reply_to_url == said_uri
    assert dispatch.run_due() >= 1
    delivery = sent.post.deliveries.get()
    assert delivery.status == PostStatus.PUBLISHED, delivery.error

    uri = AtUri.from_str(delivery.refs[0]["id"])
    record = (
        reader(pds)
        .com.atproto.repo.get_record(
            {"repo": uri.host, "collection": uri.collection, "rkey": uri.rkey}
        )
        .value
    )
    assert record.text == "Sorry! A replacement bus leaves at 9:10."
    assert record.reply.parent.uri == said_uri
    assert record.reply.root.uri == said_uri
    assert record.reply.parent.cid == said.cid

    replies.sync_reply_ids([sent.message])
    message = Message.objects.get(pk=sent.message.pk)
    assert message.external_id == delivery.refs[0]["id"]


def test_a_mastodon_reply_names_the_status_it_answers_by_its_uri(cast: Cast) -> None:
    voice = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.PERSONAL,
        network=Network.MASTODON,
        handle="@milo@social.example",
        name="Milo Member",
        owner=cast.member,
    )
    uri = "https://mastodon.example/users/casey/statuses/1100"
    c = make_conversation(
        cast.acme,
        network=Network.MASTODON,
        external_id=uri,
        url="https://mastodon.example/@casey/1100",
    )
    sent = replies.do_reply(cast.member, c, voice, "On it!")
    assert sent.post.reply_to_url == uri
