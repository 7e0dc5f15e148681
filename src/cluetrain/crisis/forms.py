from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html

from cluetrain.crisis.models import CHANNELS, Runbook, Severity
from cluetrain.organizations.models import Department, Organization
from cluetrain.publishing.models import Category
from cluetrain.voices.models import Network, Voice, VoiceKind


class DeclareForm(forms.Form):
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MAJOR)
    public_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text="Shown on the public status page.",
    )
    whole_organization = forms.BooleanField(
        required=False, initial=True, label="The whole organisation"
    )
    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    voices = forms.ModelMultipleChoiceField(
        queryset=Voice.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    networks = forms.MultipleChoiceField(
        choices=Network.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(organization=organization)  # type: ignore[attr-defined]
        self.fields["voices"].queryset = Voice.objects.filter(organization=organization)  # type: ignore[attr-defined]


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _secret() -> forms.PasswordInput:
    return forms.PasswordInput(
        render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}
    )


class RunbookForm(forms.Form):
    paged_people = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    responders = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="While an incident is open they may post updates through the voices below.",
    )
    official_voices = forms.ModelMultipleChoiceField(
        queryset=Voice.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    paused_categories = forms.MultipleChoiceField(
        choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    update_templates = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="One template per block: a name on the first line, the text below it, blocks "
        "separated by a line of ---. {title}, {summary}, {organization} and {status_page} are "
        "filled in.",
    )
    holding_statements = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Same layout."
    )
    review_rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    alert_emails = forms.BooleanField(required=False, label="E-mail the paged people too")
    # A webhook's address is its secret: the page says whether one is set, and never sends
    # it back (not even the one just typed when the form comes back with an error).
    slack_webhook_url = forms.CharField(
        max_length=500, required=False, label="Slack webhook", widget=_secret()
    )
    clear_slack_webhook = forms.BooleanField(required=False, label="Remove the Slack webhook")
    teams_webhook_url = forms.CharField(
        max_length=500, required=False, label="Teams webhook", widget=_secret()
    )
    clear_teams_webhook = forms.BooleanField(required=False, label="Remove the Teams webhook")

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        people: list[tuple[int, str]],
        runbook: Runbook,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for channel in CHANNELS:
            if runbook.has_webhook(channel):
                hint = "Paste a new address to replace it, or remove it below."
            else:
                hint = "Paste the channel's incoming webhook address."
            self.fields[f"{channel}_webhook_url"].help_text = format_html(
                "{}. {}", _first_up(runbook.webhook_hint(channel)), hint
            )
            if not runbook.has_webhook(channel):
                del self.fields[f"clear_{channel}_webhook"]
        self.fields["paged_people"].choices = people  # type: ignore[attr-defined]
        self.fields["responders"].choices = people  # type: ignore[attr-defined]
        self.fields["official_voices"].queryset = Voice.objects.filter(  # type: ignore[attr-defined]
            organization=organization, kind=VoiceKind.OFFICIAL
        )


class UpdateForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    voices = forms.ModelMultipleChoiceField(
        queryset=Voice.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, voices: list[Voice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voices"].queryset = Voice.objects.filter(pk__in=[v.pk for v in voices])  # type: ignore[attr-defined]


def webhook_change(data: dict[str, Any], channel: str) -> str | None:
    """From a valid ``RunbookForm``: the new address, ``""`` to remove it, ``None`` to keep it."""
    if data.get(f"clear_{channel}_webhook"):
        return ""
    return str(data.get(f"{channel}_webhook_url") or "").strip() or None


def parse_templates(text: str) -> list[dict[str, str]]:
    """Blocks separated by a line of ---; each block's first line is its name."""
    found = []
    for block in text.replace("\r\n", "\n").split("\n---\n"):
        lines = block.strip().split("\n", 1)
        if lines and lines[0].strip():
            name = lines[0].strip()[:80]
            body = lines[1].strip() if len(lines) > 1 else ""
            if body:
                found.append({"name": name, "text": body})
    return found


def format_templates(items: list[dict[str, str]]) -> str:
    return "\n---\n".join(f"{i.get('name', '')}\n{i.get('text', '')}" for i in items)
