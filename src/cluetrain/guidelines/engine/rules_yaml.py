"""Rules files: YAML in, RuleSpecs out, and back again.

The shape::

    rules:
      - name: falcon-codename
        kind: term            # term | pattern | detector | embargo
        terms: ["Project Falcon", "Falcon X2"]
        exceptions: ["Falcon Heavy"]
        severity: block       # block | review | warn
        explanation: Falcon is unannounced.
        suggestion: Say "our next product".
      - name: q3-numbers
        kind: pattern
        pattern: "\\\\bQ3 (revenue|sales)\\\\b"
        ignore_case: true
        severity: review
      - name: cards
        kind: detector
        detector: payment_card
        options: {}
        severity: block
      - name: launch
        kind: embargo
        terms: ["Falcon"]
        until: 2025-10-01T09:00:00+02:00
        severity: block

Every key is checked; unknown keys, and keys that do not apply to the rule's kind, are refused
rather than silently ignored (a misspelt ``exeptions`` would otherwise widen a rule).
Only ``yaml.safe_load`` reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import yaml

from .engine import validate_rule
from .patterns import compile_pattern
from .types import Kind, RuleError, RuleSpec, Severity

_COMMON = {"name", "kind", "severity", "explanation", "suggestion"}
_KEYS: dict[Kind, set[str]] = {
    Kind.TERM: _COMMON | {"terms", "exceptions"},
    Kind.EMBARGO: _COMMON | {"terms", "exceptions", "until"},
    Kind.PATTERN: _COMMON | {"pattern", "ignore_case"},
    Kind.DETECTOR: _COMMON | {"detector", "options"},
}
_ALL_KEYS = set().union(*_KEYS.values())


def _choices(enum: type[Kind] | type[Severity]) -> str:
    return ", ".join(m.value for m in enum)


def load_rules(text: str) -> list[RuleSpec]:
    """Parse and validate a rules file; RuleError names the rule (or its position) and says
    what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "it could not be read"
        raise RuleError("", f"the file is not valid YAML{where}: {problem}.") from None
    if data is None:
        return []
    if not isinstance(data, Mapping) or "rules" not in data:
        raise RuleError("", "the file must be a mapping with a `rules:` list.")
    extra = sorted(str(k) for k in data if k != "rules")
    if extra:
        raise RuleError("", f"unknown top-level key {extra[0]!r}; only `rules` is allowed.")
    items = data["rules"]
    if items is None:
        return []
    if not isinstance(items, list):
        raise RuleError("", "`rules` must be a list of rules (each starting with `- name:`).")
    rules: list[RuleSpec] = []
    names: set[str] = set()
    for position, item in enumerate(items, start=1):
        rule = _rule(item, position)
        if rule.name in names:
            raise RuleError(rule.name, "two rules have this name; names must be unique.")
        names.add(rule.name)
        rules.append(rule)
    return rules


def _rule(item: Any, position: int) -> RuleSpec:
    label = f"rule {position}"
    if not isinstance(item, Mapping):
        raise RuleError(label, "each rule must be a mapping with name, kind and severity.")
    if isinstance(item.get("name"), str) and item["name"].strip():
        label = item["name"]
    for key in ("name", "kind", "severity"):
        if key not in item:
            raise RuleError(label, f"`{key}` is missing.")
    name = _string(item, "name", label)
    if not name.strip():
        raise RuleError(label, "`name` is empty.")
    unknown = sorted(str(k) for k in item if k not in _ALL_KEYS)
    if unknown:
        raise RuleError(name, f"unknown key {unknown[0]!r}.")
    kind_value = _string(item, "kind", name)
    if kind_value not in Kind._value2member_map_:
        raise RuleError(name, f"unknown kind {kind_value!r}; choose one of {_choices(Kind)}.")
    kind = Kind(kind_value)
    misplaced = sorted(str(k) for k in item if k not in _KEYS[kind])
    if misplaced:
        raise RuleError(name, f"`{misplaced[0]}` does not apply to a {kind.value} rule.")
    severity_value = _string(item, "severity", name)
    if severity_value not in Severity._value2member_map_:
        raise RuleError(
            name, f"unknown severity {severity_value!r}; choose one of {_choices(Severity)}."
        )
    fields: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "severity": Severity(severity_value),
        "explanation": _string(item, "explanation", name, ""),
        "suggestion": _string(item, "suggestion", name, ""),
    }
    if kind in (Kind.TERM, Kind.EMBARGO):
        if "terms" not in item:
            raise RuleError(name, f"a {kind.value} rule needs `terms`, a list of words.")
        fields["terms"] = _strings(item, "terms", name)
        fields["exceptions"] = _strings(item, "exceptions", name)
    if kind == Kind.EMBARGO:
        fields["until"] = _moment(item.get("until"), name)
    if kind == Kind.PATTERN:
        if "pattern" not in item:
            raise RuleError(name, "a pattern rule needs `pattern`, a regular expression.")
        fields["pattern"] = _string(item, "pattern", name)
        ignore_case = item.get("ignore_case", True)
        if not isinstance(ignore_case, bool):
            raise RuleError(name, "`ignore_case` must be true or false.")
        fields["ignore_case"] = ignore_case
    if kind == Kind.DETECTOR:
        if "detector" not in item:
            raise RuleError(name, "a detector rule needs `detector`, e.g. payment_card.")
        fields["detector"] = _string(item, "detector", name)
        options = item.get("options") or {}
        if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
            raise RuleError(name, "`options` must be a mapping of names to values.")
        fields["options"] = dict(options)
    rule = RuleSpec(**fields)
    validate_rule(rule)
    if kind == Kind.PATTERN:
        compile_pattern(name, rule.pattern, ignore_case=rule.ignore_case)
    return rule


def _string(item: Mapping[str, Any], key: str, name: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise RuleError(name, f"`{key}` must be text, not {_type_name(value)}.")
    return value


def _strings(item: Mapping[str, Any], key: str, name: str) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RuleError(name, f'`{key}` must be a list of words, e.g. ["Project Falcon"].')
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise RuleError(name, f"every entry of `{key}` must be non-empty text.")
    return tuple(value)


def _moment(value: Any, name: str) -> datetime:
    if value is None:
        raise RuleError(name, "an embargo needs `until`, e.g. 2025-10-01T09:00:00+02:00.")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise RuleError(
            name, "`until` needs a time and a time zone offset, e.g. 2025-10-01T09:00:00+02:00."
        )
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RuleError(
                name,
                f"`until` {value!r} is not an ISO 8601 date and time, "
                "e.g. 2025-10-01T09:00:00+02:00.",
            ) from None
    else:
        raise RuleError(name, f"`until` must be a date and time, not {_type_name(value)}.")
    if moment.utcoffset() is None:
        raise RuleError(
            name, "`until` needs a time zone offset, e.g. 2025-10-01T09:00:00+02:00 or …Z."
        )
    return moment


def _type_name(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list"}
    if value is None:
        return "empty"
    if isinstance(value, Mapping):
        return "a mapping"
    return names.get(type(value), type(value).__name__)


def dump_rules(rules: Sequence[RuleSpec]) -> str:
    """The rules as a rules file that ``load_rules`` reads back to the same rules."""
    items: list[dict[str, Any]] = []
    for rule in rules:
        item: dict[str, Any] = {"name": rule.name, "kind": rule.kind.value}
        if rule.kind in (Kind.TERM, Kind.EMBARGO):
            item["terms"] = list(rule.terms)
            if rule.exceptions:
                item["exceptions"] = list(rule.exceptions)
        if rule.kind == Kind.EMBARGO and rule.until is not None:
            item["until"] = rule.until.isoformat()
        if rule.kind == Kind.PATTERN:
            item["pattern"] = rule.pattern
            if not rule.ignore_case:
                item["ignore_case"] = False
        if rule.kind == Kind.DETECTOR:
            item["detector"] = rule.detector
            if rule.options:
                item["options"] = _plain(rule.options)
        item["severity"] = rule.severity.value
        if rule.explanation:
            item["explanation"] = rule.explanation
        if rule.suggestion:
            item["suggestion"] = rule.suggestion
        items.append(item)
    return yaml.safe_dump({"rules": items}, sort_keys=False, allow_unicode=True, width=100)


def _plain(value: Any) -> Any:
    """Options as plain YAML types (tuples become lists)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
