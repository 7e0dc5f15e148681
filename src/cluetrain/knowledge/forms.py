"""Forms of the facts pages; the services do the checking that matters."""

from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.knowledge.models import MAX_STATEMENT
from cluetrain.knowledge.services import MAX_REVIEW_DAYS
from cluetrain.organizations.models import Department, Organization, Person


class FactForm(forms.Form):
    statement = forms.CharField(
        max_length=MAX_STATEMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One verified statement, as staff may say it.",
    )
    sources = forms.CharField(
        required=False,
        max_length=5500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line: a web address (http or https) or a citation.",
    )
    topics = forms.CharField(
        required=False, max_length=500, help_text="Separated by commas, e.g. refunds, delays."
    )
    departments = forms.ModelMultipleChoiceField(queryset=Department.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    review_interval_days = forms.IntegerField(
        min_value=1, max_value=MAX_REVIEW_DAYS, initial=180, label="Review every (days)"
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            organization=organization
        )
        self.fields["owner"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            memberships__organization=organization, memberships__is_active=True
        ).order_by("full_name")


class AskForm(forms.Form):
    text = forms.CharField(
        max_length=2000,
        label="Your question",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='"Can we say …?" or "Who knows about …?"',
    )
    topic = forms.CharField(max_length=60, required=False)
