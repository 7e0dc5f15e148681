"""Guidelines as the product uses them: stored, versioned, compiled once, checked everywhere.

The composer, the inbox, the API, the CLI and tasks all check text through ``check_text``;
rule changes go through ``do_save_rules`` (and ``do_import_yaml``), which validate by compiling
first, so a rule that cannot run is never stored.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.guidelines.engine.detectors import DEFAULT_RULES
from cluetrain.guidelines.engine.engine import Engine
from cluetrain.guidelines.engine.rules_yaml import dump_rules, load_rules
from cluetrain.guidelines.engine.types import Kind, Result, RuleError, RuleSpec, Severity
from cluetrain.guidelines.models import GuidelineRule, GuidelineRuleSet, GuidelineVersion
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission

MAX_RULES = 500
MAX_NOTE = 200

# organisation id -> ((rules version, saved at), compiled engine). The version is read from the
# database at each check, so another process's save is seen at once.
_engines: dict[int, tuple[tuple[int, datetime | None], Engine]] = {}
_engines_lock = threading.Lock()


@dataclass(frozen=True)
class StoredRule:
    """A rule as the guidelines page shows it: the spec, and whether it is switched on."""

    spec: RuleSpec
    enabled: bool = True


# ---- RuleSpec <-> database ---------------------------------------------------------------------


def config_of(spec: RuleSpec) -> dict[str, Any]:
    """The kind-specific part of a rule, as stored in ``GuidelineRule.config`` (JSON)."""
    config: dict[str, Any] = {}
    if spec.terms:
        config["terms"] = list(spec.terms)
    if spec.exceptions:
        config["exceptions"] = list(spec.exceptions)
    if spec.pattern:
        config["pattern"] = spec.pattern
        config["ignore_case"] = spec.ignore_case
    if spec.detector:
        config["detector"] = spec.detector
    if spec.options:
        config["options"] = dict(spec.options)
    if spec.until is not None:
        config["until"] = spec.until.isoformat()
    return config


def spec_of(rule: GuidelineRule) -> RuleSpec:
    config = rule.config or {}
    until = config.get("until")
    return RuleSpec(
        name=rule.name,
        kind=Kind(rule.kind),
        severity=Severity(rule.severity),
        explanation=rule.explanation,
        suggestion=rule.suggestion,
        terms=tuple(config.get("terms", ())),
        exceptions=tuple(config.get("exceptions", ())),
        pattern=config.get("pattern", ""),
        ignore_case=bool(config.get("ignore_case", True)),
        detector=config.get("detector", ""),
        options=dict(config.get("options", {})),
        until=datetime.fromisoformat(until) if until else None,
    )


def spec_as_json(spec: RuleSpec) -> dict[str, Any]:
    """A rule in the keys of a rules file, for JSON answers."""
    return {
        "name": spec.name,
        "kind": spec.kind.value,
        "severity": spec.severity.value,
        "explanation": spec.explanation,
        "suggestion": spec.suggestion,
        **config_of(spec),
    }


# ---- Reading and checking ----------------------------------------------------------------------


def rule_set_of(organization: Organization) -> GuidelineRuleSet | None:
    return GuidelineRuleSet.objects.filter(organization=organization).first()


def stored_rules(organization: Organization) -> list[StoredRule]:
    """Every rule of the organisation, switched off ones included, in their order."""
    rules = GuidelineRule.objects.filter(rule_set__organization=organization)
    return [StoredRule(spec_of(rule), rule.enabled) for rule in rules]


def rules_of(organization: Organization) -> list[RuleSpec]:
    """The organisation's rules in effect (enabled ones); empty when it has written none."""
    rules = GuidelineRule.objects.filter(rule_set__organization=organization, enabled=True)
    return [spec_of(rule) for rule in rules]


def version_label(organization: Organization, number: int | str) -> str:
    return f"{organization.slug}@{number}"


def _compile(rules: Sequence[RuleSpec], version: str) -> Engine:
    # The built-in detectors always run beside the organisation's own rules (nobody should
    # publish a card number because the guidelines page was never opened); an organisation
    # changes one by writing a rule of the same name (e.g. ``phone`` as a warning).
    return Engine.compile(rules, version=version, with_defaults=True)


def compiled(organization: Organization) -> Engine:
    """The organisation's engine, compiled once per rules version and kept in this process."""
    # The save time is part of the key too: a version number comes back after a rolled back
    # transaction (as in tests), a save time does not.
    saved = (
        GuidelineRuleSet.objects.filter(organization=organization)
        .values_list("version", "updated_at")
        .first()
    )
    key = saved or (0, None)
    cached = _engines.get(organization.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    engine = _compile(rules_of(organization), version_label(organization, key[0]))
    with _engines_lock:
        _engines[organization.pk] = (key, engine)
    return engine


def forget_engine(organization: Organization) -> None:
    with _engines_lock:
        _engines.pop(organization.pk, None)


def check_text(organization: Organization, text: str, *, now: datetime | None = None) -> Result:
    """Check ``text`` against the organisation's guidelines (never raises on any text)."""
    return compiled(organization).check(text, now=now)


def compile_rules(rules: Sequence[RuleSpec], version: str = "") -> Engine:
    """Compile rules that are not stored (a rules file, a draft): ``ServiceError`` if unusable."""
    try:
        return _compile(rules, version)
    except RuleError as exc:
        raise ServiceError(_rule_message(exc), code="invalid_rule") from exc


def check_sample(
    actor: Person, organization: Organization, specs: Sequence[RuleSpec], text: str
) -> Result:
    """Check sample text against rules as they are being edited; nothing is stored."""
    policy.require(actor, organization, Permission.VIEW_ORGANIZATION)
    return compile_rules(specs, version_label(organization, "draft")).check(text)


# ---- Changing the rules ------------------------------------------------------------------------


def _rule_message(exc: RuleError) -> str:
    if exc.rule:
        return f"The rule “{exc.rule}” cannot be used: {exc.message}"
    return f"These rules cannot be used: {exc.message}"


def check_rules(rules: Sequence[RuleSpec]) -> None:
    """Refuse a rule set that could not run, naming the first rule at fault."""
    if len(rules) > MAX_RULES:
        raise ServiceError(f"An organisation may keep up to {MAX_RULES} rules.")
    seen: set[str] = set()
    for index, rule in enumerate(rules, start=1):
        name = rule.name.strip()
        if not name:
            raise ServiceError(f"Rule {index} has no name; give every rule a short name.")
        if name.casefold() in seen:
            raise ServiceError(f"Two rules are named “{name}”; rule names must differ.")
        seen.add(name.casefold())
    compile_rules(rules)


def do_save_rules(
    actor: Person,
    organization: Organization,
    specs: Sequence[RuleSpec],
    note: str = "",
    *,
    disabled: Collection[str] = (),
) -> GuidelineVersion:
    """Replace the organisation's rules with ``specs`` (in order) as a new version.

    Every rule is compiled first, switched off ones included (so switching one on cannot
    fail later); nothing is stored if one cannot be used. ``disabled`` names the rules to keep
    switched off. Directors and coordinators only.
    """
    policy.require(actor, organization, Permission.EDIT_GUIDELINES)
    check_rules(specs)
    with transaction.atomic():
        GuidelineRuleSet.objects.get_or_create(organization=organization)
        # Locked, so two saves at once make two versions, one after the other.
        rule_set = GuidelineRuleSet.objects.select_for_update().get(organization=organization)
        rule_set.version += 1
        rule_set.updated_by = actor
        rule_set.save(update_fields=["version", "updated_by", "updated_at"])
        rule_set.rules.all().delete()
        GuidelineRule.objects.bulk_create(
            GuidelineRule(
                rule_set=rule_set,
                name=spec.name.strip(),
                kind=spec.kind.value,
                severity=spec.severity.value,
                explanation=spec.explanation,
                suggestion=spec.suggestion,
                config=config_of(spec),
                position=position,
                enabled=spec.name not in disabled,
            )
            for position, spec in enumerate(specs)
        )
        in_effect = [spec for spec in specs if spec.name not in disabled]
        version = GuidelineVersion.objects.create(
            rule_set=rule_set,
            number=rule_set.version,
            snapshot=dump_rules(in_effect),
            created_by=actor,
            note=note.strip()[:MAX_NOTE],
        )
        audit.record(
            organization,
            actor,
            "guidelines.saved",
            version_label(organization, rule_set.version),
            rules=len(specs),
            enabled=len(in_effect),
            note=version.note,
        )
        transaction.on_commit(lambda: forget_engine(organization))
    return version


def do_import_yaml(
    actor: Person, organization: Organization, text: str, note: str = ""
) -> GuidelineVersion:
    """Replace the organisation's rules with those of a rules file (all switched on)."""
    policy.require(actor, organization, Permission.EDIT_GUIDELINES)
    specs = parse_yaml(text)
    return do_save_rules(actor, organization, specs, note or "Imported from a rules file.")


def parse_yaml(text: str) -> list[RuleSpec]:
    try:
        return load_rules(text)
    except RuleError as exc:
        raise ServiceError(f"The rules file cannot be read: {exc}", code="invalid_rules") from exc


def default_rules() -> list[RuleSpec]:
    return list(DEFAULT_RULES)


def export_yaml(organization: Organization) -> str:
    """The rules in effect as a rules file: the organisation's own, or the built-in ones."""
    return dump_rules(rules_of(organization) or default_rules())


def do_export_yaml(actor: Person, organization: Organization, *, via: str) -> str:
    """The rules file for its editors (``NotAllowed`` for anyone else), recorded as an export.

    The rules name what must not be said (unreleased projects, embargoed dates), so the file
    that carries them all out is audited like any other export; ``via`` is "web" or "api".
    """
    policy.require(actor, organization, Permission.EDIT_GUIDELINES)
    own = rules_of(organization)
    specs = own or default_rules()
    text = dump_rules(specs)
    rule_set = rule_set_of(organization) if own else None
    audit.record_export(
        organization,
        actor,
        "guidelines.rules",
        via=via,
        format="yaml",
        version=rule_set.version if rule_set else 0,  # 0: the built-in rules
        rules=len(specs),
    )
    return text


def do_save_rule(
    actor: Person,
    organization: Organization,
    spec: RuleSpec,
    *,
    replacing: str | None = None,
    enabled: bool = True,
) -> GuidelineVersion:
    """Add one rule, or replace the rule named ``replacing``, keeping the others as they are."""
    current = stored_rules(organization)
    names = [rule.spec.name for rule in current]
    if replacing is not None and replacing not in names:
        raise ServiceError(f"There is no rule named “{replacing}” any more.", code="not_found")
    updated = [
        StoredRule(spec, enabled) if rule.spec.name == replacing else rule for rule in current
    ]
    if replacing is None:
        updated.append(StoredRule(spec, enabled))
    verb = "Changed" if replacing is not None else "Added"
    return _save_stored(actor, organization, updated, f"{verb} “{spec.name}”.")


def do_delete_rule(actor: Person, organization: Organization, name: str) -> GuidelineVersion:
    current = stored_rules(organization)
    kept = [rule for rule in current if rule.spec.name != name]
    if len(kept) == len(current):
        raise ServiceError(f"There is no rule named “{name}” any more.", code="not_found")
    return _save_stored(actor, organization, kept, f"Deleted “{name}”.")


def _save_stored(
    actor: Person, organization: Organization, rules: Sequence[StoredRule], note: str
) -> GuidelineVersion:
    return do_save_rules(
        actor,
        organization,
        [rule.spec for rule in rules],
        note,
        disabled={rule.spec.name for rule in rules if not rule.enabled},
    )


def with_rule(organization: Organization, spec: RuleSpec, replacing: str | None) -> list[RuleSpec]:
    """The rules in effect as they would be with ``spec`` saved: for testing before saving."""
    current = rules_of(organization)
    if replacing is None:
        return [*current, spec]
    found = [rule for rule in current if rule.name == replacing]
    if not found:
        return [*current, spec]
    return [spec if rule.name == replacing else rule for rule in current]


def versions_of(organization: Organization, limit: int = 50) -> list[GuidelineVersion]:
    return list(
        GuidelineVersion.objects.filter(rule_set__organization=organization).select_related(
            "created_by"
        )[:limit]
    )


def options_text(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in options.items())
