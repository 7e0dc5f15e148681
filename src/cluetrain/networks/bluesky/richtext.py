"""Bluesky rich text: post length rules and facets (links, mentions, hashtags).

A facet marks a range of the post's text by UTF-8 byte offsets, not by characters, so that
every client, in every language, agrees on where a link starts. Detection follows the
reference TypeScript client through the SDK's port of it; this module turns what it finds
into the lexicon's JSON shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import regex
from atproto import client_utils, models

MAX_GRAPHEMES = 300
# The lexicon's maxLength for a post's text, counted in UTF-8 bytes.
MAX_BYTES = 3000

FACET = "app.bsky.richtext.facet"
LINK = f"{FACET}#link"
MENTION = f"{FACET}#mention"
TAG = f"{FACET}#tag"

_GRAPHEME = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """Number of user-perceived characters (extended grapheme clusters, Unicode UAX #29)."""
    return len(_GRAPHEME.findall(text))


def length_problem(text: str) -> str | None:
    """Why Bluesky would refuse ``text`` as a post's text, or None when it fits."""
    if not text.strip():
        return "A post needs some text."
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return "The text contains characters that cannot be encoded (lone surrogates)."
    count = grapheme_count(text)
    if count > MAX_GRAPHEMES:
        return f"Bluesky posts hold at most {MAX_GRAPHEMES} characters; this one has {count}."
    if size > MAX_BYTES:
        return f"Bluesky posts hold at most {MAX_BYTES} bytes of text; this one has {size}."
    return None


def mentioned_handles(text: str) -> list[str]:
    """The handles mentioned as ``@handle`` in ``text``, in order, each once."""
    return list(dict.fromkeys(m.handle for m in client_utils.detect_mentions(text)))


def _facet(start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "$type": FACET,
        "index": {"byteStart": start, "byteEnd": end},
        "features": [feature],
    }


def _feature(feature: Any) -> dict[str, Any]:
    if isinstance(feature, models.AppBskyRichtextFacet.Link):
        return {"$type": LINK, "uri": feature.uri}
    if isinstance(feature, models.AppBskyRichtextFacet.Tag):
        return {"$type": TAG, "tag": feature.tag}
    raise TypeError(f"unexpected facet feature {feature!r}")


def facets(text: str, dids: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The facets of ``text`` as lexicon JSON, sorted by where they start.

    Links and hashtags are found in the text alone. A mention becomes a facet only when
    ``dids`` maps its handle (without ``@``) to the account's DID: a handle that does not
    resolve stays plain text, as in Bluesky's own app. Nothing here touches the network.
    """
    found: list[dict[str, Any]] = []
    for facet in client_utils.detect_facets(text):
        feature = _feature(facet.features[0])
        found.append(_facet(facet.index.byte_start, facet.index.byte_end, feature))
    for mention in client_utils.detect_mentions(text):
        did = (dids or {}).get(mention.handle)
        if did:
            feature = {"$type": MENTION, "did": did}
            found.append(_facet(mention.byte_start, mention.byte_end, feature))
    found.sort(key=lambda f: f["index"]["byteStart"])
    return found
