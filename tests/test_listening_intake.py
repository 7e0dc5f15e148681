"""Intake: every heard message stored once, cleaned and bounded, with the cursor beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cluetrain.listening import intake
from cluetrain.listening.heard import Heard
from cluetrain.listening.intake import do_intake
from cluetrain.listening.models import MAX_TEXT, Author, Message, Source
from tests.conftest import Cast
from tests.support.listening import heard, source, texts


def test_each_message_is_stored_once_however_often_it_is_delivered(cast: Cast) -> None:
    first, second = heard(), heard()
    assert do_intake(cast.acme, [first, second, first]) == 2
    assert do_intake(cast.acme, [second, first]) == 0
    assert Message.objects.filter(organization=cast.acme).count() == 2
    # Another organisation hearing the same message keeps its own copy.
    assert do_intake(cast.globex, [first]) == 1


def test_the_author_is_created_once_and_counts_new_messages_only(cast: Cast) -> None:
    a, b = heard(author_name="Sam"), heard(author_name="")
    do_intake(cast.acme, [a, b])
    do_intake(cast.acme, [a, b, heard(created_at=datetime(2025, 1, 3, tzinfo=UTC))])
    author = Author.objects.get(organization=cast.acme, external_id="did:plc:someone")
    assert author.message_count == 3
    assert author.display_name == "Sam"  # an empty name later does not erase it
    assert author.first_seen_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert author.last_seen_at == datetime(2025, 1, 3, tzinfo=UTC)
    message = Message.objects.get(external_id=a.external_id)
    assert (message.author, message.network, message.direction) == (author, "bluesky", "in")


def test_reply_links_url_and_time_are_kept(cast: Cast) -> None:
    reply = heard(
        reply_to="at://did:plc:acme/app.bsky.feed.post/1",
        root="at://did:plc:acme/app.bsky.feed.post/0",
        url="https://bsky.app/profile/someone.test/post/3",
    )
    do_intake(cast.acme, [reply])
    message = Message.objects.get(external_id=reply.external_id)
    assert message.reply_to_external_id == "at://did:plc:acme/app.bsky.feed.post/1"
    assert message.root_external_id == "at://did:plc:acme/app.bsky.feed.post/0"
    assert message.url == "https://bsky.app/profile/someone.test/post/3"
    assert message.created_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert message.triaged_at is None


def test_hostile_html_becomes_plain_text_and_names_stay_text(cast: Cast) -> None:
    hostile = heard(
        network="mastodon",
        html=True,
        text='<p>Hi <a href="javascript:alert(1)">@acme</a></p><script>alert("x")</script>'
        "<p>line&nbsp;two &lt;b&gt;</p><scr<script>ipt>alert(2)</script>",
        author_name='<img src=x onerror="alert(1)">Eve\u202e',
        url="javascript:alert(1)",
        author_url="data:text/html,<script>",
    )
    do_intake(cast.acme, [hostile])
    message = Message.objects.get(external_id=hostile.external_id)
    # A script's content is dropped; a broken tag is left as harmless words.
    assert message.text == "Hi @acme\n\nline two <b>\n\nipt>alert(2)"
    assert "<script" not in message.text
    assert 'alert("x")' not in message.text
    assert message.author.display_name == '<img src=x onerror="alert(1)">Eve'
    assert message.url == ""
    assert message.author.profile_url == ""


def test_plain_text_sources_keep_angle_brackets_as_words(cast: Cast) -> None:
    do_intake(cast.acme, [heard(text="2 < 3 and <b>bold</b> is not markup here")])
    assert texts(cast.acme) == ["2 < 3 and <b>bold</b> is not markup here"]


def test_giant_text_is_cut_and_marked_and_empty_text_is_kept(cast: Cast) -> None:
    giant, empty, blank = heard(text="ab " * 1_000_000), heard(text=""), heard(text=" \n\t ")
    assert do_intake(cast.acme, [giant, empty, blank]) == 3
    stored = Message.objects.get(external_id=giant.external_id)
    assert len(stored.text) == MAX_TEXT
    assert stored.truncated
    assert stored.text.endswith("…")
    assert Message.objects.get(external_id=empty.external_id).text == ""
    assert not Message.objects.get(external_id=empty.external_id).truncated
    assert Message.objects.get(external_id=blank.external_id).text == ""


def test_odd_unicode_is_normalised_and_controls_removed(cast: Cast) -> None:
    odd = heard(
        text="Cafe\u0301\x00\x07 \u202eevil\u202c שלום 👩‍👩‍👧\r\nnext\ud800", author_handle="a\nb"
    )
    do_intake(cast.acme, [odd])
    message = Message.objects.get(external_id=odd.external_id)
    assert message.text == "Café evil שלום 👩‍👩‍👧\nnext"
    assert message.author.handle == "a b"


def test_future_times_are_clamped_and_naive_times_are_utc(cast: Cast) -> None:
    before = timezone.now()
    future = heard(created_at=before + timedelta(days=3))
    slightly = heard(created_at=before + timedelta(minutes=2))
    naive = heard(created_at=datetime(2024, 5, 1, 8, 30))
    do_intake(cast.acme, [future, slightly, naive])
    stored = Message.objects.get(external_id=future.external_id)
    assert stored.created_at == stored.received_at
    assert before <= stored.created_at <= timezone.now()
    assert Message.objects.get(external_id=slightly.external_id).created_at == slightly.created_at
    assert Message.objects.get(external_id=naive.external_id).created_at == datetime(
        2024, 5, 1, 8, 30, tzinfo=UTC
    )


def test_messages_without_an_id_are_dropped_and_long_ids_are_digested(cast: Cast) -> None:
    long_id = "x" * 1000
    stored = do_intake(
        cast.acme, [heard(external_id=""), heard(external_id=long_id), heard(external_id=long_id)]
    )
    assert stored == 1
    [message] = Message.objects.filter(organization=cast.acme)
    assert message.external_id.startswith("sha256:")
    assert len(message.external_id) < 300
    assert do_intake(cast.acme, [heard(external_id=long_id)]) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("at://did:plc:abc/app.bsky.feed.post/3k", "at://did:plc:abc/app.bsky.feed.post/3k"),
        ("", ""),
        ("x" * 300, "x" * 300),  # exactly the column's length is kept as it is
        ("12\x00\u202e34", "1234"),  # controls and bidi overrides gone
        ("  \tpadded\n", "padded"),  # a line break makes it cleaned, then trimmed
        ("caf\u0065\u0301", "caf\u00e9"),  # NFC
        (12345, "12345"),  # a network that gives numbers
    ],
)
def test_network_ids_are_kept_as_given_unless_they_need_cleaning(
    raw: object, expected: str
) -> None:
    assert intake.bounded_id(raw) == expected  # type: ignore[arg-type]


def test_a_network_id_one_past_the_column_is_digested() -> None:
    assert intake.bounded_id("x" * 301).startswith("sha256:")
    assert intake.bounded_id("x" * 301) == intake.bounded_id("x" * 301)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("https://example.org/a", "https://example.org/a"),
        ("javascript:alert(1)", ""),
        ("HTTP://EXAMPLE.ORG", "HTTP://EXAMPLE.ORG"),
        ("https://example.org/" + "a" * 500, ""),
    ],
)
def test_only_web_addresses_that_fit_are_kept(raw: str, expected: str) -> None:
    assert intake.safe_url(raw) == expected


def test_the_cursor_is_saved_with_the_messages(cast: Cast) -> None:
    feed = source(cast.acme)
    assert do_intake(cast.acme, [heard()], source=feed, cursor="41") == 1
    assert Source.objects.get(pk=feed.pk).cursor == "41"
    # An empty batch still moves the cursor past frames that held nothing for us.
    assert do_intake(cast.acme, [], source=feed, cursor="42") == 0
    stored = Source.objects.get(pk=feed.pk)
    assert stored.cursor == "42"
    assert stored.last_message_at is not None
    assert Message.objects.get(organization=cast.acme).source == feed


def test_a_crash_before_commit_stores_neither_messages_nor_cursor(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = source(cast.acme, cursor="7")

    def crash(*args: object) -> None:
        raise RuntimeError("killed between the messages and the cursor")

    monkeypatch.setattr(intake, "_save_cursor", crash)
    with pytest.raises(RuntimeError, match="killed"):
        do_intake(cast.acme, [heard(), heard()], source=feed, cursor="8")
    assert Source.objects.get(pk=feed.pk).cursor == "7"
    assert not Message.objects.filter(organization=cast.acme).exists()
    assert not Author.objects.filter(organization=cast.acme).exists()


def test_a_batch_costs_the_same_statements_for_twenty_or_two_thousand_messages(
    cast: Cast,
) -> None:
    # How fast intake is, bench/triage.py measures; what must hold is that a batch costs a
    # fixed handful of statements however many messages it carries.
    def batch(start: int, size: int) -> list[Heard]:
        return [
            heard(
                external_id=f"m{start + n}",
                author_id=f"did:plc:author{(start + n) % 700}",
                author_handle=f"author{(start + n) % 700}.test",
                text=f"Hello @acme, my train {start + n} is late again! #delay",
            )
            for n in range(size)
        ]

    def statements(messages: list[Heard]) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert do_intake(cast.acme, messages) == len(messages)
        return len(captured)

    small, large = statements(batch(0, 20)), statements(batch(1000, 2000))
    # One statement per table for a small batch; the big one only adds one for each further
    # chunk of rows of the authors' and the messages' inserts (no statement per message).
    chunks = -(-2000 // intake.ROWS_PER_STATEMENT)
    assert small <= 6
    assert large <= small + 2 * (chunks - 1)
    assert Message.objects.filter(organization=cast.acme).count() == 2020
