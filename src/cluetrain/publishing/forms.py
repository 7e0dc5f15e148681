from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from cluetrain.voices.models import Voice


class PublishForm(forms.Form):
    voice = forms.ModelChoiceField(queryset=Voice.objects.none(), empty_label=None)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args: Any, voices: QuerySet[Voice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voice"].queryset = voices  # type: ignore[attr-defined]
