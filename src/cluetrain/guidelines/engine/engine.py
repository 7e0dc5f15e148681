"""The guideline engine: an organisation's rules compiled once, then checked against any text.

``Engine.compile`` does all the slow work (one Aho-Corasick automaton for every term and embargo
rule, each pattern compiled and vetted once, detectors looked up), so ``check`` only folds the
text once, walks the automaton once, runs each pattern and each detector once, and merges.

Line endings: ``check`` reads ``\\r\\n`` as ``\\n`` (patterns and detectors see the text with
``\\n`` only), and reports spans in the caller's own text, so a post gets the same findings
whichever line endings its browser sent.
"""

from __future__ import annotations

import functools
import logging
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ahocorasick

from .normalize import fold_term
from .patterns import (
    DEFAULT_TIMEOUT,
    CompiledPattern,
    compile_pattern,
    prefold,
    required_literals,
)
from .terms import TermMatcher
from .types import Finding, Hit, Kind, Result, RuleError, RuleSpec, Severity, Verdict

logger = logging.getLogger(__name__)

SEVERITY_RANK: dict[Severity, int] = {Severity.WARN: 1, Severity.REVIEW: 2, Severity.BLOCK: 3}
_VERDICT: dict[Severity, Verdict] = {
    Severity.WARN: Verdict.WARN,
    Severity.REVIEW: Verdict.REVIEW,
    Severity.BLOCK: Verdict.BLOCK,
}
# All patterns of one check together get at most this long, whatever their own timeouts.
CHECK_PATTERN_BUDGET = 0.25

Detector = Callable[[str, Mapping[str, Any]], Iterable[Hit]]


def _detectors() -> Mapping[str, Detector]:
    # Imported here so the rest of the engine loads even while detectors are being reworked.
    from .detectors import DETECTORS

    return DETECTORS


def validate_rule(rule: RuleSpec) -> None:
    """Refuse a rule that cannot work, before anything is compiled (RuleError says why)."""
    name = rule.name
    if not name or not name.strip():
        raise RuleError("", "every rule needs a name.")
    if not isinstance(rule.kind, Kind):
        raise RuleError(name, f"unknown kind {rule.kind!r}.")
    if not isinstance(rule.severity, Severity):
        raise RuleError(name, f"unknown severity {rule.severity!r}.")
    if rule.kind in (Kind.TERM, Kind.EMBARGO):
        if not rule.terms:
            raise RuleError(name, "a term rule needs at least one term.")
        for term in (*rule.terms, *rule.exceptions):
            if not fold_term(term)[1]:
                raise RuleError(name, f"the term {term!r} has no letter or digit to look for.")
    if rule.kind == Kind.EMBARGO:
        if rule.until is None:
            raise RuleError(name, "an embargo needs `until`, the moment it ends.")
        if rule.until.utcoffset() is None:
            raise RuleError(
                name, "the embargo's `until` needs a time zone offset, e.g. 2025-10-01T09:00+02:00."
            )
    if rule.kind == Kind.DETECTOR:
        detectors = _detectors()
        if rule.detector not in detectors:
            known = ", ".join(sorted(detectors))
            raise RuleError(name, f"unknown detector {rule.detector!r}; choose one of {known}.")
        if not isinstance(rule.options, Mapping):
            raise RuleError(name, "the detector's options must be a mapping.")


@dataclass(frozen=True, slots=True)
class _Candidate:
    rule: int
    start: int  # offsets in the text the rules ran on (line endings normalised)
    end: int
    explanation: str
    suggestion: str


class Engine:
    """Compiled rules. Build with ``Engine.compile``; ``check`` is safe to call from threads."""

    def __init__(
        self,
        rules: tuple[RuleSpec, ...],
        version: str,
        terms: TermMatcher,
        patterns: tuple[tuple[int, CompiledPattern], ...],
        detectors: tuple[tuple[int, Detector], ...],
        pattern_timeout: float,
    ) -> None:
        self.rules = rules
        self.version = version
        self._terms = terms
        self._patterns = patterns
        self._detectors = detectors
        self._pattern_timeout = pattern_timeout
        self._always, self._literals = _pattern_prefilter(patterns)

    @classmethod
    def compile(
        cls,
        rules: Sequence[RuleSpec],
        *,
        version: str = "",
        with_defaults: bool = False,
        pattern_timeout: float = DEFAULT_TIMEOUT,
    ) -> Engine:
        """Compile ``rules`` (plus the default detector rules when ``with_defaults``; an
        organisation rule with a default rule's name replaces it). Raises RuleError for the
        first unusable rule."""
        rules = list(rules)
        names = [r.name for r in rules]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise RuleError(name, "two rules have this name; names must be unique.")
            seen.add(name)
        if with_defaults:
            from .detectors import DEFAULT_RULES

            rules = [r for r in DEFAULT_RULES if r.name not in seen] + rules
        term_entries: list[tuple[int, str, bool]] = []
        patterns: list[tuple[int, CompiledPattern]] = []
        detectors: list[tuple[int, Detector]] = []
        for index, rule in enumerate(rules):
            validate_rule(rule)
            if rule.kind in (Kind.TERM, Kind.EMBARGO):
                term_entries.extend((index, term, False) for term in rule.terms)
                term_entries.extend((index, term, True) for term in rule.exceptions)
            elif rule.kind == Kind.PATTERN:
                compiled = compile_pattern(rule.name, rule.pattern, ignore_case=rule.ignore_case)
                patterns.append((index, compiled))
            else:
                detectors.append((index, _detectors()[rule.detector]))
        return cls(
            tuple(rules),
            version,
            TermMatcher(term_entries),
            tuple(patterns),
            tuple(detectors),
            pattern_timeout,
        )

    def check(self, text: str, *, now: datetime | None = None) -> Result:
        """The findings in ``text`` and the verdict they lead to. Never raises for a str."""
        if now is None:
            now = datetime.now(UTC)
        elif now.utcoffset() is None:
            now = now.replace(tzinfo=UTC)
        crlf: list[int] = []
        work = text
        if "\r\n" in text:
            work = text.replace("\r\n", "\n")
            crlf = _crlf_positions(text)
        candidates = [
            *self._term_candidates(work, now),
            *self._pattern_candidates(work),
            *self._detector_candidates(work),
        ]
        findings = self._findings(text, candidates, crlf)
        if not findings:
            return Result(Verdict.OK, (), self.version)
        worst = max(SEVERITY_RANK[f.severity] for f in findings)
        verdict = next(v for s, v in _VERDICT.items() if SEVERITY_RANK[s] == worst)
        return Result(verdict, findings, self.version)

    def _term_candidates(self, text: str, now: datetime) -> Iterable[_Candidate]:
        for hit in self._terms.find(text):
            rule = self.rules[hit.rule]
            if rule.kind == Kind.EMBARGO and rule.until is not None and now >= rule.until:
                continue
            explanation = _term_explanation(rule, hit.term)
            yield _Candidate(hit.rule, hit.start, hit.end, explanation, rule.suggestion)

    def _patterns_to_run(self, text: str) -> list[int]:
        """The patterns (positions in ``_patterns``) that can match ``text`` at all."""
        if self._literals is None:
            return self._always
        chosen = set(self._always)
        for _, positions in self._literals.iter(prefold(text)):
            chosen.update(positions)
        return sorted(chosen)

    def _pattern_candidates(self, text: str) -> Iterable[_Candidate]:
        if not self._patterns:
            return
        deadline = time.monotonic() + CHECK_PATTERN_BUDGET
        for position in self._patterns_to_run(text):
            index, pattern = self._patterns[position]
            left = deadline - time.monotonic()
            if left <= 0:
                logger.warning(
                    "Guideline patterns used up their time on one text; %r was not run.",
                    pattern.rule,
                )
                continue
            rule = self.rules[index]
            explanation = rule.explanation or (
                f"Matches the organisation's rule {rule.name!r} about what not to say in public."
            )
            for start, end in pattern.find(text, min(self._pattern_timeout, left)):
                yield _Candidate(index, start, end, explanation, rule.suggestion)

    def _detector_candidates(self, text: str) -> Iterable[_Candidate]:
        for index, detector in self._detectors:
            rule = self.rules[index]
            try:
                hits = list(detector(text, rule.options))
            except Exception:
                # A detector's bug must not stop people from writing; the rest still runs.
                logger.exception("Guideline detector %r failed on a text.", rule.detector)
                continue
            for hit in hits:
                if not 0 <= hit.start < hit.end <= len(text):
                    continue
                explanation = (
                    rule.explanation
                    or hit.explanation
                    or f"This looks like {hit.label}, which should not be published."
                )
                yield _Candidate(
                    index, hit.start, hit.end, explanation, rule.suggestion or hit.suggestion
                )

    def _findings(
        self, text: str, candidates: list[_Candidate], crlf: list[int]
    ) -> tuple[Finding, ...]:
        # Same span reported by several rules: keep the most severe (the first rule on a tie).
        best: dict[tuple[int, int], _Candidate] = {}
        for c in candidates:
            key = (c.start, c.end)
            kept = best.get(key)
            if kept is None or (
                SEVERITY_RANK[self.rules[c.rule].severity]
                > SEVERITY_RANK[self.rules[kept.rule].severity]
            ):
                best[key] = c
        findings: list[Finding] = []
        for c in best.values():
            start, end = c.start, c.end
            if crlf:
                start += bisect_left(crlf, start)
                end += bisect_left(crlf, end)
            rule = self.rules[c.rule]
            findings.append(
                Finding(
                    rule=rule.name,
                    kind=rule.kind,
                    severity=rule.severity,
                    start=start,
                    end=end,
                    match=text[start:end],
                    explanation=c.explanation,
                    suggestion=c.suggestion,
                )
            )
        findings.sort(key=lambda f: (f.start, f.end, -SEVERITY_RANK[f.severity], f.rule))
        return tuple(findings)


def _pattern_prefilter(
    patterns: tuple[tuple[int, CompiledPattern], ...],
) -> tuple[list[int], Any]:
    """Patterns to run on every text, and an automaton of the literals the others need (each
    literal gives the positions of the patterns needing it); None when there is none."""
    always: list[int] = []
    needs: dict[str, set[int]] = {}
    for position, (_, pattern) in enumerate(patterns):
        literals = required_literals(pattern.compiled.pattern)
        if literals is None:
            always.append(position)
        else:
            for literal in literals:
                needs.setdefault(literal, set()).add(position)
    if not needs:
        return always, None
    automaton = ahocorasick.Automaton()
    for literal, positions in needs.items():
        automaton.add_word(literal, tuple(positions))
    automaton.make_automaton()
    return always, automaton


def _crlf_positions(text: str) -> list[int]:
    """Where each ``\\n`` of a ``\\r\\n`` lands once the ``\\r``s are gone, in order."""
    positions: list[int] = []
    removed = 0
    i = text.find("\r\n")
    while i != -1:
        positions.append(i - removed)
        removed += 1
        i = text.find("\r\n", i + 2)
    return positions


def _term_explanation(rule: RuleSpec, term: str) -> str:
    if rule.explanation:
        return rule.explanation
    if rule.kind == Kind.EMBARGO and rule.until is not None:
        return f'Mentions "{term}", which is under embargo until {_moment(rule.until)}.'
    return f'Mentions "{term}", which the organisation does not talk about in public.'


def _moment(moment: datetime) -> str:
    return f"{moment:%d %B %Y, %H:%M} {moment:%Z}".lstrip("0")


@functools.cache
def default_engine() -> Engine:
    """The default detector rules alone (for a text checked without an organisation)."""
    from .detectors import DEFAULT_RULES

    return Engine.compile(DEFAULT_RULES, version="default")
