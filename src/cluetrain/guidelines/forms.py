"""Forms of the guidelines page: one rule (fields shown by kind), a rules file, a sample text."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from cluetrain.guidelines.engine.detectors import DETECTORS
from cluetrain.guidelines.engine.types import Kind, RuleSpec, Severity

KIND_LABELS = {
    Kind.TERM: "Terms (code names, unreleased products, customers under NDA)",
    Kind.PATTERN: "Pattern (a regular expression)",
    Kind.DETECTOR: "Built-in detector (e-mail, phone, card numbers…)",
    Kind.EMBARGO: "Embargo (terms that may not be mentioned before a date)",
}
SEVERITY_LABELS = {
    Severity.BLOCK: "Block: nobody may publish it",
    Severity.REVIEW: "Review: a reviewer must approve it",
    Severity.WARN: "Warn: shown, not enforced",
}
# Which of the kind-specific fields each kind uses (the template shows only these).
KIND_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.TERM: ("terms", "exceptions"),
    Kind.PATTERN: ("pattern", "ignore_case"),
    Kind.DETECTOR: ("detector", "domains", "options"),
    Kind.EMBARGO: ("terms", "exceptions", "until"),
}
SAMPLE_MAX = 10_000


def _lines(value: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in value.splitlines() if line.strip())


class RuleForm(forms.Form):
    """One rule. ``time_zone`` is the editor's: an embargo's time is read in it."""

    name = forms.CharField(
        max_length=100,
        help_text="A short name, such as falcon-codename; shown with every finding.",
    )
    kind = forms.ChoiceField(choices=[(k.value, KIND_LABELS[k]) for k in Kind])
    severity = forms.ChoiceField(
        choices=[(s.value, SEVERITY_LABELS[s]) for s in Severity], initial=Severity.REVIEW.value
    )
    explanation = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it must not be said, in plain words: shown to the writer.",
    )
    suggestion = forms.CharField(
        required=False,
        max_length=300,
        help_text='What to say instead. Put the words in quotes (Say "our next product") and the '
        "composer offers to put them in for the writer.",
    )
    terms = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line. Found whatever the case, accents or spacing tricks.",
    )
    exceptions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Phrases that contain a term but may be said, one per line (Falcon Heavy).",
    )
    pattern = forms.CharField(
        required=False, max_length=1000, help_text="A Python regular expression."
    )
    ignore_case = forms.BooleanField(required=False, initial=True, label="Ignore case")
    detector = forms.ChoiceField(required=False, choices=[("", "—")])
    domains = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Internal addresses only: your internal domains, one per line (corp.example).",
    )
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="More detector options, as JSON (leave empty for none).",
    )
    until = forms.DateTimeField(
        required=False,
        label="Embargoed until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Switched on")

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)
        self.fields["until"].help_text = f"In your time zone, {time_zone}."
        detector = self.fields["detector"]
        assert isinstance(detector, forms.ChoiceField)
        detector.choices = [("", "—"), *((key, key) for key in sorted(DETECTORS))]

    @classmethod
    def initial_for(cls, spec: RuleSpec, enabled: bool, time_zone: str) -> dict[str, Any]:
        options = dict(spec.options)
        domains = options.pop("domains", [])
        until = (
            spec.until.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None) if spec.until else None
        )
        return {
            "name": spec.name,
            "kind": spec.kind.value,
            "severity": spec.severity.value,
            "explanation": spec.explanation,
            "suggestion": spec.suggestion,
            "terms": "\n".join(spec.terms),
            "exceptions": "\n".join(spec.exceptions),
            "pattern": spec.pattern,
            "ignore_case": spec.ignore_case,
            "detector": spec.detector,
            "domains": "\n".join(domains),
            "options": json.dumps(options) if options else "",
            "until": until,
            "enabled": enabled,
        }

    def clean_options(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("options", "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError('Options are a JSON object, such as {"key": "value"}.')
        return value

    def clean_until(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("until")
        if value is None:
            return None
        # Django read it in the server's zone; the editor meant their own.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind in (Kind.TERM, Kind.EMBARGO) and not _lines(data.get("terms", "")):
            self.add_error("terms", "Give at least one term, one per line.")
        if kind == Kind.PATTERN and not data.get("pattern", "").strip():
            self.add_error("pattern", "Give the regular expression to look for.")
        if kind == Kind.DETECTOR and not data.get("detector"):
            self.add_error("detector", "Choose a detector.")
        if kind == Kind.EMBARGO and data.get("until") is None:
            self.add_error("until", "Give the date and time the embargo ends.")
        return data

    def spec(self) -> RuleSpec:
        """The rule as typed (call after ``is_valid``)."""
        data = self.cleaned_data
        kind = Kind(data["kind"])
        used = KIND_FIELDS[kind]
        options: dict[str, Any] = dict(data.get("options") or {}) if "options" in used else {}
        domains = _lines(data.get("domains", "")) if "domains" in used else ()
        if domains:
            options["domains"] = list(domains)
        return RuleSpec(
            name=data["name"],
            kind=kind,
            severity=Severity(data["severity"]),
            explanation=data.get("explanation", "").strip(),
            suggestion=data.get("suggestion", "").strip(),
            terms=_lines(data.get("terms", "")) if "terms" in used else (),
            exceptions=_lines(data.get("exceptions", "")) if "exceptions" in used else (),
            pattern=data.get("pattern", "").strip() if "pattern" in used else "",
            ignore_case=bool(data.get("ignore_case")) if "ignore_case" in used else True,
            detector=data.get("detector", "") if "detector" in used else "",
            options=options,
            until=data.get("until") if "until" in used else None,
        )


class ImportForm(forms.Form):
    text = forms.CharField(
        label="Rules file (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="Paste a rules file, or choose one below. It replaces every rule.",
    )
    file = forms.FileField(label="Or a file", required=False)
    note = forms.CharField(required=False, max_length=200, help_text="Why, for the history.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > 1_000_000:
                raise forms.ValidationError("That file is over 1 MB; a rules file is far smaller.")
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError("That file is not UTF-8 text.") from exc
        if not data.get("text", "").strip():
            raise forms.ValidationError("Paste a rules file or choose one.")
        return data


class SampleForm(forms.Form):
    sample = forms.CharField(
        required=False,
        max_length=SAMPLE_MAX,
        strip=False,
        label="Try a text",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Type or paste a post: the findings show as you type. Nothing is saved.",
    )
