"""Full-text search in the inbox: words, phrases, prefixes, hostile text, filters and pages.

Written for both databases: FTS5 on SQLite, the GIN-indexed tsvector on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.db import connection

from cluetrain.inbox import search
from cluetrain.inbox.filters import Filters, parse_filters
from cluetrain.inbox.models import Conversation
from cluetrain.inbox.queues import conversation_page, count_conversations
from tests.conftest import Cast
from tests.support.inbox import conversation, conversations


def found(cast: Cast, q: str, **params: object) -> set[int]:
    filters = parse_filters({"q": q, "status": "all", **params})
    return {c.pk for c in conversation_page(cast.acme, cast.member, filters, limit=200).rows}


@pytest.fixture
def texts(cast: Cast) -> dict[str, Conversation]:
    made = {
        "refund": "I want a refund for my cancelled flight",
        "delayed": "My flight was delayed three hours, no explanation",
        "bag": "They lost my bag in Denver, please help",
        "baggage": "Baggage claim took forever",
        "order": "bag lost? no: my order was lost in the post",
        "hebrew": "הרכבת שלי מאחרת שוב",
        "arabic": "القطار متأخر جدا اليوم",
        "cafe": "Great coffee at the Café on platform 2 ☕",
        "resolved": "refund already sent, thanks",
    }
    out = {key: conversation(cast.acme, text=text) for key, text in made.items()}
    Conversation.objects.filter(pk=out["resolved"].pk).update(status="resolved")
    conversation(cast.globex, text="refund for a Globex customer")
    return out


def test_a_word_finds_the_conversations_that_hold_it(cast: Cast, texts: dict) -> None:
    assert found(cast, "refund") == {texts["refund"].pk, texts["resolved"].pk}
    assert found(cast, "REFUND") == found(cast, "refund")


def test_every_word_must_match(cast: Cast, texts: dict) -> None:
    assert found(cast, "flight delayed") == {texts["delayed"].pk}
    assert found(cast, "flight nowhere") == set()


def test_a_quoted_phrase_needs_its_words_in_order(cast: Cast, texts: dict) -> None:
    assert found(cast, "lost bag") == {texts["bag"].pk, texts["order"].pk}
    assert found(cast, '"lost my bag"') == {texts["bag"].pk}
    assert found(cast, '"bag lost"') == {texts["order"].pk}
    assert found(cast, '"my bag lost"') == set()


def test_the_last_word_also_matches_as_the_start_of_a_word(cast: Cast, texts: dict) -> None:
    assert found(cast, "bag") == {texts["bag"].pk, texts["baggage"].pk, texts["order"].pk}
    assert found(cast, '"bag"') == {texts["bag"].pk, texts["order"].pk}  # quoted: the word only
    assert found(cast, "ba") == set()  # too short to expand
    assert found(cast, "cancel") == {texts["refund"].pk}


def test_right_to_left_text_is_found(cast: Cast, texts: dict) -> None:
    assert found(cast, "הרכבת") == {texts["hebrew"].pk}
    assert found(cast, "القطار") == {texts["arabic"].pk}


def test_search_respects_the_status_and_the_organisation(cast: Cast, texts: dict) -> None:
    filters = parse_filters({"q": "refund"})  # the open queue
    page = conversation_page(cast.acme, cast.member, filters)
    assert [c.pk for c in page.rows] == [texts["refund"].pk]


def test_search_combines_with_the_other_filters(cast: Cast, texts: dict) -> None:
    Conversation.objects.filter(pk=texts["baggage"].pk).update(
        department=cast.care, assignee=cast.mentor
    )
    assert found(cast, "bag", department=cast.care.pk) == {texts["baggage"].pk}
    assert found(cast, "bag", assignee="unassigned") == {texts["bag"].pk, texts["order"].pk}


@pytest.mark.parametrize(
    "hostile",
    [
        '"unterminated',
        'refund"',
        '""',
        "NEAR(",
        "NEAR(refund flight, 2)",
        "*",
        "refund*",
        "* refund",
        "OR",
        "refund OR",
        "AND NOT",
        "NOT refund",
        "(refund",
        ")",
        "search_text:refund",
        "search_text : refund",
        "{search_text}: refund",
        "^refund",
        "refund + flight",
        "-refund",
        "!refund & flight | bag",
        "refund:*",
        "'refund'",
        "refund' OR '1'='1",
        "'; DROP TABLE inbox_conversation; --",
        "\\",
        "%_%",
        "🚆🔥😡",
        "refund 🚆",
        "\u202erefund",
        "e\u0301",
        "\ufeff",
        "ﷺ",
        "\U0001d52f\U0001d522\U0001d523",  # mathematical letters (ref)
        "refund " * 2000,
        "x" * 10_000,
        "\x00",
    ],
)
def test_hostile_search_text_never_raises(cast: Cast, texts: dict, hostile: str) -> None:
    filters = parse_filters({"q": hostile, "status": "all"})
    page = conversation_page(cast.acme, cast.member, filters)
    assert all(c.organization_id == cast.acme.pk for c in page.rows)
    count_conversations(cast.acme, cast.member, filters)


def test_operators_are_searched_as_words(cast: Cast) -> None:
    near = conversation(cast.acme, text="stations near the coast")
    either = conversation(cast.acme, text="tea or coffee")
    conversation(cast.acme, text="tea and coffee")
    assert found(cast, "NEAR") == {near.pk}
    assert found(cast, "tea OR coffee") == {either.pk}


def test_refund_with_quotes_and_stars_still_finds_refunds(cast: Cast, texts: dict) -> None:
    for q in ['"refund', "refund*", "*refund*", "(refund)", "refund:*", "refund)"]:
        assert texts["refund"].pk in found(cast, q), q


def test_text_without_words_finds_nothing(cast: Cast, texts: dict) -> None:
    assert found(cast, "🚆🔥😡") == set()
    assert found(cast, "?!*") == set()


def test_search_results_come_newest_first_across_pages(cast: Cast) -> None:
    made = conversations(cast.acme, 23, text="signal failure at the junction")
    conversations(cast.acme, 5, text="nothing to see")
    filters = parse_filters({"q": "signal failure"})
    seen: list[int] = []
    after = None
    while True:
        page = conversation_page(cast.acme, cast.member, filters, after=after, limit=10)
        seen += [c.pk for c in page.rows]
        if not page.has_more:
            break
        after = page.next_cursor
    assert seen == sorted((c.pk for c in made), reverse=True)


def test_a_changed_text_is_searched_as_it_now_reads(cast: Cast) -> None:
    made = conversation(cast.acme, text="first words")
    made.search_text += " wheelchair assistance"
    made.save()
    assert found(cast, "wheelchair") == {made.pk}
    assert found(cast, "first") == {made.pk}
    made.search_text = "only new words"
    made.save()
    assert found(cast, "first") == set()
    made.status = "open"
    made.save()  # a save that leaves the text alone leaves the index alone
    assert found(cast, "only new") == {made.pk}


def test_a_deleted_conversation_leaves_the_index(cast: Cast) -> None:
    made = conversation(cast.acme, text="platform closed")
    made.delete()
    assert found(cast, "platform") == set()
    conversation(cast.acme, text="platform open")
    assert len(found(cast, "platform")) == 1


def test_search_counts_are_bounded(cast: Cast) -> None:
    conversations(cast.acme, 6, text="escalator broken")
    filters = parse_filters({"q": "escalator"})
    assert str(count_conversations(cast.acme, cast.member, filters, cap=4)) == "4+"
    assert str(count_conversations(cast.acme, cast.member, filters)) == "6"


def test_an_empty_search_is_the_plain_list(cast: Cast) -> None:
    made = conversation(cast.acme, text="hello")
    assert parse_filters({"q": "   "}) == Filters()
    page = conversation_page(cast.acme, cast.member, parse_filters({"q": "  "}))
    assert [c.pk for c in page.rows] == [made.pk]


def test_a_lost_search_index_is_put_back_and_covers_every_conversation(cast: Cast) -> None:
    if connection.vendor == "postgresql":
        # PostgreSQL's expression index never goes stale: a dropped one is created again.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX {search.PG_INDEX}")
        search.install(connection)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [search.PG_INDEX])
            assert cursor.fetchone() is not None
        made = conversation(cast.acme, text="timetable change")
        assert found(cast, "timetable") == {made.pk}
        return
    # SQLite drops a table's triggers when a migration rebuilds it.
    kept = conversation(cast.acme, text="timetable change")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER inbox_conversation_fts_insert")
    missed = conversation(cast.acme, text="timetable printed")
    assert found(cast, "timetable") == {kept.pk}
    search.install(connection)
    assert found(cast, "timetable") == {kept.pk, missed.pk}
    again = conversation(cast.acme, text="timetable online")
    assert found(cast, "timetable") == {kept.pk, missed.pk, again.pk}


def test_search_terms_are_words_and_phrases() -> None:
    assert search.parse_terms('lost "my bag" in Denv') == [
        search.Term(("lost",)),
        search.Term(("my", "bag")),
        search.Term(("in",)),
        search.Term(("Denv",), prefix=True),
    ]
    assert search.parse_terms("NEAR(a, b)*") == [
        search.Term(("NEAR",)),
        search.Term(("a",)),
        search.Term(("b",)),
    ]
    assert search.parse_terms("🚆 *") == []


def test_the_database_queries_quote_every_word() -> None:
    terms = search.parse_terms('refund OR "lost bag" NOT delay')
    assert search.fts5_query(terms) == '"refund" "OR" "lost bag" "NOT" "delay"*'
    assert search.tsquery(terms) == "'refund' & 'OR' & ('lost' <-> 'bag') & 'NOT' & 'delay':*"
