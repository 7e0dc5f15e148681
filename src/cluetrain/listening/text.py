"""Turning untrusted text from the networks into plain, bounded Unicode.

Nothing here escapes for HTML: messages are stored as plain text and the templates escape
them when they are shown. What is removed is what no reader needs and some attackers use:
markup (a status's HTML becomes its words), control and format characters that reorder or hide
text, and lone surrogates that some databases refuse.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

# Elements whose content is never text a person reads.
_HIDDEN = frozenset(
    {"script", "style", "template", "head", "title", "noscript", "iframe", "object"}
)
# Elements that end a line or a paragraph when a browser shows them.
_BREAKS = frozenset({"br", "hr"})
_BLOCKS = frozenset(
    {
        "p", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
        "tr", "table", "section", "article", "header", "footer", "dd", "dt", "figure",
    }
)  # fmt: skip

# C0 and C1 controls except tab and newline; bidi overrides and isolates (text that reads
# differently from how it is stored); BOM, and the lone surrogates a broken decoder leaves.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t\u00a0]+")


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The words of an HTML fragment as a reader sees them: paragraphs kept, markup gone.

    A real parser (not a regular expression), so ``<scr<script>ipt>`` and unclosed tags end
    up as text or nothing, never as markup.
    """
    if "<" not in markup and "&" not in markup:
        return markup
    parser = _TextOf()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient, but a source must never crash intake
        return re.sub(r"<[^>]*>?", " ", markup)
    return "".join(parser.parts)


def clean_text(text: str, limit: int) -> tuple[str, bool]:
    """``text`` as NFC plain text without control characters, at most ``limit`` characters.

    Returns the text and whether it was cut.
    """
    if not text:
        return "", False
    cut = len(text) > limit * 4
    if cut:
        # A giant message is cut before the work below, which is linear in its length.
        text = text[: limit * 4]
    text = unicodedata.normalize("NFC", _UNWANTED.sub("", text.replace("\r\n", "\n")))
    text = _SPACES.sub(" ", text) if "  " in text or "\t" in text or "\u00a0" in text else text
    if "\n" in text:
        text = _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n")))
    text = text.strip()
    if len(text) > limit:
        return text[: limit - 1].rstrip() + "…", True
    return text, cut


def clean_line(text: str, limit: int) -> str:
    """A one-line field (a name, a handle, an id): controls and line breaks gone, bounded."""
    if not text:
        return ""
    if not text.isprintable() or len(text) > limit:
        text = _UNWANTED.sub("", text[: limit * 2]).replace("\n", " ").replace("\t", " ")
        text = text.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text[:limit]
