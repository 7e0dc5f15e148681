"""``cluetrain check``: guidelines from the command line, with exit codes scripts can use."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cluetrain import cli
from cluetrain.guidelines import services
from cluetrain.guidelines.engine.types import Kind, RuleSpec, Severity
from cluetrain.guidelines.management.commands.check import Command
from tests.conftest import Cast
from tests.support.guidelines import FALCON_AND_Q3

RULES_FILE = (
    FALCON_AND_Q3
    + """  - name: tone
    kind: term
    terms: [awesome]
    severity: warn
"""
)
CARD = "4111 1111 1111 1111"


def check(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """Run the command in this process: (exit code it would give, what it printed)."""
    command, out = Command(), io.StringIO()
    extra = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command(command, *args, stdout=out, stderr=io.StringIO(), **extra)
    return command.exit_code, out.getvalue()


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_FILE, encoding="utf-8")
    return path


def test_a_rules_file_finds_a_code_name_and_blocks(rules_file: Path) -> None:
    code, out = check("--rules", str(rules_file), "We ship Project Falcon soon")
    assert code == 2
    assert (
        'block  falcon-codename  "Project Falcon"  at 8-22  Falcon is unannounced.  '
        '→ Say "our next product".'
    ) in out
    assert out.splitlines()[-1] == "verdict: block"


@pytest.mark.parametrize(
    ("text", "code", "verdict"),
    [("All good", 0, "ok"), ("This is awesome", 0, "warn"), ("Q3 revenue is up", 1, "review")],
)
def test_the_exit_code_follows_the_verdict(
    rules_file: Path, text: str, code: int, verdict: str
) -> None:
    got, out = check("--rules", str(rules_file), text)
    assert (got, out.splitlines()[-1]) == (code, f"verdict: {verdict}")


def test_json_has_the_issue_shape_with_python_offsets(rules_file: Path) -> None:
    text = "🚄 Falcon X2!"
    _, out = check("--rules", str(rules_file), "--json", text)
    body = json.loads(out)
    assert body["verdict"] == "block"
    finding = body["findings"][0]
    assert set(finding) == {
        "rule", "kind", "severity", "start", "end", "match", "explanation", "suggestion"
    }  # fmt: skip
    assert text[finding["start"] : finding["end"]] == finding["match"] == "Falcon X2"
    assert finding["start"] == 2  # a Python offset: the emoji counts one


def test_lines_checks_each_line_of_stdin(rules_file: Path) -> None:
    code, out = check(
        "--rules", str(rules_file), "--lines", "--json", "-", stdin="fine\nQ3 sales\nok\n"
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(row["line"], row["verdict"]) for row in rows] == [
        (1, "ok"),
        (2, "review"),
        (3, "ok"),
    ]
    assert code == 1


def test_plain_lines_name_the_line(rules_file: Path) -> None:
    code, out = check("--rules", str(rules_file), "--lines", "hello\nProject Falcon")
    assert out.splitlines()[0].startswith('line 2: block  falcon-codename  "Project Falcon"')
    assert code == 2


def test_without_rules_the_default_detectors_run() -> None:
    code, out = check("--json", f"card {CARD}")
    finding = json.loads(out)["findings"][0]
    assert (finding["kind"], finding["match"], code) == ("detector", CARD, 2)


def test_an_organisations_saved_rules_are_used(cast: Cast) -> None:
    rule = RuleSpec(name="skyline", kind=Kind.TERM, severity=Severity.REVIEW, terms=("Skyline",))
    services.do_save_rules(cast.director, cast.acme, [rule])
    code, out = check("--org", "acme", "--json", "Skyline and a card " + CARD)
    body = json.loads(out)
    assert body["version"] == "acme@1"
    # The organisation's rules, and the built-in detectors beside them.
    assert [f["rule"] for f in body["findings"]] == ["skyline", "payment_card"]
    assert code == 2


def test_an_organisation_changes_a_built_in_detector_by_its_name(cast: Cast) -> None:
    rule = RuleSpec(
        name="payment_card",
        kind=Kind.DETECTOR,
        severity=Severity.WARN,
        detector="payment_card",
    )
    services.do_save_rules(cast.director, cast.acme, [rule])
    code, out = check("--org", "acme", "--json", "a card " + CARD)
    assert [f["severity"] for f in json.loads(out)["findings"]] == ["warn"]
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org", "nowhere", "x"), "No organisation has the slug “nowhere”."),
        (("--rules", "/no/such/file.yaml", "x"), "Cannot read the rules file"),
        (("--json",), "Give the text to check"),
    ],
)
def test_bad_input_exits_3_with_a_plain_message(
    db: None, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError) as info:
        check(*args)
    assert info.value.returncode == 3
    assert message in str(info.value)


def test_an_invalid_rules_file_exits_3_naming_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "rules:\n  - name: broken\n    kind: pattern\n    pattern: '('\n    severity: warn\n"
    )
    with pytest.raises(CommandError) as info:
        check("--rules", str(path), "x")
    assert info.value.returncode == 3
    assert "broken" in str(info.value)


def test_the_help_lists_check(capsys: pytest.CaptureFixture[str]) -> None:
    cli.print_help()
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if line.split()[:1] == ["check"]]) == 1


def test_the_console_script_exits_with_the_verdict(rules_file: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("cluetrain")
    result = subprocess.run(
        [str(script), "check", "--rules", str(rules_file), "-"],
        input="Falcon X2\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "falcon-codename" in result.stdout
    bad = subprocess.run(
        [str(script), "check", "--rules", str(tmp_path / "missing.yaml"), "x"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 3
    assert bad.stderr.startswith("cluetrain check: Cannot read the rules file")
    assert "Traceback" not in bad.stderr


def test_without_a_text_it_runs_djangos_system_checks() -> None:
    code, out = check()
    assert code == 0
    assert "System check identified no issues" in out
