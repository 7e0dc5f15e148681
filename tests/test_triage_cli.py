"""``cluetrain triage``: JSONL in, one JSON line out per line, in order, without a database."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cluetrain.triage.engine import KEYS


def run(lines: list[str], *args: str) -> list[dict[str, object]]:
    out = io.StringIO()
    call_command("triage", *args, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_line_gets_one_output_line_in_order_with_exactly_the_keys():
    lines = [
        json.dumps({"id": i, "text": f"message number {i}, where is my bag?"}) for i in range(5)
    ]
    rows = run(lines, "--batch", "2")
    assert [r["id"] for r in rows] == [0, 1, 2, 3, 4]
    assert all(list(r) == KEYS for r in rows)


def test_ids_are_echoed_as_given():
    rows = run([json.dumps({"id": x, "text": "hi"}) for x in ["a-1", 7, None, {"k": 1}]])
    assert [r["id"] for r in rows] == ["a-1", 7, None, {"k": 1}]


def test_bad_lines_get_an_error_line_at_their_place():
    lines = [
        json.dumps({"id": 1, "text": "my train is stuck and people are fainting"}),
        "not json at all",
        "",
        json.dumps({"id": "n", "text": 42}),
        json.dumps({"id": 3}),
        json.dumps([1, 2]),
        json.dumps({"id": 4, "text": "thanks so much!"}),
    ]
    rows = run(lines)
    assert len(rows) == len(lines)
    assert rows[0]["incident"] is True
    assert rows[1] == {"id": None, "line": 2, "error": rows[1]["error"]}
    assert rows[1]["error"].startswith("invalid JSON")
    assert rows[2]["error"] == "empty line"
    assert rows[3]["id"] == "n"
    assert "not a string" in rows[3]["error"]
    assert rows[4]["id"] == 3
    assert "missing" in rows[4]["error"]
    assert rows[5]["error"] == "not a JSON object"
    assert rows[6]["id"] == 4
    assert rows[6]["intent"] == "praise"


def test_hostile_text_is_classified_not_echoed():
    rows = run([json.dumps({"id": 1, "text": "<img src=x onerror=alert(1)>" + "é" * 100000})])
    assert "onerror" not in rows[0]["reason"]
    assert rows[0]["language"] in {"und", "fr", "es", "pt", "it"}


def test_lone_surrogates_in_ids_and_texts_do_not_break_the_output():
    rows = run(['{"id": "\\ud800x", "text": "bad \\udc00 escape, my bag is lost"}'])
    assert rows[0]["id"] == "\ud800x"
    assert rows[0]["topic"] == "baggage"


def test_train_learns_departments_from_corrections(tmp_path: Path):
    labelled = tmp_path / "labelled.jsonl"
    examples = [
        {"text": "my suitcase never arrived", "department": "baggage"},
        {"text": "bag lost at the carousel", "department": "baggage"},
        {"text": "luggage damaged", "department": "baggage"},
        {"text": "booking failed online", "department": "sales", "intent": "complaint"},
        {"text": "change my booking please", "department": "sales"},
        {"text": "seat reservation missing", "department": "sales"},
    ] * 3
    labelled.write_text(
        "\n".join(json.dumps(e) for e in examples) + "\nnot json\n", encoding="utf-8"
    )
    rows = run(
        [json.dumps({"id": 1, "text": "they lost my luggage"}),
         json.dumps({"id": 2, "text": "my booking is missing"})],
        "--train",
        str(labelled),
    )  # fmt: skip
    assert [r["department"] for r in rows] == ["baggage", "sales"]


def test_a_missing_training_file_is_exit_code_2(tmp_path: Path):
    with pytest.raises(CommandError) as caught:
        run([], "--train", str(tmp_path / "nope.jsonl"))
    assert caught.value.returncode == 2


def test_the_command_line_runs_without_a_database(tmp_path: Path):
    env_dir = tmp_path / "data"  # empty: no database exists there, and none is created
    lines = "\n".join(json.dumps({"id": i, "text": "is the 8:15 on time?"}) for i in range(3))
    done = subprocess.run(
        [sys.executable, "-m", "cluetrain", "triage"],
        input=lines + "\n",
        capture_output=True,
        text=True,
        env={"CLUETRAIN_DATA_DIR": str(env_dir), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["id"] for x in done.stdout.splitlines()] == [0, 1, 2]
    assert not list(env_dir.glob("*.sqlite3"))
