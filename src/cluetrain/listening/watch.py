"""What a source is told to look for: keywords, hashtags and web domains (one a line)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Source

# A hashtag as people write it: letters, digits, marks and underscores after "#".
_HASHTAG = re.compile(r"(?<![\w#])#([^\W_][\w]*)", re.UNICODE)
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})(?:/|\b)", re.IGNORECASE)


def lines(text: str) -> list[str]:
    """The non-empty lines (or comma-separated items) of a settings field."""
    items = (item.strip() for line in text.splitlines() for item in line.split(","))
    return [item for item in items if item]


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


@dataclass(frozen=True)
class Watch:
    keywords: tuple[str, ...] = ()
    hashtags: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()

    @classmethod
    def of_source(cls, source: Source) -> Watch:
        return cls.of(source.keywords, source.hashtags, source.domains)

    @classmethod
    def of(cls, keywords: str = "", hashtags: str = "", domains: str = "") -> Watch:
        return cls(
            keywords=tuple(fold(k) for k in lines(keywords)),
            hashtags=frozenset(fold(h.lstrip("#")) for h in lines(hashtags) if h.lstrip("#")),
            domains=tuple(
                d
                for d in (host_of(x if "://" in x else f"https://{x}") for x in lines(domains))
                if d
            ),
        )

    @property
    def empty(self) -> bool:
        return not (self.keywords or self.hashtags or self.domains)

    @property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self.keywords:
            return None
        cached = _patterns.get(self.keywords)
        if cached is None:
            words = sorted(self.keywords, key=len, reverse=True)
            cached = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
            _patterns[self.keywords] = cached
        return cached

    def matches_tags(self, tags: Iterable[str]) -> bool:
        return bool(self.hashtags) and any(fold(tag.lstrip("#")) in self.hashtags for tag in tags)

    def matches_domain(self, url: str) -> bool:
        host = host_of(url if "://" in url else f"https://{url}")
        return bool(host) and any(host == d or host.endswith("." + d) for d in self.domains)

    def matches_text(self, text: str) -> bool:
        if not text:
            return False
        folded = fold(text)
        pattern = self._pattern
        if pattern is not None and pattern.search(folded):
            return True
        if self.hashtags and self.matches_tags(_HASHTAG.findall(folded)):
            return True
        if self.domains:
            found = [*_URL.findall(text), *_BARE_DOMAIN.findall(text)]
            return any(self.matches_domain(url) for url in found)
        return False

    def keeps_text(self, heard: Heard) -> bool:
        """Whether a source with this watch keeps ``heard`` (a watch with nothing keeps all)."""
        return (
            self.empty
            or self.matches_text(heard.text)
            or (bool(heard.url) and bool(self.domains) and self.matches_domain(heard.url))
        )


_patterns: dict[tuple[str, ...], re.Pattern[str]] = {}
