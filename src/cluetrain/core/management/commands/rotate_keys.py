from __future__ import annotations

import os
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluetrain.crisis.runbooks import do_rotate_webhooks
from cluetrain.hooks.services import do_rotate_secrets
from cluetrain.voices.services import do_rotate_credentials


class Command(BaseCommand):
    help = (
        "Re-encrypt stored credentials and runbooks' webhook addresses with the newest "
        "encryption key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="put a fresh key in front of the key file in the data folder first",
        )
        parser.add_argument(
            "--print-new-key", action="store_true", help="print a fresh key and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_new_key"]:
            self.stdout.write(Fernet.generate_key().decode("ascii"))
            return
        if options["new_key"]:
            if os.environ.get("CLUETRAIN_ENCRYPTION_KEYS"):
                raise CommandError(
                    "CLUETRAIN_ENCRYPTION_KEYS is set: put a new key (--print-new-key) first "
                    "in that variable, restart, then run rotate_keys without --new-key"
                )
            key_file = settings.DATA_DIR / "encryption_key"
            key = Fernet.generate_key().decode("ascii")
            old = key_file.read_text(encoding="utf-8") if key_file.exists() else ""
            key_file.write_text(key + "\n" + old, encoding="utf-8")
            settings.ENCRYPTION_KEYS = [key, *settings.ENCRYPTION_KEYS]
            self.stdout.write(f"Added a new primary key to {key_file}.")
        count = do_rotate_credentials()
        webhooks = do_rotate_webhooks()
        secrets = do_rotate_secrets()
        self.stdout.write(
            f"Re-encrypted {count} credential(s), {webhooks} webhook address(es) and "
            f"{secrets} outgoing webhook secret(s) with the primary key."
        )
