"""Bad input on the way out: empty, oversized, odd Unicode, control characters."""

from __future__ import annotations

import pytest

from cluetrain.core.errors import ServiceError
from cluetrain.publishing.models import Post
from cluetrain.publishing.services import PRACTICE_LIMIT, do_publish
from tests.conftest import Cast


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_an_empty_post_is_refused(cast: Cast, text: str) -> None:
    with pytest.raises(ServiceError, match="empty"):
        do_publish(cast.member, cast.member_voice, text)
    assert not Post.objects.exists()


def test_an_oversized_post_is_refused_with_its_length(cast: Cast) -> None:
    with pytest.raises(ServiceError, match=f"{PRACTICE_LIMIT + 1} characters"):
        do_publish(cast.member, cast.member_voice, "a" * (PRACTICE_LIMIT + 1))
    assert not Post.objects.exists()


def test_control_characters_are_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="control characters"):
        do_publish(cast.member, cast.member_voice, "bell\x07 and null\x00")


@pytest.mark.parametrize(
    "text",
    [
        "Family trip 👨‍👩‍👧‍👦 on the coast line",
        "مرحبا بكم في القطار",
        "Zero\u200bwidth and e\u0301 combining",
        "日本語のテキスト",
    ],
)
def test_odd_unicode_is_kept_normalised(cast: Cast, text: str) -> None:
    import unicodedata

    post = do_publish(cast.member, cast.member_voice, text)
    assert Post.objects.get(pk=post.pk).text == unicodedata.normalize("NFC", text)


def test_the_publish_page_shows_a_refusal_without_storing(cast: Cast) -> None:
    response = cast.client(cast.member).post(
        "/publish/", {"voice": cast.member_voice.pk, "text": "Acme rocks"}
    )
    assert response.status_code == 200
    assert "#iworkatacme" in response.content.decode()
    assert not Post.objects.exists()


def test_the_publish_page_publishes(cast: Cast) -> None:
    response = cast.client(cast.member).post(
        "/publish/", {"voice": cast.member_voice.pk, "text": "Acme rocks #iworkatacme"}
    )
    assert response.status_code == 302
    assert Post.objects.get().text == "Acme rocks #iworkatacme"
