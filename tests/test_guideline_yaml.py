"""Rules files: what they may say, what they are refused for, and the round trip."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from cluetrain.guidelines.engine import (
    Engine,
    Kind,
    RuleError,
    RuleSpec,
    Severity,
    Verdict,
    dump_rules,
    load_rules,
)

ISSUE_EXAMPLE = r"""
rules:
  - name: falcon-codename
    kind: term            # term | pattern | detector
    terms: ["Project Falcon", "Falcon X2"]
    severity: block       # block | review | warn
    explanation: Falcon is unannounced.
    suggestion: Say "our next product".
  - name: q3-numbers
    kind: pattern
    pattern: "\\bQ3 (revenue|sales)\\b"
    severity: review
  - name: cards
    kind: detector
    detector: payment_card  # email | phone | payment_card | iban | national_id | secret
    severity: block
  - name: launch
    kind: embargo
    terms: [Nimbus]
    exceptions: [Nimbus cloud]
    until: 2030-10-01T09:00:00+02:00
    severity: review
"""


def test_it_reads_the_issue_example() -> None:
    rules = load_rules(ISSUE_EXAMPLE)
    assert [r.name for r in rules] == ["falcon-codename", "q3-numbers", "cards", "launch"]
    falcon, q3, cards, launch = rules
    assert falcon == RuleSpec(
        "falcon-codename",
        Kind.TERM,
        Severity.BLOCK,
        explanation="Falcon is unannounced.",
        suggestion='Say "our next product".',
        terms=("Project Falcon", "Falcon X2"),
    )
    assert q3.pattern == r"\bQ3 (revenue|sales)\b"
    assert q3.ignore_case is True
    assert cards.detector == "payment_card"
    assert launch.until == datetime(2030, 10, 1, 7, 0, tzinfo=UTC)
    assert launch.exceptions == ("Nimbus cloud",)
    result = Engine.compile(rules).check("Pr0ject Falcon Q3 revenue", now=datetime.now(UTC))
    assert result.verdict == Verdict.BLOCK


def test_a_round_trip_gives_the_same_rules() -> None:
    rules = [
        *load_rules(ISSUE_EXAMPLE),
        RuleSpec(
            "hosts",
            Kind.DETECTOR,
            Severity.WARN,
            detector="internal_url",
            options={"domains": ["corp.example"]},
        ),
        RuleSpec("strict", Kind.PATTERN, Severity.WARN, pattern="ACME-\\d+", ignore_case=False),
        RuleSpec(
            "unicode: ünïcödé",
            Kind.EMBARGO,
            Severity.BLOCK,
            terms=("Zürich 2", "«quoted»"),
            until=datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
        ),
    ]
    text = dump_rules(rules)
    assert load_rules(text) == rules
    assert dump_rules(load_rules(text)) == text


def test_an_empty_file_has_no_rules() -> None:
    assert load_rules("") == []
    assert load_rules("rules: []") == []
    assert load_rules("rules:") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [", "the file is not valid YAML (line 1, column 9)"),
        ("- name: a", "the file must be a mapping with a `rules:` list"),
        ("rules: {name: a}", "`rules` must be a list of rules"),
        ("rules: [1]", "rule 1: each rule must be a mapping"),
        ("rules: [{kind: term}]", "rule 1: `name` is missing"),
        ("rules: [{name: x, kind: term}]", "x: `severity` is missing"),
        ("version: 2\nrules: []", "unknown top-level key 'version'"),
        (
            "rules: [{name: x, kind: word, severity: block}]",
            "x: unknown kind 'word'; choose one of term, pattern, detector, embargo",
        ),
        (
            "rules: [{name: x, kind: term, terms: [a], severity: fatal}]",
            "x: unknown severity 'fatal'; choose one of block, review, warn",
        ),
        ("rules: [{name: x, kind: term, severity: warn}]", "x: a term rule needs `terms`"),
        (
            "rules: [{name: x, kind: term, terms: Falcon, severity: warn}]",
            "x: `terms` must be a list of words",
        ),
        (
            "rules: [{name: x, kind: term, terms: [Falcon, 3], severity: warn}]",
            "x: every entry of `terms` must be non-empty text",
        ),
        (
            "rules: [{name: x, kind: term, terms: [a], exeptions: [b], severity: warn}]",
            "x: unknown key 'exeptions'",
        ),
        (
            "rules: [{name: x, kind: term, terms: [a], pattern: b, severity: warn}]",
            "x: `pattern` does not apply to a term rule",
        ),
        (
            "rules: [{name: x, kind: embargo, terms: [a], severity: warn}]",
            "x: an embargo needs `until`",
        ),
        (
            "rules: [{name: x, kind: embargo, terms: [a], until: soon, severity: warn}]",
            "x: `until` 'soon' is not an ISO 8601 date and time",
        ),
        (
            "rules: [{name: x, kind: embargo, terms: [a], until: 2030-01-01, severity: warn}]",
            "x: `until` needs a time and a time zone offset",
        ),
        (
            "rules: [{name: x, kind: embargo, terms: [a], until: '2030-01-01T09:00',"
            " severity: warn}]",
            "x: `until` needs a time zone offset",
        ),
        (
            "rules: [{name: x, kind: pattern, pattern: '(a+)+', severity: warn}]",
            "x: the pattern is refused",
        ),
        (
            "rules: [{name: x, kind: pattern, pattern: '(ab', severity: warn}]",
            "x: the pattern is not a valid regular expression: missing ) at position 3",
        ),
        (
            "rules: [{name: x, kind: pattern, pattern: a, ignore_case: maybe, severity: warn}]",
            "x: `ignore_case` must be true or false",
        ),
        (
            "rules: [{name: x, kind: detector, severity: warn}]",
            "x: a detector rule needs `detector`",
        ),
        (
            "rules: [{name: x, kind: detector, detector: tarot, severity: warn}]",
            "x: unknown detector 'tarot'",
        ),
        (
            "rules: [{name: x, kind: detector, detector: email, options: [1], severity: warn}]",
            "x: `options` must be a mapping",
        ),
        (
            "rules: [{name: x, kind: term, terms: [a], severity: warn, explanation: 3}]",
            "x: `explanation` must be text, not a number",
        ),
        (
            "rules: [{name: x, kind: term, terms: [a], severity: warn},"
            " {name: x, kind: term, terms: [b], severity: warn}]",
            "x: two rules have this name",
        ),
    ],
)
def test_bad_files_are_refused_with_a_plain_message(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=f"^{re.escape(message)}"):
        load_rules(text)


def test_the_rules_position_names_a_rule_without_a_name() -> None:
    with pytest.raises(RuleError) as caught:
        load_rules("rules:\n  - {name: ok, kind: term, terms: [a], severity: warn}\n  - 7\n")
    assert caught.value.rule == "rule 2"


def test_a_file_with_python_tags_is_not_executed() -> None:
    with pytest.raises(RuleError, match="not valid YAML"):
        load_rules("rules: !!python/object/apply:os.system ['true']")
