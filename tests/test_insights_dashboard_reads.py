"""How the dashboards get their numbers: the same page computed without roll-ups, the
self-sufficiency months kept in the cache (and let go when what they depend on changes), the
tables written in Python, and as many queries for a long period as for a short one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluetrain.insights import render
from cluetrain.insights.export import Table
from tests.conftest import Cast
from tests.support.insights_history import known_history, post, refresh_rollups

WEEK = "range=custom&from=2026-03-02&to=2026-03-08"


def _text(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _stat(response: object, label: str) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    found = re.search(
        r'<span class="value">([^<]*)</span><span class="label">' + re.escape(label) + "<", html
    )
    assert found, f"no card {label!r}"
    return found.group(1).strip()


@pytest.fixture
def history(cast: Cast) -> Cast:
    known_history(cast)
    return cast


def test_the_page_without_roll_ups_shows_the_same_counts(history: Cast, settings: object) -> None:
    client = history.client(history.director)
    with_rollups = client.get(f"/insights/?{WEEK}")
    settings.INSIGHTS_ROLLUPS = False  # type: ignore[attr-defined]
    without = client.get(f"/insights/?{WEEK}")
    assert without.status_code == 200
    for label in ("Posts", "Conversations", "People who spoke", "Engagement per post"):
        assert _stat(without, label) == _stat(with_rollups, label)
    assert _stat(without, "Posts") == "3"


def test_the_page_without_roll_ups_does_not_read_them(history: Cast, settings: object) -> None:
    settings.INSIGHTS_ROLLUPS = False  # type: ignore[attr-defined]
    client = history.client(history.director)
    client.get(f"/insights/?{WEEK}")
    with CaptureQueriesContext(connection) as seen:
        client.get(f"/insights/?{WEEK}")
    assert not [q for q in seen.captured_queries if "insights_rollupday" in q["sql"]]
    assert not [q for q in seen.captured_queries if "insights_postfact" in q["sql"]]


def test_self_sufficiency_is_counted_once_then_read_from_the_cache(
    history: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = history.client(history.director)
    first = client.get(f"/insights/?{WEEK}")
    assert re.search(r"2026-03 \d+ 0 100\.0", _text(first))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the month was counted again")

    monkeypatch.setattr("cluetrain.agencies.index.self_sufficiency", refuse)
    again = client.get(f"/insights/?{WEEK}")
    assert re.search(r"2026-03 \d+ 0 100\.0", _text(again))


def test_a_new_agency_period_recounts_a_past_month(history: Cast) -> None:
    from cluetrain.agencies.models import AgencyPeriod

    client = history.client(history.director)
    assert re.search(r"2026-03 \d+ 0 100\.0", _text(client.get(f"/insights/?{WEEK}")))
    # The mentor wrote two of the three posts: they turn out to have been agency staff.
    AgencyPeriod.objects.create(organization=history.acme, person=history.mentor)
    text = _text(client.get(f"/insights/?{WEEK}"))
    assert not re.search(r"2026-03 \d+ 0 100\.0", text)
    assert re.search(r"2026-03 \d+ [1-9]\d* ", text)


def test_a_post_this_month_shows_once_the_roll_ups_counted_it(cast: Cast) -> None:
    from django.utils import timezone

    from cluetrain.insights.forms import today_in

    month = today_in(cast.acme.time_zone).strftime("%Y-%m")
    client = cast.client(cast.director)
    assert not re.search(month + r" \d+ \d+ ", _text(client.get("/insights/?range=7")))
    post(
        cast.acme,
        voice=cast.care_voice,
        author=cast.mentor,
        at=timezone.now() - timedelta(minutes=5),
        text="Fresh",
        reactions=(1, 0, 0, 0),
    )
    refresh_rollups()
    assert re.search(month + r" 1 0 100\.0", _text(client.get("/insights/?range=7")))


def test_a_year_takes_as_many_queries_as_a_week(history: Cast) -> None:
    client = history.client(history.director)
    year = "range=custom&from=2025-04-01&to=2026-03-31"
    client.get(f"/insights/?{WEEK}")
    client.get(f"/insights/?{year}")
    with CaptureQueriesContext(connection) as week:
        client.get(f"/insights/?{WEEK}")
    with CaptureQueriesContext(connection) as long:
        client.get(f"/insights/?{year}")
    assert len(long.captured_queries) == len(week.captured_queries)


def test_a_cold_year_counts_self_sufficiency_in_one_query_of_posts(history: Cast) -> None:
    client = history.client(history.director)
    with CaptureQueriesContext(connection) as seen:
        client.get("/insights/?range=custom&from=2025-04-01&to=2026-03-31")
    posts = [q for q in seen.captured_queries if 'FROM "publishing_post"' in q["sql"]]
    # The months' count, and the first words of the top posts.
    assert len(posts) == 2


def test_a_table_escapes_its_cells_and_shows_missing_values_as_a_dash() -> None:
    table = Table("topics", "Top <topics>", ["topic", "share"], [["<b>wifi</b>", None]])
    html = render.table_html(table, csv="/x.csv?a=1&b=2")
    assert "&lt;b&gt;wifi&lt;/b&gt;" in html
    assert "<b>wifi</b>" not in html
    assert "<td>—</td>" in html
    assert 'href="/x.csv?a=1&amp;b=2"' in html
    assert "CSV: top &lt;topics&gt;" in html


def test_a_long_table_folds_unless_it_is_printed_whole() -> None:
    table = Table("engagement", "By day", ["day", "posts"], [[f"d{n}", n] for n in range(20)])
    assert '<details class="long-table"><summary>The numbers (20 rows)' in render.table_html(table)
    assert "<details" not in render.table_html(table, whole=True)
    assert '<td class="num">19</td>' in render.table_html(table)


def test_a_keyed_row_carries_its_form_with_the_token_and_the_way_back() -> None:
    table = Table("cadence", "Cadence", ["voice"], [["Care"], ["Other"]], keys=[7])
    html = render.table_html(
        table, actions=True, csrf_token="tok<en>", next_path='/insights/?range=7&x="y"'
    )
    assert 'action="/insights/voices/7/slots/"' in html
    assert 'value="tok&lt;en&gt;"' in html
    assert 'value="/insights/?range=7&amp;x=&quot;y&quot;"' in html
    assert html.count("<form") == 1
