"""Plain text made fit for a feed: XML-safe characters, safe HTML and a derived title."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import regex

# What XML 1.0 allows (https://www.w3.org/TR/xml/#charsets), lxml refusing anything else,
# less DEL and the C1 controls it discourages: feed readers take those for Windows-1252.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A link runs to the next space, quote or angle bracket; invisible direction marks and joiners
# end it too, so that a URL beside right-to-left text does not swallow the mark.
_URL = re.compile(
    r"https?://[^\s<>\"'\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+", re.IGNORECASE
)
_TRAILING = ".,;:!?…"
_OPENERS = {")": "(", "]": "[", "}": "{"}
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
TITLE_LENGTH = 80


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids or discourages (controls, U+FFFE...)."""
    return _NOT_XML.sub("", text)


def _trim(url: str) -> str:
    """The URL without the sentence punctuation or unmatched bracket that follows it."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _OPENERS and url.count(last) > url.count(_OPENERS[last])):
            url = url[:-1]
        else:
            break
    return url


def _linked(line: str) -> str:
    """One line escaped, with every http(s) URL turned into a link."""
    out, position = [], 0
    for match in _URL.finditer(line):
        url = _trim(match.group())
        if len(url) <= len("https://"):
            continue
        out.append(html.escape(line[position : match.start()]))
        href = html.escape(url, quote=True)
        out.append(f'<a href="{href}" rel="nofollow noopener">{href}</a>')
        position = match.start() + len(url)
    out.append(html.escape(line[position:]))
    return "".join(out)


def to_html(text: str, images: Sequence[tuple[str, str]] = ()) -> str:
    """Plain ``text`` as HTML: everything escaped, links made, paragraphs and line breaks kept.

    ``images`` are (URL, alt text) pairs, shown after the text.
    """
    text = xml_safe(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in _PARAGRAPH.split(text) if p.strip()]
    parts = [
        "<p>" + "<br>\n".join(_linked(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    ]
    for url, alt in images:
        src, alt = html.escape(xml_safe(url), quote=True), html.escape(xml_safe(alt), quote=True)
        parts.append(f'<p><img src="{src}" alt="{alt}"></p>')
    return "\n".join(parts)


def derive_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """The first non-blank line, shortened to ``limit`` characters at a word boundary."""
    line = next((" ".join(ln.split()) for ln in xml_safe(text).splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    # Cut between grapheme clusters so that no emoji or accented letter is split in two.
    cut = ""
    for cluster in regex.findall(r"\X", line):
        if len(cut) + len(cluster) > limit - 1:
            break
        cut += cluster
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary near the end; else one long word is cut
        cut = cut[:space]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "…"
