"""``cluetrain import``: past messages from CSV, JSON Lines and Kaggle's Customer Support on
Twitter layout, streamed in batches, stored once, bad rows reported and skipped."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cluetrain.listening.importer import import_file
from cluetrain.listening.models import MAX_TEXT, Author, Direction, Message, Source, SourceKind
from tests.conftest import Cast
from tests.support.data import real_data

TWCS = real_data("twcs/twcs_kaggle_sample.csv").parent


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_kaggle_sample_is_imported_with_both_sides_of_each_conversation(cast: Cast) -> None:
    out, _ = run(str(TWCS / "twcs_kaggle_sample.csv"), "--org", "acme")
    stored = Message.objects.filter(organization=cast.acme, network="twitter")
    assert stored.count() == 93
    assert out.strip() == "Read 93 rows: 93 new messages, 0 already stored, 0 bad."
    customer = stored.get(external_id="119237")
    assert customer.direction == Direction.INBOUND
    assert customer.author.external_id == "105834"
    assert customer.author.handle == ""
    assert customer.created_at == datetime(2017, 10, 11, 6, 55, 44, tzinfo=UTC)
    assert customer.text.startswith("@AppleSupport causing the reply")
    reply = stored.get(external_id="119238")
    assert reply.direction == Direction.OUTBOUND
    assert reply.author.handle == "ChaseSupport"
    assert reply.reply_to_external_id == "119239"
    source = Source.objects.get(organization=cast.acme, kind=SourceKind.IMPORT)
    assert source.name == "twcs_kaggle_sample.csv"
    assert not source.enabled  # an archive is not listened to


def test_importing_twice_stores_nothing_new(cast: Cast) -> None:
    path = TWCS / "twcs_random5000.csv"
    first = import_file(cast.acme, path, batch=700)
    second = import_file(cast.acme, path)
    assert first.read == second.read
    assert first.stored + first.duplicates + len(first.bad) == first.read
    assert first.stored > 4000
    assert second.stored == 0
    assert second.duplicates == first.read - len(first.bad)
    assert Message.objects.filter(organization=cast.acme).count() == first.stored
    authors = Author.objects.filter(organization=cast.acme)
    assert sum(authors.values_list("message_count", flat=True)) == first.stored


def test_a_progress_bar_goes_to_stderr_when_asked(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    import_file(cast.acme, TWCS / "twcs_kaggle_sample.csv", progress=True)
    assert "import" in capsys.readouterr().err


def test_jsonl_with_bad_lines_hostile_text_and_odd_values(cast: Cast, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "1", "text": "<script>alert(1)</script> hi", "author": "eve",
                    "author_name": "<b>Eve</b>", "created_at": "2024-02-03T04:05:06Z",
                    "network": "Mastodon", "url": "javascript:alert(1)"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "2", "text": "no author"}),
        json.dumps({"id": "", "text": "no id", "author": "x"}),
        json.dumps({"id": "3", "text": "x" * (MAX_TEXT * 3), "author": "bob",
                    "created_at": "yesterday"}),
        json.dumps({"id": "4", "text": None, "author": "bob", "reply_to": 1,
                    "created_at": "2024-02-03T04:05:06", "direction": "out"}),
        "",
        json.dumps({"id": "5", "text": "x" * (MAX_TEXT * 3), "author": "bob"}),
        json.dumps({"id": 1, "text": "the same id again", "author": "eve", "network": "mastodon"}),
    ]  # fmt: skip
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(cast.acme, path)
    assert report.bad == [
        (2, "not JSON"),
        (3, "not a JSON object"),
        (4, "no author"),
        (5, "no id"),
        (6, "created_at is not a date: 'yesterday'"),
    ]
    assert (report.read, report.stored, report.duplicates) == (9, 3, 1)  # blank lines are no rows
    first = Message.objects.get(organization=cast.acme, external_id="1")
    assert first.network == "mastodon"
    assert first.text == "<script>alert(1)</script> hi"  # stored as text, escaped when shown
    assert first.url == ""
    assert first.author.display_name == "<b>Eve</b>"
    fourth = Message.objects.get(external_id="4")
    assert (fourth.text, fourth.reply_to_external_id, fourth.direction) == ("", "1", "out")
    assert fourth.created_at == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    fifth = Message.objects.get(external_id="5")
    assert fifth.truncated
    assert len(fifth.text) == MAX_TEXT


def test_csv_with_a_broken_row_a_bom_and_windows_line_ends(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "\ufeffid,text,author,created_at\r\n"
        '10,"Hello, ""world""\r\nsecond line",ann,2024-01-01T10:00:00+02:00\r\n'
        "11,too,many,columns,here\r\n"
        "12,short\r\n"
        "13,\x00\x07odd \u202econtrols,carl,\r\n".encode()
    )
    out, err = run(str(path), "--org", "acme", "--source-name", "Old helpdesk")
    assert err.splitlines() == [
        "line 4: wrong number of columns",
        "line 5: wrong number of columns",
    ]
    assert "2 new messages, 0 already stored, 2 bad" in out
    first = Message.objects.get(organization=cast.acme, external_id="10")
    assert first.text == 'Hello, "world"\nsecond line'
    assert first.network == "import"
    assert first.created_at == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    assert Message.objects.get(external_id="13").text == "odd controls"
    assert Source.objects.filter(name="Old helpdesk", kind=SourceKind.IMPORT).exists()


def test_twcs_rows_that_are_not_tweets_are_reported(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "twcs.csv"
    path.write_text(
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,@sprintcare help,2,\n"
        "2,sprintcare,False,Tue Oct 31 22:11:45 +0000 2017,@115712 Sure,,1.0\n"
        "x,115712,True,Tue Oct 31 22:10:47 +0000 2017,bad id,,\n"
        "3,115712,maybe,Tue Oct 31 22:10:47 +0000 2017,bad inbound,,\n"
        "4,115712,True,31/10/2017,bad date,,\n"
        "5,115712,True,Tue Oct 31 22:10:47 +0000 2099,from the future,,\n",
        encoding="utf-8",
    )
    report = import_file(cast.acme, path)
    assert [line for line, _ in report.bad] == [4, 5, 6]
    assert report.stored == 3
    assert Message.objects.get(external_id="2").reply_to_external_id == "1"
    future = Message.objects.get(external_id="5")
    assert future.created_at == future.received_at


def test_an_unknown_organisation_or_a_missing_file_is_an_error(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No organisation"):
        run(str(TWCS / "twcs_kaggle_sample.csv"), "--org", "nobody")
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.csv"), "--org", "acme")


def test_an_empty_file_imports_nothing(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    out, _ = run(str(path), "--org", "acme")
    assert "Read 0 rows" in out
