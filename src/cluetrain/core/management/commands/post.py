"""``cluetrain post``: publish from a script or a terminal, as the person of an API token.

It calls the publishing services directly (no HTTP), with exactly the rules of the composer
and the API. Exit codes: 0 done, 2 bad input, 3 refused (token or permission); nothing is
stored unless the post is accepted whole.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.core.management.base import CommandParser

from cluetrain.api import services as tokens
from cluetrain.api.auth import Caller
from cluetrain.api.commands import PlainErrorsCommand, bad_input, refused
from cluetrain.api.inputs import find_voices, parse_at, schedule_from
from cluetrain.api.posts import load_post
from cluetrain.api.schemas import PostDetail
from cluetrain.api.voices import voice_out
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.publishing.drafts import Draft, Upload
from cluetrain.publishing.media import MAX_UPLOAD_BYTES
from cluetrain.publishing.models import Category, Post, PostStatus
from cluetrain.publishing.services import do_create_post

TOKEN_VARIABLE = "CLUETRAIN_TOKEN"  # noqa: S105 (a variable's name)


class Command(PlainErrorsCommand):
    help = (
        "Publish a post as the person of an API token: now, at a time, in the next queue slot, "
        "or as a draft. Exit codes: 2 bad input, 3 refused."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--token", help=f"an API token (default: the {TOKEN_VARIABLE} environment variable)"
        )
        parser.add_argument(
            "--voice",
            action="append",
            default=[],
            help="a voice's id or handle (see --list-voices); repeat for several voices",
        )
        text = parser.add_mutually_exclusive_group()
        text.add_argument("--text", help="the text (or give it with --file or on standard input)")
        text.add_argument("--file", help="read the text from this UTF-8 file")
        when = parser.add_mutually_exclusive_group()
        when.add_argument(
            "--at", help='when to publish, e.g. "2026-12-01 09:30" (in --tz), or with an offset'
        )
        when.add_argument(
            "--slot", action="store_true", help="publish in each voice's next free queue slot"
        )
        when.add_argument("--draft", action="store_true", help="keep it as a draft")
        parser.add_argument(
            "--tz", help="the time zone of --at, e.g. Europe/Paris (default: yours)"
        )
        parser.add_argument("--category", choices=Category.values, default=Category.OPERATIONAL)
        parser.add_argument(
            "--image", action="append", default=[], help="attach an image; give each its --alt"
        )
        parser.add_argument(
            "--alt", action="append", default=[], help="the description of the matching --image"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--list-voices", action="store_true", help="list the voices you may post through"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        who = self._caller(options["token"] or os.environ.get(TOKEN_VARIABLE, ""))
        if options["list_voices"]:
            self._list_voices(who, as_json=options["json"])
            return
        if options["tz"] and not options["at"]:
            raise bad_input("--tz gives the time zone of --at; give --at too.")
        if not options["voice"]:
            raise bad_input("Say which voice to post through with --voice (see --list-voices).")
        try:
            draft = Draft(
                text=self._text(options),
                voices=find_voices(who.organization, options["voice"]),
                category=options["category"],
                media=self._images(options["image"], options["alt"]),
            )
            when = "draft" if options["draft"] else "slot" if options["slot"] else None
            at = parse_at(options["at"]) if options["at"] else None
            schedule = schedule_from(when, at, options["tz"], who.person.time_zone)
            post = do_create_post(who.person, who.organization, draft, schedule)
        except NotAllowed as exc:
            raise refused(exc.message) from exc
        except ServiceError as exc:
            raise bad_input(exc.message) from exc
        self._report(load_post(who, post.pk), as_json=options["json"])

    def _caller(self, secret: str) -> Caller:
        if not secret.strip():
            raise bad_input(
                f"Give an API token with --token or the {TOKEN_VARIABLE} environment variable "
                "(an operator makes one with `cluetrain token create`)."
            )
        found = tokens.authenticate(secret.strip())
        if found is None:
            raise refused(
                "That API token is not valid: it is unknown, revoked or expired, or its person "
                "is no longer a member of its organisation."
            )
        return Caller(*found)

    def _text(self, options: dict[str, Any]) -> str:
        if options["text"] is not None:
            return str(options["text"])
        if options["file"]:
            try:
                return Path(options["file"]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise bad_input(f"Cannot read the text from {options['file']}: {exc}") from exc
        stdin: IO[str] = options.get("stdin") or sys.stdin
        if stdin.isatty():
            raise bad_input("Give the text with --text, --file or on standard input.")
        return stdin.read()

    def _images(self, paths: list[str], alts: list[str]) -> list[Upload]:
        if len(paths) != len(alts):
            raise bad_input(
                "Give each --image its --alt description (the same number of each, in order)."
            )
        uploads = []
        for path, alt in zip(paths, alts, strict=True):
            file = Path(path)
            try:
                if file.stat().st_size > MAX_UPLOAD_BYTES:
                    raise bad_input(f"{path} is too large to publish.")
                uploads.append(Upload(file.read_bytes(), file.name, alt))
            except OSError as exc:
                raise bad_input(f"Cannot read the image {path}: {exc.strerror}.") from exc
        return uploads

    def _list_voices(self, who: Caller, *, as_json: bool) -> None:
        voices = [
            voice_out(voice)
            for voice in policy.postable_voices(who.person, who.organization).select_related(
                "department"
            )
        ]
        if as_json:
            self.stdout.write(json.dumps([voice.model_dump() for voice in voices], indent=2))
            return
        if not voices:
            self.stdout.write(f"You may not post through any voice of {who.organization.name}.")
        for voice in voices:
            self.stdout.write(
                f"{voice.id:>6}  {voice.network:<9} {voice.handle:<30} {voice.name} "
                f"({voice.kind}, {voice.limit} characters)"
            )

    def _report(self, post: Post, *, as_json: bool) -> None:
        if as_json:
            detail = PostDetail.from_orm(post).model_dump(mode="json")
            self.stdout.write(json.dumps(detail, indent=2, ensure_ascii=False))
            return
        voices = ", ".join(delivery.voice.handle for delivery in post.deliveries.all())
        if post.status == PostStatus.DRAFT:
            self.stdout.write(f"Post {post.pk} saved as a draft for {voices}.")
            return
        due = post.scheduled_at
        when = f"{due:%Y-%m-%d %H:%M} UTC" if due else "unknown"
        if due and post.time_zone != "UTC":
            local = due.astimezone(ZoneInfo(post.time_zone))
            when += f" ({local:%Y-%m-%d %H:%M} {post.time_zone})"
        self.stdout.write(f"Post {post.pk} {post.status} through {voices}, due {when}.")
