"""Cleaning and tokenising a message once, for every part of the triage that reads it.

A message arrives as whatever a network or a person sent: HTML from a feed, odd Unicode
(zero-width characters, full-width letters, curly quotes), or a novel pasted into a reply
box. ``prepare`` bounds it, cleans it and cuts it into lowercase tokens with one regular
expression; the sentiment scorer, the language guess, the topic keywords and the
classifiers' features all read the same tokens, so none of them tokenises again.

Speed matters more than linguistic finesse here (the whole triage has about 25 µs a message):
tokens are the text's white-space separated chunks stripped of punctuation, ``!`` and ``?`` are
counted rather than tokenised, and emoji and emoticons are only looked for when the text can
hold them.
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
_INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\x00-\x08\x0b-\x1f\x7f]"
)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

# Splitting on white space and stripping punctuation is about twice as fast as any token
# regular expression here; "@name" and links stay whole (features and language skip them).
_STRIP = ".,;:!?\"'()[]{}*~`<>|/\\-_=+&%$^#\u2026"
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_EMOTICON = re.compile(r"(?<!\w)(?:[:;=8][-']?[()\[\]dp/\\|*3]|<3)")
_CAPS = re.compile(r"\b[A-Z][A-Z']+\b")


@dataclass(slots=True)
class Prepared:
    """One message made ready for triage."""

    text: str  # cleaned and bounded
    tokens: list[str]  # lowercase words, numbers, hashtags without '#', @names, links, emoji
    questions: int  # how many '?'
    bangs: int  # how many '!'
    links: bool
    mentions: bool
    truncated: bool

    def shouted(self) -> frozenset[str]:
        """Lowercased words written in capitals, when the text is not all capitals
        (VADER's emphasis rule: capitals stand out only against lowercase)."""
        if self.text.isupper():
            return frozenset()
        return frozenset(w.lower() for w in _CAPS.findall(self.text))


def words(text: str) -> frozenset[str]:
    """A set of words written as one string (word lists read better that way)."""
    return frozenset(text.split())


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
        # Lone surrogates (from broken JSON escapes) cannot be encoded anywhere: drop them.
        text = text.encode("utf-8", "ignore").decode("utf-8")
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text)).translate(_QUOTES)
        text = text[:MAX_CHARS]  # NFKC may lengthen a text a little
    elif not text.isprintable():
        text = _INVISIBLE.sub("", text)
    return text, truncated


def prepare(raw: object) -> Prepared:
    text, truncated = clean(raw)
    low = text.lower()
    if not low.isascii():
        low = _EMOJI.sub(r" \g<0> ", low)  # an emoji is a token even when glued to a word
    tokens = [w.strip(_STRIP) for w in low.split()]  # "" for a lone mark: harmless
    if ":" in low or ";" in low or "<3" in low:
        tokens += _EMOTICON.findall(low)
    return Prepared(
        text=text,
        tokens=tokens,
        questions=low.count("?"),
        bangs=low.count("!"),
        links="http" in low or "www." in low,
        mentions="@" in low,
        truncated=truncated,
    )
