"""``cluetrain triage``: classify messages from standard input, without a database.

Reads JSONL (``{"id": ..., "text": ...}`` a line), writes one JSONL line per input line, in
order, in batches so a huge input streams. With ``--train``, a team's corrections are
learned first and departments are predicted among their labels.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

BATCH = 2000
BAD_TRAINING_FILE = 2


class Command(BaseCommand):
    help = (
        'Classify messages read from standard input as JSONL ({"id": ..., "text": ...} a '
        "line) and write one JSON line per input line, in the same order, with the keys id, "
        "intent, complaint, incident, sentiment, sentiment_label, language, urgency, topic, "
        "department, confidence, reason. Never touches the database. A line that is not a "
        'JSON object with a string "text", or is blank, gives {"id": <its id or null>, '
        '"line": <number>, "error": "..."} at its place. Exit code 0 (even with bad lines), '
        "2 if the --train file is missing or unreadable."
    )
    requires_system_checks: list[str] = []
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--train",
            metavar="LABELLED.jsonl",
            help='learn first from lines {"text": ..., "department": ...} (and any of topic, '
            "intent, complaint, incident, urgency, sentiment_label), as a team's corrections",
        )
        parser.add_argument(
            "--batch", type=int, default=BATCH, help=f"lines per batch (default {BATCH})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from cluetrain.triage.engine import OrgModel, Triager

        org_model = None
        if options["train"]:
            examples = _read_training(Path(options["train"]))
            org_model = OrgModel.train(examples)
            self.stderr.write(
                f"learned {', '.join(org_model.fields) or 'nothing'} from "
                f"{org_model.examples} examples"
            )
        triager = Triager(org_model=org_model)
        stdin: IO[str] = options.get("stdin") or sys.stdin
        out = self.stdout
        size = max(1, int(options["batch"]))
        for batch in _batches(stdin, size):
            good = [(i, ident, text) for i, (ident, text, error) in enumerate(batch) if not error]
            decisions = triager.classify([t for _, _, t in good], [d for _, d, _ in good])
            by_position = {i: d for (i, _, _), d in zip(good, decisions, strict=True)}
            lines = []
            for i, (_, _, error) in enumerate(batch):
                if error:
                    lines.append(json.dumps(error))
                else:
                    lines.append(json.dumps(by_position[i].as_dict()))
            out.write("\n".join(lines))


Parsed = tuple[Any, str, dict[str, Any] | None]  # (id, text, error line or None)


def _parse(number: int, line: str) -> Parsed:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, "", {"id": None, "line": number, "error": f"invalid JSON: {exc.msg}"}
    except ValueError:  # e.g. a number too long to convert
        return None, "", {"id": None, "line": number, "error": "invalid JSON"}
    if not isinstance(row, dict):
        return None, "", {"id": None, "line": number, "error": "not a JSON object"}
    ident = row.get("id")
    text = row.get("text")
    if text is None:
        return ident, "", {"id": ident, "line": number, "error": 'missing "text"'}
    if not isinstance(text, str):
        return ident, "", {"id": ident, "line": number, "error": '"text" is not a string'}
    return ident, text, None


def _batches(stdin: IO[str], size: int) -> Iterator[list[Parsed]]:
    batch: list[Parsed] = []
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            batch.append((None, "", {"id": None, "line": number, "error": "empty line"}))
        else:
            batch.append(_parse(number, line))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _read_training(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}", returncode=BAD_TRAINING_FILE) from exc
    examples = []
    for line in content.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a correction that cannot be read teaches nothing
        if isinstance(row, dict) and isinstance(row.get("text"), str):
            examples.append((row["text"], {k: v for k, v in row.items() if k != "text"}))
    return examples
