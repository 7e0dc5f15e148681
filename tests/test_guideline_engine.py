"""The guideline engine on its own: terms and their evasions, patterns, embargoes, verdicts."""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.guidelines.engine import (
    Engine,
    Kind,
    RuleError,
    RuleSpec,
    Severity,
    Verdict,
    default_engine,
)
from cluetrain.guidelines.engine.normalize import folded, skeleton
from cluetrain.guidelines.engine.patterns import compile_pattern

FALCON = RuleSpec(
    "falcon-codename",
    Kind.TERM,
    Severity.BLOCK,
    terms=("Project Falcon", "Falcon"),
    exceptions=("Falcon Heavy",),
    suggestion='Say "our next product".',
)
ZURICH = RuleSpec("zurich", Kind.TERM, Severity.WARN, terms=("Zürich",))
OTIS = RuleSpec("otis", Kind.TERM, Severity.REVIEW, terms=("Otis",))
Q3 = RuleSpec("q3-numbers", Kind.PATTERN, Severity.REVIEW, pattern=r"\bQ3 (revenue|sales)\b")
LAUNCH_DAY = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
EMBARGO = RuleSpec("launch", Kind.EMBARGO, Severity.BLOCK, terms=("Nimbus",), until=LAUNCH_DAY)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.compile([FALCON, ZURICH, OTIS, Q3, EMBARGO], version="v7")


def matches(engine: Engine, text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.match) for f in engine.check(text, now=LAUNCH_DAY).findings]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Pr0ject  F-a-l-c-o-n ships soon", "Pr0ject  F-a-l-c-o-n"),
        ("Big news about project falcon!", "project falcon"),
        ("the F\u0430lcon is ready", "F\u0430lcon"),  # Cyrillic small a
        ("the \u03a1roject Falcon", "\u03a1roject Falcon"),  # Greek capital rho
        ("Fal\u200bcon", "Fal\u200bcon"),  # zero-width space
        ("Fal\u00adcon and more", "Fal\u00adcon"),  # soft hyphen
        ("\uff26\uff21\uff2c\uff23\uff2f\uff2e!", "\uff26\uff21\uff2c\uff23\uff2f\uff2e"),
        ("Project\nFalcon", "Project\nFalcon"),
        ("Project \r\n Falcon", "Project \r\n Falcon"),
        ("F4lc0n", "F4lc0n"),
        ("F@lcon", "F@lcon"),
        ("F a l c o n", "F a l c o n"),
        ("F.A.L.C.O.N.", "F.A.L.C.O.N"),
        ("We love #ProjectFalcon", "ProjectFalcon"),
        ("Our #FalconLaunch rocks", "Falcon"),
        ("Falcon's wings", "Falcon"),
        ("mail press@falcon.example", "falcon"),
    ],
)
def test_it_sees_through_evasions(engine: Engine, text: str, match: str) -> None:
    assert matches(engine, text) == [("falcon-codename", match)]


@pytest.mark.parametrize(
    "text",
    [
        "Falconry is an old art",
        "The falcons flew",
        "Falcon Heavy lifted off",
        "a falcon heavy lift",
        "Fal con",  # an ordinary space between longer pieces is not an evasion
        "#falconry",
        "",
    ],
)
def test_it_respects_word_boundaries_and_exceptions(engine: Engine, text: str) -> None:
    assert matches(engine, text) == []


def test_an_exception_only_covers_its_own_span(engine: Engine) -> None:
    found = matches(engine, "Falcon Heavy flew; Falcon did not")
    assert found == [("falcon-codename", "Falcon")]


def test_accents_do_not_matter(engine: Engine) -> None:
    assert matches(engine, "the zurich office") == [("zurich", "zurich")]
    assert matches(engine, "ZÜRICH") == [("zurich", "ZÜRICH")]
    decomposed = "Zu\u0308rich"
    assert matches(engine, decomposed) == [("zurich", decomposed)]


def test_numbers_are_not_mistaken_for_leetspeak(engine: Engine) -> None:
    assert matches(engine, "call 0715 today") == []
    assert matches(engine, "0tis elevators") == [("otis", "0tis")]


def test_a_longer_term_wins_over_the_term_inside_it(engine: Engine) -> None:
    result = engine.check("Project Falcon")
    assert [(f.start, f.end) for f in result.findings] == [(0, 14)]


def test_default_explanations_name_the_term(engine: Engine) -> None:
    (finding,) = engine.check("Pr0ject F4lcon").findings
    assert finding.explanation == (
        'Mentions "Project Falcon", which the organisation does not talk about in public.'
    )
    assert finding.suggestion == 'Say "our next product".'
    assert finding.kind == Kind.TERM
    assert finding.severity == Severity.BLOCK


def test_a_rules_own_explanation_is_used() -> None:
    rule = RuleSpec("x", Kind.TERM, Severity.WARN, terms=("Orion",), explanation="Not yet.")
    (finding,) = Engine.compile([rule]).check("Orion!").findings
    assert finding.explanation == "Not yet."


def test_an_embargo_ends_at_its_moment(engine: Engine) -> None:
    text = "Nimbus launches soon"
    before = engine.check(text, now=LAUNCH_DAY - timedelta(seconds=1))
    assert before.verdict == Verdict.BLOCK
    assert "under embargo until" in before.findings[0].explanation
    assert engine.check(text, now=LAUNCH_DAY).verdict == Verdict.OK
    assert engine.check(text).verdict == Verdict.OK  # now is long after 2025


def test_an_embargo_needs_an_aware_until() -> None:
    with pytest.raises(RuleError, match="needs `until`"):
        Engine.compile([RuleSpec("e", Kind.EMBARGO, Severity.BLOCK, terms=("X1",))])
    naive = RuleSpec("e", Kind.EMBARGO, Severity.BLOCK, terms=("X1",), until=datetime(2030, 1, 1))
    with pytest.raises(RuleError, match="time zone offset"):
        Engine.compile([naive])


def test_the_verdict_is_the_most_severe_finding(engine: Engine) -> None:
    assert engine.check("hello").verdict == Verdict.OK
    assert engine.check("zurich").verdict == Verdict.WARN
    assert engine.check("zurich Q3 revenue").verdict == Verdict.REVIEW
    result = engine.check("Falcon Q3 revenue in zurich")
    assert result.verdict == Verdict.BLOCK
    assert [f.rule for f in result.findings] == ["falcon-codename", "q3-numbers", "zurich"]
    assert result.version == "v7"


def test_two_rules_on_one_span_keep_the_most_severe() -> None:
    rules = [
        RuleSpec("soft", Kind.TERM, Severity.WARN, terms=("Orion",)),
        RuleSpec("hard", Kind.PATTERN, Severity.BLOCK, pattern="orion"),
        RuleSpec("middle", Kind.TERM, Severity.REVIEW, terms=("orion",)),
    ]
    result = Engine.compile(rules).check("Orion")
    assert [(f.rule, f.severity) for f in result.findings] == [("hard", Severity.BLOCK)]


def test_patterns_honour_ignore_case() -> None:
    strict = RuleSpec("s", Kind.PATTERN, Severity.WARN, pattern="ACME-\\d+", ignore_case=False)
    engine = Engine.compile([strict])
    assert [f.match for f in engine.check("ACME-12 acme-13").findings] == ["ACME-12"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(abc", "not a valid regular expression: missing ) at position 4"),
        ("[a-", "not a valid regular expression"),
        ("(a+)+$", "holds another repetition"),
        ("(\\w+\\s?)+$", "holds another repetition"),
        ("(a|a)*b", "can begin with the same character"),
        ("(x+x+)+y", "holds another repetition"),
        ("a*", "matches empty text"),
        ("", "the pattern is empty"),
        ("a" * 501, "at most 500"),
    ],
)
def test_unusable_patterns_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)) as caught:
        compile_pattern("bad-pattern", pattern)
    assert caught.value.rule == "bad-pattern"


@pytest.mark.parametrize(
    "pattern",
    [
        r"(\d+\.){3}\d+",
        r"\b(foo|bar)+\b",
        r"(?>a+)+b",
        r"(a++)+b",
        r"(?i)acme\s+\d{2,4}",
        r"(?P<q>Q[1-4]) (?:revenue|sales)",
    ],
)
def test_safe_patterns_are_accepted(pattern: str) -> None:
    assert compile_pattern("ok", pattern).find("nothing here") == []


def test_a_slow_pattern_is_cut_short_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    # Polynomial rather than exponential, so the static check lets it through; still far too
    # slow on a long run of letters.
    slow = RuleSpec("slow", Kind.PATTERN, Severity.BLOCK, pattern=r"\w*\w*\w*\w*[!?][yz]")
    fast = RuleSpec("falcon", Kind.TERM, Severity.WARN, terms=("Falcon",))
    engine = Engine.compile([slow, fast], pattern_timeout=0.02)
    text = "Falcon " + "a" * 3000 + "!"
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        result = engine.check(text)
    assert time.monotonic() - started < 1
    assert [f.rule for f in result.findings] == ["falcon"]
    assert "ran out of time" in caplog.text


def test_rules_are_checked_when_compiled() -> None:
    with pytest.raises(RuleError, match="at least one term"):
        Engine.compile([RuleSpec("t", Kind.TERM, Severity.WARN)])
    with pytest.raises(RuleError, match="no letter or digit"):
        Engine.compile([RuleSpec("t", Kind.TERM, Severity.WARN, terms=("--",))])
    with pytest.raises(RuleError, match="unknown detector 'nope'"):
        Engine.compile([RuleSpec("d", Kind.DETECTOR, Severity.WARN, detector="nope")])
    twice = RuleSpec("t", Kind.TERM, Severity.WARN, terms=("a1",))
    with pytest.raises(RuleError, match="names must be unique"):
        Engine.compile([twice, twice])


def test_ten_thousand_terms_compile_and_still_match() -> None:
    # How fast is bench/guidelines.py's business; this only guards against a blow-up.
    terms = tuple(f"codename{i:05d}x" for i in range(10_000))
    started = time.monotonic()
    engine = Engine.compile([RuleSpec("many", Kind.TERM, Severity.REVIEW, terms=terms)])
    assert time.monotonic() - started < 30
    found = engine.check("we shipped Codename04242X today").findings
    assert [f.match for f in found] == ["Codename04242X"]


def test_detector_rules_run_with_the_terms() -> None:
    cards = RuleSpec("cards", Kind.DETECTOR, Severity.BLOCK, detector="payment_card")
    result = Engine.compile([cards, FALCON]).check("Falcon card 4111 1111 1111 1111")
    assert [(f.rule, f.kind) for f in result.findings] == [
        ("falcon-codename", Kind.TERM),
        ("cards", Kind.DETECTOR),
    ]
    assert result.findings[1].match == "4111 1111 1111 1111"


def test_the_default_engine_has_the_default_detectors() -> None:
    engine = default_engine()
    assert engine is default_engine()
    assert engine.check("write to someone@example.org").verdict != Verdict.OK
    assert engine.check("Lovely weather today").verdict == Verdict.OK


def test_organisation_rules_can_replace_a_default_rule() -> None:
    defaults = default_engine().rules
    name = defaults[0].name
    mine = RuleSpec(name, Kind.TERM, Severity.WARN, terms=("Orion",))
    engine = Engine.compile([mine], with_defaults=True)
    assert len(engine.rules) == len(defaults)
    assert [r for r in engine.rules if r.name == name] == [mine]


def test_the_quick_fold_equals_the_skeleton() -> None:
    for text in [
        "Pr0ject F@lcon $5 a$b",
        "\uff26\uff21\uff2c\uff23\uff2f\uff2e \ufb01nance Straße",
        "@x #y Zu\u0308rich 1½",
    ]:
        assert folded(text) == skeleton(text).folded


# Property-based: arbitrary Unicode never breaks the engine.

_ALL_KINDS = Engine.compile(
    [
        FALCON,
        ZURICH,
        OTIS,
        Q3,
        EMBARGO,
        RuleSpec("a-word", Kind.TERM, Severity.WARN, terms=("ab", "a b c", "Ωx")),
        RuleSpec("lines", Kind.PATTERN, Severity.WARN, pattern=r"^\w+$", ignore_case=False),
    ],
    with_defaults=True,
)
_texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=120)
_near_misses = st.lists(
    st.sampled_from(["Falcon", "F4lc0n", " ", "\n", "-", "zürich", "ab", "\u200b", "#", "@", "0"]),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.one_of(_texts, _near_misses))
def test_check_never_raises_and_spans_fit(text: str) -> None:
    result = _ALL_KINDS.check(text)
    for f in result.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.match
    assert (result.verdict == Verdict.OK) == (not result.findings)
    assert folded(text) == skeleton(text).folded


@settings(max_examples=100, deadline=None)
@given(st.one_of(_texts, _near_misses))
def test_line_endings_do_not_change_the_findings(text: str) -> None:
    text = text.replace("\r", "")
    lf = _ALL_KINDS.check(text)
    crlf_text = text.replace("\n", "\r\n")
    crlf = _ALL_KINDS.check(crlf_text)
    assert [(f.rule, f.match) for f in lf.findings] == [
        (f.rule, f.match.replace("\r\n", "\n")) for f in crlf.findings
    ]
    for f in crlf.findings:
        assert crlf_text[f.start : f.end] == f.match


_PREFILTERED = [
    r"\bPRJ-\d{3,6}\b",
    r"\bQ[1-4] (?:revenue|sales) fin2\b",
    r"internal[- ]only|secret",
    r"a\.b\-c",
    r"(?x) s k y",  # verbose: runs on every text
    r"\d+%",  # no literal: runs on every text
]
_PREFILTER_ENGINE = Engine.compile(
    [RuleSpec(f"p{i}", Kind.PATTERN, Severity.WARN, pattern=p) for i, p in enumerate(_PREFILTERED)]
)
_pattern_texts = st.lists(
    st.sampled_from(
        [
            "PRJ-",
            "prj-",
            "\u017fecret",
            "\u212aey",
            "Q3 sales fin2",
            "a.b-c",
            "sky",
            "5%",
            "123",
            " ",
        ]
    ),
    max_size=8,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.one_of(_pattern_texts, _texts))
def test_skipping_patterns_by_their_literals_never_loses_a_match(text: str) -> None:
    expected = sorted(
        (m.start(), m.end())
        for p in _PREFILTERED
        for m in re.finditer(p, text, re.IGNORECASE)
        if m.end() > m.start()
    )
    found = sorted((f.start, f.end) for f in _PREFILTER_ENGINE.check(text).findings)
    assert found == sorted(set(expected))
