"""The ``cluetrain`` command: one front door for the product's verbs and Django's own.

``cluetrain --help`` lists every verb with one line each. Product verbs are
management commands of Cluetrain's apps; anything else is handed to Django.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured

# The product's own verbs, in the order a newcomer meets them.
PRODUCT_VERBS: dict[str, str] = {
    "demo": "set up the database, load the Acme Rail demo and run web server and worker together",
    "serve": "run the web server (migrates and collects static files first)",
    "worker": "run background jobs; several workers may run at once on PostgreSQL",
    "rotate_keys": "re-encrypt stored credentials with the newest encryption key",
    "invite": "invite a person to an organisation by e-mail",
    "post": "publish a post as the person of an API token (for scripts)",
    "token": "create, list and revoke personal API tokens",
    "check": "check texts against guidelines (without a text: Django's system checks)",
    "listen": "listen to the organisations' sources (Bluesky, Mastodon, feeds)",
    "import": "import past messages from CSV or JSONL (also Kaggle's Customer Support on Twitter)",
    "triage": "classify messages from stdin (JSONL) without a database",
    "incident": "declare, update, end and list incidents (crisis mode)",
    "academy": "install the default curriculum, list it and send due reminders",
    "practice": "list scenarios, show learners' practice progress and grade practice work",
    "facts": "search, add, review and retire facts; send due review reminders",
    "agencies": "the self-sufficiency index, shadow pairings and shadows' notices",
    "campaigns": "show objectives' progress and what the effort cost",
    "insights": "rebuild the insights roll-ups from scratch, or bring them up to date",
    "export": "export insights tables and the monthly report as CSV (the dashboards' CSV files)",
    "cohort": "list engagement-centre cohorts, show one, plan its rota of inbox shifts",
    "backup": "write one consistent archive of the database and media (while Cluetrain runs)",
    "restore": "bring back an archive written by backup (on a fresh installation)",
}


def _django_verbs() -> dict[str, str]:
    from django.core.management import get_commands, load_command_class

    verbs: dict[str, str] = {}
    for name, app in sorted(get_commands().items()):
        if name in PRODUCT_VERBS:
            continue
        try:
            help_text = load_command_class(app, name).help or ""
        except Exception:  # a broken third-party command must not break --help
            help_text = ""
        first_line = help_text.strip().splitlines()[0] if help_text.strip() else ""
        verbs[name] = first_line.rstrip(".")
    return verbs


def print_help() -> None:
    import django

    django.setup()
    django_verbs = _django_verbs()
    width = max(len(name) for name in [*PRODUCT_VERBS, *django_verbs]) + 2
    print("usage: cluetrain VERB [options]   (cluetrain VERB --help for a verb's options)\n")
    print("Cluetrain verbs:")
    for name, line in PRODUCT_VERBS.items():
        print(f"  {name:<{width}}{line}")
    print("\nDjango's own commands, passed through:")
    for name, line in django_verbs.items():
        print(f"  {name:<{width}}{line}"[:120])


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluetrain.settings")
    try:
        if not args or args[0] in {"-h", "--help", "help"}:
            print_help()
            return 0
        from django.core.management import execute_from_command_line

        execute_from_command_line(["cluetrain", *args])
    except ImproperlyConfigured as exc:
        print(f"cluetrain: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
