"""What the API's command-line verbs (``post``, ``token``) share: plain errors, exit codes."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

BAD_INPUT = 2
REFUSED = 3


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


def refused(message: str) -> CommandError:
    return CommandError(message, returncode=REFUSED)


class PlainErrorsCommand(BaseCommand):
    """A command whose errors are one plain line on stderr and a meaningful exit code.

    Django would print ``CommandError: …``; a script's author wants the message and the code
    (2: bad input, 3: refused). Called from Python (``call_command``), errors are raised as usual.
    """

    requires_system_checks: list[str] = []

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
                raise
            verb = type(self).__module__.rsplit(".", 1)[-1]
            self.stderr.write(f"cluetrain {verb}: {exc}")
            sys.exit(exc.returncode)
