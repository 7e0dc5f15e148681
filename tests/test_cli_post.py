"""``cluetrain token`` and ``cluetrain post``: scripted publishing from the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from cluetrain import cli
from cluetrain.api.models import ApiToken
from cluetrain.api.services import authenticate, do_create_token, hash_secret
from cluetrain.publishing.dispatch import run_due
from cluetrain.publishing.models import Post, PostStatus
from cluetrain.voices.services import do_connect_personal_voice
from tests.conftest import Cast


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    extra: dict[str, Any] = {"stdin": io.StringIO(stdin)} if stdin is not None else {}
    call_command(*args, stdout=out, stderr=io.StringIO(), **extra)
    return out.getvalue()


def refused_with(code: int, *args: str, stdin: str | None = None) -> str:
    before = Post.objects.count()
    with pytest.raises(CommandError) as info:
        run(*args, stdin=stdin)
    assert info.value.returncode == code, str(info.value)
    assert Post.objects.count() == before
    return str(info.value)


@pytest.fixture
def secret(cast: Cast) -> str:
    return do_create_token(cast.member, cast.acme, "cli")[1]


# --- token -------------------------------------------------------------------------------------


def test_token_create_prints_the_secret_once_and_stores_its_hash(cast: Cast) -> None:
    output = run("token", "create", "--email", "MEMBER@example.com", "--org", "acme", "--name", "x")
    secret = output.strip().splitlines()[-1]
    assert "given" not in secret
    token = ApiToken.objects.get()
    assert token.token_hash == hash_secret(secret)
    assert token.expires_at is None
    assert authenticate(secret) == (cast.member, cast.acme)
    listing = run("token", "list")
    assert token.prefix in listing
    assert secret not in listing
    assert "active" in listing


def test_token_create_with_days_expires(cast: Cast) -> None:
    run(
        "token",
        "create",
        "--email",
        cast.member.email,
        "--org",
        "acme",
        "--name",
        "x",
        "--days",
        "7",
    )
    expires_at = ApiToken.objects.get().expires_at
    assert expires_at is not None
    assert timedelta(days=6) < expires_at - timezone.now() <= timedelta(days=7)


def test_token_revoke_refuses_the_token_from_then_on(cast: Cast, secret: str) -> None:
    token = ApiToken.objects.get()
    assert "revoked" in run("token", "revoke", str(token.pk))
    assert authenticate(secret) is None
    assert "revoked" in run("token", "list", "--email", cast.member.email)
    refused_with(3, "post", "--token", secret, "--voice", "@milo", "--text", "Hello.")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "--email", "nobody@example.com", "--org", "acme", "--name", "x"), "Nobody"),
        (("create", "--email", "member@example.com", "--org", "nope", "--name", "x"), "slug"),
        (("create", "--email", "member@example.com", "--org", "acme", "--name", " "), "name"),
        (("revoke", "999999"), "no token"),
    ],
)
def test_token_errors_are_plain(cast: Cast, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message) as info:
        run("token", *args)
    assert info.value.returncode == 2
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exclude(name="cli").exists()


def test_token_create_refuses_an_outsider(cast: Cast) -> None:
    error = refused_with(
        3, "token", "create", "--email", cast.outsider.email, "--org", "acme", "--name", "x"
    )
    assert "not a member of Acme" in error


# --- post --------------------------------------------------------------------------------------


def test_posting_now_then_the_worker_publishes_it(cast: Cast, secret: str) -> None:
    output = run("post", "--token", secret, "--voice", "@milo", "--text", "Trains on time.")
    post = Post.objects.get()
    assert output.startswith(f"Post {post.pk} scheduled through @milo, due ")
    assert run_due() == 1
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.author == cast.member


def test_post_reads_the_token_from_the_environment(
    cast: Cast, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUETRAIN_TOKEN", secret)
    run("post", "--voice", str(cast.member_voice.pk), "--text", "From the environment.")
    assert Post.objects.get().text == "From the environment."


def test_post_as_json_at_a_wall_clock_time(cast: Cast, secret: str) -> None:
    day = (timezone.now() + timedelta(days=20)).date()
    output = run(
        "post", "--token", secret, "--voice", "@milo", "--text", "Later.",
        "--at", f"{day} 09:30", "--tz", "Europe/Paris", "--category", "marketing", "--json",
    )  # fmt: skip
    result = json.loads(output)
    expected = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert result["status"] == "scheduled"
    assert result["category"] == "marketing"
    assert result["time_zone"] == "Europe/Paris"
    assert datetime.fromisoformat(result["scheduled_at"]) == expected.astimezone(UTC)
    assert result["deliveries"][0]["voice"]["handle"] == "@milo"


def test_post_as_a_draft_from_a_file(cast: Cast, secret: str, tmp_path: Path) -> None:
    text = tmp_path / "post.txt"
    text.write_text("First part.\n---\nSecond part.\n", encoding="utf-8")
    output = run("post", "--token", secret, "--voice", "milo", "--file", str(text), "--draft")
    assert "saved as a draft" in output
    post = Post.objects.get()
    assert post.status == PostStatus.DRAFT
    assert post.parts() == ["First part.", "Second part."]


def test_post_reads_standard_input(cast: Cast, secret: str) -> None:
    run("post", "--token", secret, "--voice", "@milo", "--draft", stdin="Piped in.\n")
    assert Post.objects.get().text == "Piped in."


def test_a_voice_without_queue_slots_cannot_take_the_next_slot(cast: Cast, secret: str) -> None:
    error = refused_with(2, "post", "--token", secret, "--voice", "@milo", "--slot", stdin="Hi.")
    assert "posting times" in error


def test_post_with_an_image(cast: Cast, secret: str, tmp_path: Path) -> None:
    image = tmp_path / "map.png"
    Image.new("RGB", (10, 6), (0, 90, 200)).save(image)
    run(
        "post", "--token", secret, "--voice", "@milo", "--text", "The new map.",
        "--image", str(image), "--alt", "A map of the line",
    )  # fmt: skip
    media = Post.objects.get().media.get()
    assert media.alt_text == "A map of the line"
    assert (media.width, media.height) == (10, 6)


def test_list_voices(cast: Cast) -> None:
    secret = do_create_token(cast.mentor, cast.acme, "cli")[1]
    output = run("post", "--token", secret, "--list-voices")
    assert "@acme.care" in output
    assert "@milo" not in output
    listed = json.loads(run("post", "--token", secret, "--list-voices", "--json"))
    assert [voice["id"] for voice in listed] == [cast.care_voice.pk]


# --- post: refusals ----------------------------------------------------------------------------


def test_post_without_a_token_is_bad_input(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUETRAIN_TOKEN", raising=False)
    assert "token" in refused_with(2, "post", "--voice", "@milo", "--text", "Hello.")


def test_post_with_a_wrong_token_is_refused(cast: Cast) -> None:
    refused_with(3, "post", "--token", "ct_" + "x" * 43, "--voice", "@milo", "--text", "Hello.")


def test_nobody_posts_through_someone_elses_personal_voice(cast: Cast) -> None:
    admin = do_create_token(cast.admin, cast.acme, "cli")[1]
    error = refused_with(3, "post", "--token", admin, "--voice", "@milo", "--text", "Hello.")
    assert "Milo Member" in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--voice", "@milo", "--text", "  "), "empty"),
        (("--voice", "@nobody", "--text", "Hi."), "no voice"),
        (("--text", "Hi."), "--voice"),
        (
            ("--voice", "@milo", "--text", "Hi.", "--at", "2030-01-01 10:00", "--tz", "Mars/X"),
            "zone",
        ),
        (("--voice", "@milo", "--text", "Hi.", "--at", "2001-01-01 10:00"), "past"),
        (("--voice", "@milo", "--text", "Hi.", "--at", "next tuesday"), "date and time"),
        (("--voice", "@milo", "--text", "Hi.", "--tz", "Europe/Paris"), "--at"),
        (("--voice", "@milo", "--text", "Hi.", "--image", "/nonexistent.png"), "--alt"),
        (("--voice", "@milo", "--text", "Hi.", "--image", "/nonexistent", "--alt", "x"), "read"),
        (("--voice", "@milo", "--file", "/nonexistent.txt"), "read"),
    ],
)
def test_bad_input_exits_2_and_stores_nothing(
    cast: Cast, secret: str, args: tuple[str, ...], message: str
) -> None:
    assert message in refused_with(2, "post", "--token", secret, *args)


def test_over_long_text_for_bluesky_exits_2(cast: Cast, secret: str) -> None:
    do_connect_personal_voice(cast.member, cast.acme, "bluesky", "milo.bsky.social")
    error = refused_with(
        2, "post", "--token", secret, "--voice", "milo.bsky.social", "--text", "y" * 301
    )
    assert "301 of 300" in error


def test_an_image_without_a_description_exits_2(cast: Cast, secret: str, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    Image.new("RGB", (4, 4)).save(image)
    args = ("--voice", "@milo", "--text", "Hi.", "--image", str(image), "--alt", " ")
    assert "alt text" in refused_with(2, "post", "--token", secret, *args)


# --- the console script ------------------------------------------------------------------------


def test_the_help_lists_the_new_verbs(capsys: pytest.CaptureFixture[str]) -> None:
    cli.print_help()
    lines = capsys.readouterr().out.splitlines()
    for verb in ("post", "token"):
        assert len([line for line in lines if line.split()[:1] == [verb]]) == 1


def test_the_console_script_explains_post() -> None:
    script = Path(sys.executable).with_name("cluetrain")
    result = subprocess.run(
        [str(script), "post", "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--voice" in result.stdout
    assert "CLUETRAIN_TOKEN" in result.stdout
