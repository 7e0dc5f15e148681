"""The hot path's bulk statements store every value as it was given, on SQLite and PostgreSQL
alike (PostgreSQL sends each column as one array literal, written by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluetrain.core import bulk, bulk_pg
from cluetrain.inbox.models import Conversation
from cluetrain.listening.intake import do_intake
from cluetrain.listening.models import MAX_TEXT, Author, Message
from cluetrain.listening.text import clean_line, clean_text
from cluetrain.triage.pipeline import take_in
from tests.conftest import Cast
from tests.support.listening import heard

AWKWARD = [
    'a "quoted" word',
    'back\\slash and \\" both',
    "{braces}, commas, and NULL",
    "NULL",
    "",
    "  spaces around  ",
    "line one\nline two\ttab",
    "ünïcödé — 日本語 🚆",
    "'single' quotes; DROP TABLE x; --",
]


def test_an_array_literal_quotes_text_and_writes_null_bare() -> None:
    text = bulk_pg.element_writer("varchar(300)")
    assert bulk_pg.array_literal(["a", None, 'say "hi"', "x\\y", "NULL"], text) == (
        '{"a",NULL,"say \\"hi\\"","x\\\\y","NULL"}'
    )
    assert bulk_pg.array_literal([1, None, 3], bulk_pg.element_writer("bigint")) == "{1,NULL,3}"
    assert bulk_pg.array_literal([True, False], bulk_pg.element_writer("boolean")) == "{t,f}"
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert bulk_pg.array_literal([moment], bulk_pg.element_writer("timestamp with time zone")) == (
        "{2026-01-02T03:04:05.000006+00:00}"
    )


def test_awkward_texts_names_and_times_come_back_exactly(cast: Cast) -> None:
    base = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    batch = [
        heard(
            external_id=f"at://did:plc:x/app.bsky.feed.post/{n}",
            author_id=f"did:plc:author{n}",
            author_name=text,
            text=text,
            created_at=base + timedelta(microseconds=n),
        )
        for n, text in enumerate(AWKWARD)
    ]
    assert do_intake(cast.acme, batch) == len(AWKWARD)
    stored = {
        m.external_id: m
        for m in Message.objects.filter(organization=cast.acme).select_related("author")
    }
    for n, text in enumerate(AWKWARD):
        message = stored[f"at://did:plc:x/app.bsky.feed.post/{n}"]
        # Exactly what intake's cleaning gave, whatever the database.
        assert message.text == clean_text(text, MAX_TEXT)[0]
        assert message.created_at == base + timedelta(microseconds=n)
        assert message.author.display_name == clean_line(text, 200)
        assert message.source_id is None
        assert message.post_id is None


def test_a_batch_is_a_fixed_handful_of_statements_whatever_its_size(cast: Cast) -> None:
    def batch(first: int, count: int) -> list:
        return [
            heard(external_id=f"at://did:plc:x/app.bsky.feed.post/{n}", author_id=f"did:{n}")
            for n in range(first, first + count)
        ]

    take_in(cast.acme, batch(0, 5))  # loads what a process keeps (the triage models...)
    with CaptureQueriesContext(connection) as small:
        take_in(cast.acme, batch(10, 5))
    with CaptureQueriesContext(connection) as large:
        take_in(cast.acme, batch(100, 1200))
    assert len(large) == len(small)
    assert Message.objects.filter(organization=cast.acme, triaged_at__isnull=False).count() == 1210
    assert Conversation.objects.filter(organization=cast.acme).count() == 1210
    assert Author.objects.filter(organization=cast.acme).count() == 1210


def test_update_rows_keeps_the_last_values_of_an_id_given_twice_and_honours_the_guard(
    cast: Cast,
) -> None:
    do_intake(cast.acme, [heard(external_id="one"), heard(external_id="two")])
    one, two = (Message.objects.get(external_id=e) for e in ("one", "two"))
    Message.objects.filter(pk=two.pk).update(
        topic="kept", triaged_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    rows = [("first", one.pk), ("second", one.pk), ("changed", two.pk)]
    bulk.update_rows(Message, ["topic"], rows, guard="triaged_at IS NULL")
    assert Message.objects.get(pk=one.pk).topic == "second"
    assert Message.objects.get(pk=two.pk).topic == "kept"
    bulk.update_rows(Message, ["topic"], [('say "x"', one.pk), ("y", two.pk)])
    assert list(Message.objects.order_by("pk").values_list("topic", flat=True)) == ['say "x"', "y"]
