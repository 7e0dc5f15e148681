"""Checking what people type into a fact, and folding it into searchable words."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.utils.text import slugify

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.search import words
from cluetrain.knowledge.models import MAX_SOURCE, MAX_SOURCES, MAX_STATEMENT, MAX_TOPICS


def fold(text: str) -> str:
    """Lower case without accents: "Café" and "cafe" are the same word to a search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def folded_words(text: str) -> list[str]:
    return words(fold(text))


def search_text(statement: str, topics: list[str], sources: list[str]) -> str:
    """Space-separated folded words with a space at both ends, so `` word `` is a whole word
    and `` wor`` the start of one."""
    found = folded_words(" ".join([statement, *topics, *sources]))
    return f" {' '.join(found)} " if found else ""


def clean_statement(statement: str) -> str:
    # Control characters (but not line breaks) are dropped: they do nothing in a post but hide.
    statement = "".join(
        ch for ch in (statement or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    ).strip()
    if not statement:
        raise ServiceError("Write the statement first.", code="empty")
    if len(statement) > MAX_STATEMENT:
        raise ServiceError(
            f"Keep a fact under {MAX_STATEMENT} characters (this one has {len(statement)}).",
            code="too_long",
        )
    return statement


def clean_sources(sources: Iterable[str] | str) -> list[str]:
    """Web addresses (http or https) or plain citations ("Conditions of Travel, clause 12").

    Anything that looks like an address with another scheme (``javascript:``, ``data:``) is
    refused, so a source can always be shown as a link when it is one.
    """
    if isinstance(sources, str):
        sources = sources.splitlines()
    cleaned: list[str] = []
    for raw in sources:
        source = " ".join((raw or "").split())
        if not source:
            continue
        if len(source) > MAX_SOURCE:
            raise ServiceError(f"Keep each source under {MAX_SOURCE} characters.")
        scheme = source.split(":", 1)[0].casefold() if ":" in source else ""
        if scheme and scheme.isalpha() and " " not in source.split(":", 1)[0]:
            if scheme not in {"http", "https"}:
                raise ServiceError(
                    f"A source is a web address (http or https) or a citation; not {scheme}:.",
                    code="bad_source",
                )
            parts = urlsplit(source)
            if not parts.netloc or " " in source:
                raise ServiceError(f"{source[:80]} is not a web address.", code="bad_source")
        if source not in cleaned:
            cleaned.append(source)
    if len(cleaned) > MAX_SOURCES:
        raise ServiceError(f"Give at most {MAX_SOURCES} sources.")
    return cleaned


def is_link(source: str) -> bool:
    return source.casefold().startswith(("http://", "https://"))


def clean_topics(topics: Iterable[str] | str) -> list[str]:
    if isinstance(topics, str):
        topics = topics.replace(",", "\n").splitlines()
    cleaned: list[str] = []
    for raw in topics:
        slug = slugify(raw or "")[:60]
        if slug and slug not in cleaned:
            cleaned.append(slug)
    if len(cleaned) > MAX_TOPICS:
        raise ServiceError(f"Give a fact at most {MAX_TOPICS} topics.")
    return cleaned
