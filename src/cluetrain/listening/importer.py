"""Importing past messages from a file: CSV, JSON Lines, or Kaggle's "Customer Support on
Twitter" (``twcs``) layout.

The file is read as a stream, in batches handed to intake, so a file of millions of rows needs
no more memory than one batch. A bad row (no id, no author, a date that is not a date, a line
that is not JSON) is reported with its line number and skipped; it never stops the import.
Importing the same file twice stores nothing new: intake de-duplicates on the network's id.

Generic layout (CSV columns or JSON keys): ``id``, ``text``, ``author`` (required: id and
author), and optionally ``author_name``, ``created_at`` (ISO 8601; without a zone it is UTC),
``reply_to``, ``url``, ``network`` (default ``import``), ``direction`` (``in``/``out``).

``twcs`` layout: ``tweet_id, author_id, inbound, created_at, text, response_tweet_id,
in_response_to_tweet_id`` with dates like ``Tue Oct 31 22:10:47 +0000 2017``. Inbound rows are
customers; the others are the company's replies, imported as our side of the conversation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Direction, Source, SourceKind
from cluetrain.organizations.models import Organization
from cluetrain.triage.pipeline import take_in as do_intake

FORMATS = ("auto", "csv", "jsonl", "twcs")
BATCH = 2000
TWCS_COLUMNS = frozenset({"tweet_id", "author_id", "inbound", "created_at", "text"})
# A CSV field longer than this is a broken quote swallowing the rest of the file.
csv.field_size_limit(10 * 1024 * 1024)


class ImportFailed(Exception):
    """The file as a whole cannot be imported (missing, unreadable, unknown layout)."""


@dataclass
class ImportReport:
    """What an import did: rows read, messages stored, duplicates, bad rows (line, reason)."""

    read: int = 0
    stored: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.read - len(self.bad) - self.stored


class BadRow(ValueError):
    """One row that cannot be a message; the import goes on without it."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _id(value: Any) -> str:
    text = _text(value).strip()
    # Spreadsheets and pandas turn ids into floats: "119239.0" is tweet 119239.
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 or Twitter-style date (UTC when it names no zone); None when empty."""
    text = _text(value).strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = dt.datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
        except ValueError as exc:
            raise BadRow(f"created_at is not a date: {text[:40]!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def generic_row(row: dict[str, Any], now: dt.datetime) -> Heard:
    external_id, author = _id(row.get("id")), _text(row.get("author")).strip()
    if not external_id:
        raise BadRow("no id")
    if not author:
        raise BadRow("no author")
    direction = _text(row.get("direction")).strip().lower()
    return Heard(
        network=_text(row.get("network")).strip().lower() or "import",
        external_id=external_id,
        author_id=author,
        author_handle=author,
        author_name=_text(row.get("author_name")),
        text=_text(row.get("text")),
        created_at=parse_time(row.get("created_at")) or now,
        reply_to=_id(row.get("reply_to")),
        url=_text(row.get("url")),
        direction=Direction.OUTBOUND if direction == "out" else Direction.INBOUND,
    )


def twcs_row(row: dict[str, Any], now: dt.datetime) -> Heard:
    external_id, author = _id(row.get("tweet_id")), _text(row.get("author_id")).strip()
    if not external_id or not external_id.isdigit():
        raise BadRow("tweet_id is not a tweet id")
    if not author:
        raise BadRow("no author_id")
    inbound = _text(row.get("inbound")).strip().lower()
    if inbound not in ("true", "false"):
        raise BadRow("inbound is neither True nor False")
    # The data set replaced customers' names by numbers; companies keep theirs.
    return Heard(
        network="twitter",
        external_id=external_id,
        author_id=author,
        author_handle="" if author.isdigit() else author,
        text=_text(row.get("text")),
        created_at=parse_time(row.get("created_at")) or now,
        # A tweet can answer several; the first is the one it is threaded under.
        reply_to=_id(_text(row.get("in_response_to_tweet_id")).split(",")[0]),
        direction=Direction.INBOUND if inbound == "true" else Direction.OUTBOUND,
    )


def detect_format(path: Path, header: str) -> str:
    """``jsonl``, ``twcs`` or ``csv`` from the file's name and first line."""
    if path.suffix.lower() in (".jsonl", ".ndjson") or header.lstrip().startswith("{"):
        return "jsonl"
    columns = {name.strip().lower() for name in next(csv.reader([header]), [])}
    return "twcs" if columns >= TWCS_COLUMNS else "csv"


Row = tuple[int, dict[str, Any] | None, str]  # line number, the row or None, why it is bad


def _csv_rows(text: IO[str]) -> Iterator[Row]:
    reader = csv.DictReader(text)
    if not reader.fieldnames:
        return
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
    width = len(reader.fieldnames)
    line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, None, f"not CSV ({exc})"
            line = reader.line_num
            continue
        first, line = line + 1, reader.line_num
        if None in row or len(row) != width or any(v is None for v in row.values()):
            yield first, None, "wrong number of columns"
            continue
        yield first, row, ""


def _jsonl_rows(text: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            yield number, None, "not JSON"
            continue
        if not isinstance(row, dict):
            yield number, None, "not a JSON object"
            continue
        yield number, row, ""


def _progress(total: int, show: bool) -> Any:
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="import", file=sys.stderr)


def import_file(
    organization: Organization,
    path: Path,
    *,
    fmt: str = "auto",
    source_name: str = "",
    progress: bool = False,
    batch: int = BATCH,
    on_batch: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import every message of ``path`` for ``organization``; see the module docstring."""
    if fmt not in FORMATS:
        raise ImportFailed(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    try:
        binary = path.open("rb")
    except OSError as exc:
        raise ImportFailed(f"Cannot read {path}: {exc.strerror or exc}") from exc
    with binary:
        size = path.stat().st_size
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
        header = text.readline()
        text.seek(0)
        if fmt == "auto":
            fmt = detect_format(path, header)
        source, _ = Source.objects.get_or_create(
            organization=organization,
            kind=SourceKind.IMPORT,
            name=(source_name or path.name)[:120],
            defaults={"enabled": False},
        )
        make = {"twcs": twcs_row, "csv": generic_row, "jsonl": generic_row}[fmt]
        rows = _jsonl_rows(text) if fmt == "jsonl" else _csv_rows(text)
        report = ImportReport()
        bar = _progress(size, progress)
        pending: list[Heard] = []
        now = dt.datetime.now(dt.UTC)

        def flush() -> None:
            report.stored += do_intake(organization, pending, source=source)
            pending.clear()
            if bar is not None:
                bar.update(binary.tell() - bar.n)
            if on_batch is not None:
                on_batch(report)

        try:
            for line, row, why in rows:
                report.read += 1
                if row is None:
                    report.bad.append((line, why))
                    continue
                try:
                    pending.append(make(row, now))
                except BadRow as exc:
                    report.bad.append((line, str(exc)))
                if len(pending) >= batch:
                    flush()
            flush()
        finally:
            if bar is not None:
                bar.close()
    return report
