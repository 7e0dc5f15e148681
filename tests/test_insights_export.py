"""CSV of every insights table, the monthly report, and ``cluetrain export`` writing the same
files from the command line."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cluetrain.core.spreadsheet import safe_cell
from tests.conftest import Cast
from tests.support.insights_history import (
    MONDAY,
    TOP_POST,
    conversation,
    known_history,
    post,
    refresh_rollups,
)

WEEK = "range=custom&from=2026-03-02&to=2026-03-08"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def history(cast: Cast) -> Cast:
    known_history(cast)
    return cast


def test_the_engagement_table_downloads_as_csv_with_a_header(history: Cast) -> None:
    response = history.client(history.director).get(f"/insights/engagement.csv?{WEEK}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="acme-engagement-2026-03-02-2026-03-08.csv"' in response["Content-Disposition"]
    rows = _rows(response.content.decode("utf-8"))
    assert rows[0] == ["day", "posts", "engagement"]
    assert rows[1] == ["2026-03-02", "1", "10"]
    assert len(rows) == 1 + 7


def test_every_table_of_the_page_has_a_csv_button_that_works(history: Cast) -> None:
    client = history.client(history.director)
    html = client.get(f"/insights/?{WEEK}").content.decode()
    links = re.findall(r'href="(/insights/[a-z_]+\.csv\?[^"]+)"', html)
    names = {re.search(r"/([a-z_]+)\.csv", link).group(1) for link in links}  # type: ignore[union-attr]
    assert {"summary", "engagement", "top_posts", "conversations", "topics", "heat"} <= names
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert response.content.decode().splitlines()[0]


def test_cells_a_spreadsheet_would_run_are_neutralised(cast: Cast) -> None:
    cast.care_voice.name = '=HYPERLINK("https://evil.example")'
    cast.care_voice.save(update_fields=["name"])
    post(
        cast.acme,
        voice=cast.care_voice,
        author=cast.mentor,
        at=MONDAY,
        text="@SUM(A1)",
        reactions=(1, 0, 0, 0),
    )
    conversation(
        cast.acme, at=MONDAY, answered_after=5, topic="+delays", sentiment_label="negative"
    )
    refresh_rollups()
    client = cast.client(cast.director)
    posts = _rows(client.get(f"/insights/top_posts.csv?{WEEK}").content.decode())
    assert posts[1][1] == "'@SUM(A1)"
    assert posts[1][2].startswith("'=HYPERLINK")
    topics = _rows(client.get(f"/insights/topics.csv?{WEEK}").content.decode())
    assert topics[1][0] == "'+delays"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("=1+1", "'=1+1"), ("-2", "'-2"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain")],
)
def test_a_text_cell_starting_like_a_formula_gets_a_quote(value: str, shown: str) -> None:
    assert safe_cell(value) == shown


def test_numbers_stay_numbers_even_when_negative() -> None:
    assert safe_cell(-1.5) == "-1.5"
    assert safe_cell(None) == ""


def test_dates_in_the_csv_are_in_the_organisations_time_zone(history: Cast) -> None:
    history.acme.time_zone = "America/New_York"
    history.acme.save(update_fields=["time_zone"])
    response = history.client(history.director).get(f"/insights/top_posts.csv?{WEEK}")
    rows = _rows(response.content.decode())
    top = next(row for row in rows if row[1] == TOP_POST)
    assert top[0] == "2026-03-02 04:00"  # 09:00 UTC is 04:00 in New York in March


def test_odd_unicode_survives_the_round_trip(cast: Cast) -> None:
    text = "Zürich \u2013 Łódź 🚆 ‮evil"
    post(
        cast.acme,
        voice=cast.care_voice,
        author=cast.mentor,
        at=MONDAY,
        text=text,
        reactions=(1, 0, 0, 0),
    )
    refresh_rollups()
    body = cast.client(cast.director).get(f"/insights/top_posts.csv?{WEEK}").content
    assert text in body.decode("utf-8")


def test_a_csv_with_a_bad_range_or_table_is_refused_plainly(history: Cast) -> None:
    client = history.client(history.director)
    bad = client.get("/insights/engagement.csv?range=custom&from=2026-03-08&to=2026-03-01")
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.content.decode()
    unknown = client.get(f"/insights/nonsense.csv?{WEEK}")
    assert unknown.status_code == 404
    assert "There is no table 'nonsense' here." in unknown.content.decode()


def test_a_member_may_download_their_own_tables_only(history: Cast) -> None:
    client = history.client(history.member)
    assert (
        client.get(f"/insights/people/{history.member.pk}/engagement.csv?{WEEK}").status_code == 200
    )
    assert client.get(f"/insights/engagement.csv?{WEEK}").status_code == 403


def test_the_monthly_report_compares_with_the_month_before(history: Cast) -> None:
    post(
        history.acme,
        voice=history.care_voice,
        author=history.mentor,
        at=datetime(2026, 2, 10, 12, tzinfo=UTC),
        text="February",
        reactions=(1, 0, 0, 0),
    )
    refresh_rollups()
    client = history.client(history.director)
    page = client.get("/insights/report/2026-03/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "monthly report, March 2026" in html
    assert "data-print" in html
    assert "/static/insights/insights." in html  # the print stylesheet
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert re.search(r"Posts 3 1 2\b", text)
    assert "First response, median (min)" in text
    rows = _rows(client.get("/insights/report/2026-03.csv").content.decode())
    assert rows[0] == ["measure", "this_month", "previous_month", "change"]
    assert ["posts", "3", "1", "2"] in rows


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "2026-13 is not a month"),
        ("2026-00", "2026-00 is not a month"),
        ("2000-01", "1999-12 is not a month"),
        ("9999-12", "9999-12 is not a month"),
    ],
)
def test_a_month_that_is_none_is_not_found(cast: Cast, month: str, message: str) -> None:
    response = cast.client(cast.director).get(f"/insights/report/{month}/")
    assert response.status_code == 404
    assert message in response.content.decode()


def test_the_report_needs_view_insights(cast: Cast) -> None:
    assert cast.client(cast.member).get("/insights/report/2026-03/").status_code == 403


def test_the_cli_writes_the_same_csv_as_the_page(history: Cast, tmp_path: Path) -> None:
    page = history.client(history.director).get(f"/insights/engagement.csv?{WEEK}").content
    target = tmp_path / "engagement.csv"
    call_command(
        "export",
        organization="acme",
        table="engagement",
        start="2026-03-02",
        end="2026-03-08",
        output=str(target),
    )
    assert target.read_bytes() == page


def test_the_cli_exports_a_department_and_the_report(history: Cast, tmp_path: Path) -> None:
    page = (
        history.client(history.director)
        .get(f"/insights/departments/{history.care.pk}/summary.csv?{WEEK}")
        .content
    )
    target = tmp_path / "summary.csv"
    call_command(
        "export",
        organization="acme",
        table="summary",
        start="2026-03-02",
        end="2026-03-08",
        department=history.care.pk,
        output=str(target),
    )
    assert target.read_bytes() == page
    report = history.client(history.director).get("/insights/report/2026-03.csv").content
    call_command("export", organization="acme", table="report", month="2026-03", output=str(target))
    assert target.read_bytes() == report


def test_the_cli_lists_its_tables(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("export", organization="acme", table="list")
    names = capsys.readouterr().out.split()
    assert "engagement" in names
    assert "report" in names


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"organization": "nowhere", "table": "engagement"}, "No organisation with the slug"),
        ({"organization": "acme", "table": "nonsense"}, "There is no table 'nonsense'"),
        ({"organization": "acme", "table": "engagement", "start": "2026-02-30"}, "is not a date"),
        (
            {
                "organization": "acme",
                "table": "engagement",
                "start": "2026-03-09",
                "end": "2026-03-01",
            },
            "The end date is before the start date.",
        ),
        (
            {"organization": "acme", "table": "engagement", "time_zone": "Mars/Olympus"},
            "is not a time zone",
        ),
        ({"organization": "acme", "table": "report"}, "needs --month"),
        (
            {"organization": "acme", "table": "heat", "start": "0001-01-01", "end": "0001-01-03"},
            "Choose dates between 2000 and 2100.",
        ),
        ({"organization": "acme", "table": "report", "month": "2026-13"}, "is not a month"),
        ({"organization": "acme", "table": "engagement", "department": 999999}, "no department"),
    ],
)
def test_the_cli_refuses_bad_input_with_a_clear_message(
    cast: Cast, options: dict[str, object], message: str
) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export", **options)


def test_the_cli_exits_non_zero_on_bad_input(cast: Cast) -> None:
    from cluetrain.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["export", "--organization", "nowhere", "--table", "engagement"])
    assert exited.value.code != 0
