"""Fold a text into a matching *skeleton*, keeping the way back to the original offsets.

Terms are matched on skeletons, never on the text itself, so that simple evasions do not get
through (``Pr0ject  F-a-l-c-o-n``, a Cyrillic ``а`` in ``Fаlcon``, a zero-width space inside a
word, fullwidth or accented letters). The rules, applied to each character of the text:

1. NFKC (fullwidth, ligatures, mathematical and circled letters become plain ones), then
   casefold, then NFD with every combining mark dropped (``Zürich`` → ``zurich``).
2. Format characters (Unicode category Cf: zero-width space/joiners, soft hyphen, word joiner,
   BOM, bidi marks) and combining marks vanish without a trace: ``Fal\\u200bcon`` is ``falcon``.
3. Common homoglyphs become the Latin letter they imitate (Cyrillic ``а е о р с у х і ѕ ј``…,
   Greek ``α ο ν ρ τ``…, Armenian ``օ``), and ``l`` and ``i`` fold together (``I``/``l``/``1``
   look alike in many fonts).
4. Letters and digits are kept; every other character is a *gap*: whitespace gaps and
   punctuation gaps (anything else: hyphens, dots, underscores, emoji…) are remembered but do not
   appear in the skeleton, so ``F-a-l-c-o-n`` and ``Project  Falcon`` both run together.
5. Leetspeak: digits map to the letter they imitate (``0→o 1→i 3→e 4→a 5→s 7→t``) and ``@``/``$``
   sitting directly between two letters or digits map to ``a``/``s``. Two skeletons are kept:
   ``raw`` (before this step) and ``folded`` (after); the term matcher accepts a hit only if at
   most half of its characters needed this step, so ``F4lc0n`` matches ``Falcon`` while the
   number ``0715`` does not match a customer called ``Otis``.

Word boundaries are decided on the original text: a match must start and end at a gap, at the
text's ends, or — inside a hashtag or @handle, which joins words without spaces — at a
CamelCase change (``#ProjectFalcon`` contains the words ``Project`` and ``Falcon``). ``Falconry``
therefore does not contain ``Falcon``.

Line endings: whitespace is a gap whatever it is, so ``\\r\\n`` and ``\\n`` fold the same way.
"""

# Look-alike letters are what this module is about: ruff may not flag them.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Gap kinds in ``Skeleton.gap``: what separates a skeleton character from the one before it.
NO_GAP = 0
PUNCT_GAP = 1
SPACE_GAP = 2

HOMOGLYPHS: dict[str, str] = {
    # Cyrillic (lower case: casefold runs first)
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "ӏ": "l", "м": "m", "о": "o", "р": "p", "ԛ": "q", "с": "c", "ѕ": "s", "т": "t",
    "у": "y", "ү": "y", "х": "x", "ԁ": "d", "ԝ": "w", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Armenian and Latin look-alikes
    "օ": "o", "ս": "u", "հ": "h", "ı": "i", "ℓ": "l",
    # I and l look the same in many fonts: fold them together.
    "l": "i",
}  # fmt: skip

LEET_DIGITS: dict[str, str] = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
LEET_SYMBOLS: dict[str, str] = {"@": "a", "$": "s"}

# Per original character: the folded characters it yields, each with its class
# ("a" alphanumeric, "s" whitespace gap, "p" punctuation gap); empty when it vanishes.
_Folded = tuple[tuple[str, str], ...]
_cache: dict[str, _Folded] = {}


def _fold_char(ch: str) -> _Folded:
    if unicodedata.category(ch) in ("Cf", "Mn", "Me"):
        return ()
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", ch).casefold())
    out: list[tuple[str, str]] = []
    for c in folded:
        cat = unicodedata.category(c)
        if cat in ("Cf", "Mn", "Me"):
            continue
        c = HOMOGLYPHS.get(c, c)
        if c.isalnum():
            out.append((c, "a"))
        elif c.isspace():
            out.append((c, "s"))
        else:
            out.append((c, "p"))
    return tuple(out)


def fold_char(ch: str) -> _Folded:
    found = _cache.get(ch)
    if found is None:
        found = _fold_char(ch)
        if len(_cache) < 100_000:  # arbitrary text must not grow the cache without end
            _cache[ch] = found
    return found


@dataclass(frozen=True, slots=True)
class Skeleton:
    """A folded text: ``folded[k]`` came from ``text[origin[k]]``.

    ``gap[k]`` says what stood between skeleton characters ``k-1`` and ``k`` (``NO_GAP``,
    ``PUNCT_GAP``, ``SPACE_GAP``; ``gap[0]`` is a space gap), and ``boundary[k]`` whether a word
    may start before character ``k`` (and end after ``k-1``); it has one more entry than the
    skeleton, for the end.
    """

    text: str
    raw: str
    folded: str
    origin: tuple[int, ...]
    gap: bytes
    boundary: bytes

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text span of skeleton characters ``start..end-1``, with any trailing
        combining marks of the last character."""
        o_start = self.origin[start]
        o_end = self.origin[end - 1] + 1
        text = self.text
        while o_end < len(text) and unicodedata.combining(text[o_end]):
            o_end += 1
        return o_start, o_end


_TAG = re.compile(r"(?<![^\W_])[#@][^\W_]{2,}")
_FLANKED_SYMBOL = re.compile(r"(?<=[^\W_])[@$](?=[^\W_])")


def _tag_breaks(text: str) -> set[int]:
    """Where a CamelCase word change falls inside a hashtag or @handle (original offsets)."""
    breaks: set[int] = set()
    for m in _TAG.finditer(text):
        for i in range(m.start() + 2, m.end()):
            if _camel_break(text, i):
                breaks.add(i)
    return breaks


def _camel_break(text: str, i: int) -> bool:
    """A CamelCase word change just before ``text[i]`` (``tF`` in ``ProjectFalcon``,
    ``AF`` followed by lower case in ``NASAFalcon``), or between letters and digits."""
    prev, cur = text[i - 1], text[i]
    if prev.islower() and cur.isupper():
        return True
    if prev.isupper() and cur.isupper():
        return i + 1 < len(text) and text[i + 1].islower()
    return prev.isalpha() != cur.isalpha() and prev.isalnum() and cur.isalnum()


def skeleton(text: str) -> Skeleton:
    """Fold ``text`` as the module docstring describes."""
    raw: list[str] = []
    origin: list[int] = []
    gap = bytearray()
    boundary = bytearray()
    pending = SPACE_GAP  # the start of the text counts as a space
    leet_symbols: list[int] = []  # skeleton positions of @/$ candidates
    n = len(text)
    for i, ch in enumerate(text):
        for c, cls in fold_char(ch):
            if cls == "a":
                raw.append(c)
                origin.append(i)
                gap.append(pending)
                boundary.append(1 if pending else 0)
                pending = NO_GAP
            elif (
                c in LEET_SYMBOLS
                and 0 < i < n - 1
                and text[i - 1].isalnum()
                and text[i + 1].isalnum()
            ):
                # "F@lcon": a letter in disguise. It may also be the at-sign of an address
                # ("press@falcon.com"), so a word may start on either side of it.
                leet_symbols.append(len(raw))
                raw.append(c)
                origin.append(i)
                gap.append(NO_GAP)
                boundary.append(1)
                pending = NO_GAP
            elif cls == "s":
                pending = SPACE_GAP
            elif pending != SPACE_GAP:
                pending = PUNCT_GAP
    boundary.append(1)
    for k in leet_symbols:
        boundary[k + 1] = 1
    if "#" in text or "@" in text:
        breaks = _tag_breaks(text)
        if breaks:
            for k in range(1, len(raw)):
                if not boundary[k] and origin[k] in breaks and origin[k - 1] == origin[k] - 1:
                    boundary[k] = 1
    raw_s = "".join(raw)
    folded = _leet(raw_s)
    return Skeleton(text, raw_s, folded, tuple(origin), bytes(gap), bytes(boundary))


_LEET_TABLE = str.maketrans({**LEET_DIGITS, **LEET_SYMBOLS})


def _leet(raw: str) -> str:
    return raw.translate(_LEET_TABLE)


def fold_term(term: str) -> tuple[str, str, frozenset[int]]:
    """A term's raw and folded skeleton and where its own word gaps fall (skeleton offsets)."""
    sk = skeleton(term)
    gaps = frozenset(k for k in range(1, len(sk.raw)) if sk.gap[k])
    return sk.raw, sk.folded, gaps


class _FoldTable(dict[int, str]):
    """``str.translate`` table folding any character as ``skeleton`` does (gaps vanish)."""

    def __missing__(self, code: int) -> str:
        out = "".join(c for c, cls in fold_char(chr(code)) if cls == "a").translate(_LEET_TABLE)
        if len(self) < 100_000:
            self[code] = out
        return out


_FOLD_TABLE = _FoldTable()
_ASCII_TABLE = bytes(ord(_FOLD_TABLE[b] or " ") for b in range(128)) + bytes(range(128, 256))
_ASCII_DELETE = bytes(b for b in range(128) if not _FOLD_TABLE[b])


def folded(text: str) -> str:
    """Exactly ``skeleton(text).folded``, an order of magnitude faster: enough to tell whether
    any term can be in the text at all before building the full skeleton."""
    if "@" in text or "$" in text:
        text = _FLANKED_SYMBOL.sub(lambda m: LEET_SYMBOLS[m.group()], text)
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE).decode("ascii")
    return text.translate(_FOLD_TABLE)
