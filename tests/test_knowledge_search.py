"""Searching facts: every word must match, the statement counts most, nothing typed is syntax."""

from __future__ import annotations

import datetime as dt

import pytest

from cluetrain.knowledge import services
from cluetrain.knowledge.search import search
from tests.conftest import Cast
from tests.support.knowledge import due, fact


def _statements(cast: Cast, q: str, **kwargs: object) -> list[str]:
    today = services.today_in(cast.acme)
    return [hit.fact.statement for hit in search(cast.acme, q, today=today, **kwargs)]  # type: ignore[arg-type]


def test_a_word_in_the_statement_ranks_above_one_in_topics_or_sources(cast: Cast) -> None:
    fact(cast.acme, cast.coordinator, "Claims go through the web form.", topics="bike")
    fact(
        cast.acme,
        cast.coordinator,
        "Folding ones travel anywhere.",
        sources=["https://acme.example/bike"],
    )
    fact(cast.acme, cast.coordinator, "A bike needs a reservation on intercity trains.")
    assert _statements(cast, "bike") == [
        "A bike needs a reservation on intercity trains.",
        "Claims go through the web form.",
        "Folding ones travel anywhere.",
    ]


def test_every_word_must_match_and_the_last_is_a_prefix(cast: Cast) -> None:
    fact(cast.acme, cast.coordinator, "Delay Repay pays 25% for 15 minutes.")
    fact(cast.acme, cast.coordinator, "Delays are announced on the app.")
    assert _statements(cast, "delay repay") == ["Delay Repay pays 25% for 15 minutes."]
    assert _statements(cast, "repa") == ["Delay Repay pays 25% for 15 minutes."]
    assert _statements(cast, "delay announced") == []
    assert _statements(cast, "elay") == []  # the start of a word, not the middle


def test_accents_and_case_do_not_matter(cast: Cast) -> None:
    fact(cast.acme, cast.coordinator, "Le café de la gare ouvre à 6 h. ÜBER Zürich.")
    assert len(_statements(cast, "CAFE")) == 1
    assert len(_statements(cast, "zurich uber")) == 1
    assert len(_statements(cast, "Café")) == 1


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"""',
        "*",
        "bike*",
        "NEAR(bike reservation)",
        "bike NEAR reservation",
        "-bike",
        "bike OR NOT",
        "statement:bike",
        "^bike",
        "%",
        "_",
        "'; DROP TABLE knowledge_fact; --",
        "\x00bike",
        "🚲 bike",
        "x" * 10_000,
        "\u202ebike\u202c",
        "\uff42\uff49\uff4b\uff45",  # full-width letters
    ],
)
def test_hostile_or_odd_queries_never_raise(cast: Cast, q: str) -> None:
    fact(cast.acme, cast.coordinator, "A bike needs a reservation.")
    found = _statements(cast, q)
    assert found in ([], ["A bike needs a reservation."])


def test_like_wildcards_are_just_text(cast: Cast) -> None:
    fact(cast.acme, cast.coordinator, "Bikes travel free.")
    assert _statements(cast, "%") == ["Bikes travel free."]  # no words: the newest are listed
    assert _statements(cast, "b_kes") == []


def test_retired_facts_are_not_offered_drafts_only_to_curators(cast: Cast) -> None:
    retired = fact(cast.acme, cast.coordinator, "Bikes cost £5.")
    services.do_retire_fact(cast.coordinator, retired)
    fact(cast.acme, cast.coordinator, "Bikes go in coach A.", verify=False)
    assert _statements(cast, "bikes") == []
    assert _statements(cast, "bikes", include_drafts=True) == ["Bikes go in coach A."]


def test_stale_facts_are_offered_with_a_mark(cast: Cast) -> None:
    old = fact(cast.acme, cast.coordinator, "Assistance is booked two hours ahead.")
    today = services.today_in(cast.acme)
    due(old, today - dt.timedelta(days=1))
    [hit] = search(cast.acme, "assistance", today=today)
    assert hit.stale


def test_another_organisations_facts_are_never_found(cast: Cast) -> None:
    from cluetrain.knowledge.models import Fact

    Fact.objects.create(
        organization=cast.globex,
        statement="Globex bikes are free.",
        status="verified",
        review_by=dt.date(2999, 1, 1),
        search_text=" globex bikes are free ",
    )
    assert _statements(cast, "bikes") == []


def test_the_facts_page_and_the_cite_panel_search(cast: Cast) -> None:
    fact(cast.acme, cast.coordinator, "Bikes travel <b>free</b> off-peak.")
    client = cast.client(cast.trainee)
    page = client.get("/knowledge/", {"q": 'bikes "*-'})
    assert page.status_code == 200
    assert b"Bikes travel &lt;b&gt;free&lt;/b&gt; off-peak." in page.content
    panel = client.get("/knowledge/search/", {"q": "bike*", "where": "reply"})
    assert panel.status_code == 200
    assert b"data-cite-fact" in panel.content
    assert b"<b>free</b>" not in panel.content
