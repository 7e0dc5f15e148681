"""``cluetrain check``: check texts against guidelines from a terminal or a script.

Given no text, it is Django's own ``check`` (the system checks), so ``cluetrain check
--deploy`` keeps working.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any

from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.core.management.commands.check import Command as SystemCheck

from cluetrain.api.commands import PlainErrorsCommand
from cluetrain.core.errors import ServiceError
from cluetrain.guidelines import services
from cluetrain.guidelines.engine.engine import Engine
from cluetrain.guidelines.engine.types import Result, Verdict
from cluetrain.organizations.models import Organization

BAD_INPUT = 3
ORDER = [Verdict.OK, Verdict.WARN, Verdict.REVIEW, Verdict.BLOCK]
EXIT_CODES = {Verdict.OK: 0, Verdict.WARN: 0, Verdict.REVIEW: 1, Verdict.BLOCK: 2}


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


class Command(PlainErrorsCommand):
    help = (
        "Check texts against guidelines and print the findings. Exit codes: 0 nothing or only "
        "warnings, 1 needs review, 2 blocked, 3 bad input (an unknown organisation, an invalid "
        "rules file). Without a text: Django's system checks."
    )
    stealth_options = ("stdin",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_code = 0

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "text", nargs="?", help='the text to check, or "-" to read it from standard input'
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--org", metavar="SLUG", help="use this organisation's saved rules")
        source.add_argument("--rules", metavar="FILE.yaml", help="use the rules of this file")
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"verdict", "findings": [{"rule", "kind", "severity", "start", "end", '
            '"match", "explanation", "suggestion"}]} (start/end: Python string offsets); one '
            "object per line with --lines",
        )
        parser.add_argument(
            "--lines", action="store_true", help="check each line of the text on its own"
        )
        # Passed to Django's system checks when no text is given.
        parser.add_argument("--deploy", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--fail-level", default="ERROR", help=argparse.SUPPRESS)
        parser.add_argument("--tag", "-t", action="append", dest="tags", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["text"] is None:
            self._system_checks(options)
            return
        engine = self._engine(options)
        text = self._text(options["text"], options.get("stdin") or sys.stdin)
        texts = text.splitlines() if options["lines"] else [text]
        worst = Verdict.OK
        for number, one in enumerate(texts, start=1):
            result = engine.check(one)
            worst = max(worst, result.verdict, key=ORDER.index)
            line = number if options["lines"] else None
            if options["json"]:
                self._print_json(result, line)
            else:
                self._print_plain(result, line)
        if not options["json"]:
            self.stdout.write(f"verdict: {worst.value}")
        self.exit_code = EXIT_CODES[worst]
        if self.exit_code and getattr(self, "_called_from_command_line", False):
            self.stdout.flush()
            sys.exit(self.exit_code)

    def _system_checks(self, options: dict[str, Any]) -> None:
        if options["org"] or options["rules"] or options["json"] or options["lines"]:
            raise bad_input('Give the text to check, or "-" to read it from standard input.')
        call_command(
            SystemCheck(),
            stdout=self.stdout,
            stderr=self.stderr,
            deploy=options["deploy"],
            fail_level=options["fail_level"],
            tags=options["tags"],
        )

    def _engine(self, options: dict[str, Any]) -> Engine:
        if options["org"]:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise bad_input(f"No organisation has the slug “{options['org']}”.")
            return services.compiled(organization)
        if options["rules"]:
            path = Path(options["rules"])
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise bad_input(f"Cannot read the rules file {path}: {exc}") from exc
            try:
                rules = services.parse_yaml(source)
                return services.compile_rules(rules, version=path.name)
            except ServiceError as exc:
                raise bad_input(f"{path}: {exc.message}") from exc
        return services.compile_rules([], version="defaults")

    def _text(self, given: str, stdin: IO[str]) -> str:
        if given != "-":
            return given
        try:
            return stdin.read()
        except UnicodeDecodeError as exc:
            raise bad_input("Standard input is not UTF-8 text.") from exc

    def _print_json(self, result: Result, line: int | None) -> None:
        shown = result.as_json()
        if line is not None:
            shown = {"line": line, **shown}
        self.stdout.write(json.dumps(shown, ensure_ascii=False))

    def _print_plain(self, result: Result, line: int | None) -> None:
        where = f"line {line}: " if line is not None else ""
        for finding in result.findings:
            parts = [
                f"{where}{finding.severity.value}",
                finding.rule,
                json.dumps(finding.match, ensure_ascii=False),
                f"at {finding.start}-{finding.end}",
            ]
            if finding.explanation:
                parts.append(finding.explanation)
            if finding.suggestion:
                parts.append(f"→ {finding.suggestion}")
            self.stdout.write("  ".join(parts))
