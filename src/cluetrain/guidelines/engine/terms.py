"""Many terms at once: one Aho-Corasick automaton over folded skeletons (see ``normalize``).

The automaton finds every place where a term's folded skeleton occurs; each candidate is then
checked against the original text, because the skeleton alone forgets too much:

* it must start and end on word boundaries (``Falconry`` does not contain ``Falcon``);
* a gap inside the match that the term does not have is accepted when it is punctuation
  (``Fal-con``, ``F.a.l.c.o.n``) or when it separates single letters (``F a l c o n``), but not
  an ordinary space between longer words (``no va`` is not ``Nova``);
* at most half of its characters may be leetspeak stand-ins (``F4lc0n`` yes, ``0715`` no);
* a hit lying entirely inside a match of one of its rule's exceptions is dropped
  (``Falcon Heavy`` allowed while ``Falcon`` is not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from .normalize import PUNCT_GAP, Skeleton, fold_term, folded, skeleton


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: int
    term: str
    raw: str
    gaps: frozenset[int]
    exception: bool


@dataclass(frozen=True, slots=True)
class TermHit:
    """``term`` of rule number ``rule``, found at ``text[start:end]``."""

    rule: int
    term: str
    start: int
    end: int


class TermMatcher:
    """Terms and exceptions of many rules, compiled once; ``find`` is safe to call from threads."""

    def __init__(self, terms: Iterable[tuple[int, str, bool]]) -> None:
        """``terms``: (rule number, term, is an exception). Terms without a letter or digit are
        ignored (the engine refuses them before they get here)."""
        by_key: dict[str, list[_Entry]] = {}
        for rule, term, exception in terms:
            raw, folded, gaps = fold_term(term)
            if folded:
                by_key.setdefault(folded, []).append(_Entry(rule, term, raw, gaps, exception))
        self._automaton: ahocorasick.Automaton | None = None
        if by_key:
            automaton = ahocorasick.Automaton()
            for key, entries in by_key.items():
                automaton.add_word(key, tuple(entries))
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str) -> list[TermHit]:
        automaton = self._automaton
        if automaton is None:
            return []
        # Most texts contain no term at all: a quick fold tells, before the full skeleton.
        quick = folded(text)
        if not quick or next(automaton.iter(quick), None) is None:
            return []
        sk = skeleton(text)
        hits: dict[int, list[tuple[int, int, str]]] = {}
        allowed: dict[int, list[tuple[int, int]]] = {}
        for last, entries in automaton.iter(sk.folded):
            end = last + 1
            for entry in entries:
                start = end - len(entry.raw)
                if not _acceptable(sk, start, end, entry):
                    continue
                if entry.exception:
                    allowed.setdefault(entry.rule, []).append((start, end))
                else:
                    hits.setdefault(entry.rule, []).append((start, end, entry.term))
        found: list[TermHit] = []
        for rule, spans in hits.items():
            exceptions = allowed.get(rule, ())
            for start, end, term in _outermost(spans):
                if not any(a <= start and end <= b for a, b in exceptions):
                    found.append(TermHit(rule, term, *sk.span(start, end)))
        return found


def _acceptable(sk: Skeleton, start: int, end: int, entry: _Entry) -> bool:
    if not (sk.boundary[start] and sk.boundary[end]):
        return False
    length = end - start
    raw = sk.raw
    disguised = 0
    for k, c in enumerate(entry.raw):
        if raw[start + k] != c:
            disguised += 1
    if disguised * 2 > length:
        return False
    gap = sk.gap
    for p in range(start + 1, end):
        g = gap[p]
        if not g or g == PUNCT_GAP or (p - start) in entry.gaps:
            continue
        # A space the term does not have: only between spelled-out single letters.
        single_left = p - 1 == start or gap[p - 1]
        single_right = p + 1 == end or gap[p + 1]
        if not (single_left and single_right):
            return False
    return True


def _outermost(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The spans not inside another (``Project Falcon`` rather than also its ``Falcon``)."""
    spans = sorted(spans, key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int, str]] = []
    reach = -1
    for start, end, term in spans:
        if end <= reach:
            continue
        kept.append((start, end, term))
        reach = end
    return kept
