"""How long a status is, counted the way a Mastodon server counts it against its limit.

The server (``StatusLengthValidator``) counts grapheme clusters, after replacing every link
with a 23-character placeholder and every remote mention ``@user@domain`` with ``@user``, and
adds the content warning to the count. It counts grapheme clusters, not code points, so a
family emoji is one character, exactly as a person sees it.
"""

from __future__ import annotations

import re

import regex

# The link pattern of Mastodon's own web composer, as ported by Mastodon.py: the same rule
# the composer's counter uses, so Cluetrain and Mastodon's UI agree on what is a link.
from mastodon._url_regex import url_regex

# Every link counts as this many characters, however long it is (the instance reports it as
# configuration.statuses.characters_reserved_per_url; it has always been 23).
URL_LENGTH = 23

_REMOTE_MENTION = re.compile(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9.\-]+[a-z0-9]+)", re.IGNORECASE)
_GRAPHEME = regex.compile(r"\X")


def _graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def countable_text(text: str) -> str:
    """``text`` with links and remote mentions shortened to what the server counts."""
    # Group 2 of the link pattern is the character before the link, kept as it was.
    text = url_regex.sub(lambda match: match.group(2) + "x" * URL_LENGTH, text)
    return _REMOTE_MENTION.sub(r"\1@\3", text)


def count_length(text: str, content_warning: str = "") -> int:
    """The length Mastodon checks against ``max_characters`` for this text and warning."""
    return _graphemes(countable_text(text)) + _graphemes(content_warning)
