"""Cleaning and tokenising a message once, for every part of the triage that reads it.

A message arrives as whatever a network or a person sent: HTML from a feed, odd Unicode
(zero-width joiners, full-width letters, curly quotes), or a novel pasted into a reply box.
``prepare`` bounds it, cleans it and cuts it into tokens with one regular expression; the
sentiment scorer, the language guess, the topic keywords and the classifiers' features all
read the same tokens, so none of them tokenises again.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# Only the head of a long text is classified: a post's meaning is in its first lines, and the
# cost per message must stay bounded whatever is pasted.
MAX_CHARS = 1000

_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)\s*>|<[^>]{0,500}>", re.I | re.S)
# Zero-width and bidirectional controls hide words from keyword matching ("fr\u200bee").
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\x00-\x08\x0b-\x1f\x7f]")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

# One pass: links, mentions, hashtags, words (with inner apostrophes and hyphens), numbers,
# runs of ! or ?, a few emoticons, and single emoji/pictographs.
_TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)\S+)"
    r"|(?P<user>@\w+)"
    r"|(?P<tag>#\w+)"
    r"|(?P<word>[^\W\d_]+(?:['-][^\W\d_]+)*)"
    r"|(?P<num>\d+(?:[.,:]\d+)*(?:st|nd|rd|th|h|hrs?|mins?|am|pm)?)"
    r"|(?P<punct>[!?]+)"
    r"|(?P<emo>[:;=8][-']?[()\[\]dDpP/\\|*3]|<3|[\U0001F300-\U0001FAFF\u2600-\u27BF])",
)

URL, USER, NUM = "__url__", "__user__", "__num__"


@dataclass(slots=True)
class Prepared:
    """One message made ready: the cleaned text, its tokens as written and lowercased."""

    text: str
    tokens: list[str]  # as written (case kept: VADER's capitals rule reads it)
    lower: list[str]  # lowercased, links/mentions/numbers replaced by placeholders
    words: int  # how many alphabetic words
    truncated: bool


def clean(text: object) -> tuple[str, bool]:
    """The text to classify: a string, at most ``MAX_CHARS`` long, without markup or
    invisible characters. Anything that is not a string becomes the empty text."""
    if not isinstance(text, str):
        return "", False
    truncated = len(text) > MAX_CHARS
    if truncated:
        text = text[:MAX_CHARS]
    if "<" in text or "&" in text:
        text = html.unescape(_TAG.sub(" ", text))
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_QUOTES)
        # NFKC can never lengthen beyond a small factor, but be exact about the bound.
        text = text[:MAX_CHARS]
    elif not text.isprintable():
        text = _INVISIBLE.sub("", text)
    return text, truncated


def prepare(raw: object) -> Prepared:
    text, truncated = clean(raw)
    tokens: list[str] = []
    lower: list[str] = []
    words = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        tok = m.group()
        tokens.append(tok)
        if kind == "word":
            words += 1
            lower.append(tok.lower())
        elif kind == "url":
            lower.append(URL)
        elif kind == "user":
            lower.append(USER)
        elif kind == "num":
            lower.append(NUM)
        elif kind == "tag":
            lower.append(tok[1:].lower())
        elif kind == "punct":
            lower.append(tok[0])
        else:
            lower.append(tok)
    return Prepared(text, tokens, lower, words, truncated)
