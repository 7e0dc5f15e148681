"""The form of a source on Settings → Listening."""

from __future__ import annotations

from typing import Any

from django import forms

from cluetrain.listening.models import SourceKind
from cluetrain.organizations.models import Organization
from cluetrain.voices.models import Network, Voice

KINDS = [(k.value, k.label) for k in SourceKind if k != SourceKind.IMPORT]


class SourceForm(forms.Form):
    kind = forms.ChoiceField(choices=KINDS)
    name = forms.CharField(max_length=120)
    url = forms.CharField(
        max_length=500,
        required=False,
        label="Address",
        help_text="Feed address; Bluesky server or relay (empty: your voice's server).",
    )
    voice = forms.ModelChoiceField(
        queryset=Voice.objects.none(),
        required=False,
        help_text="Mastodon: the account whose mentions to read.",
    )
    keywords = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    hashtags = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    domains = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    enabled = forms.BooleanField(required=False, initial=True, label="Listening")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voice"].queryset = Voice.objects.filter(  # type: ignore[attr-defined]
            organization=organization, network=Network.MASTODON
        )
