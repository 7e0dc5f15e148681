"""Forms of the review queue and the autonomy page."""

from __future__ import annotations

from django import forms

from cluetrain.publishing.models import Category
from cluetrain.reviews.models import Level, ReviewPolicy
from cluetrain.reviews.services import MAX_COMMENT


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Comment", max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 3})
    )


class LevelForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    level = forms.ChoiceField(choices=Level.choices)
    reason = forms.CharField(label="Why", max_length=500)


class DeclineForm(forms.Form):
    reason = forms.CharField(label="Why (optional)", max_length=500, required=False)


class PolicyForm(forms.ModelForm[ReviewPolicy]):
    reviewed_categories = forms.MultipleChoiceField(
        label="Always reviewed",
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ReviewPolicy
        fields = [
            "reviewed_categories",
            "expiry_hours",
            "min_reviewed_posts",
            "min_approval_rate",
            "block_free_days",
            "academy_modules_required",
        ]
        labels = {
            "expiry_hours": "A review expires after (hours)",
            "min_reviewed_posts": "Reviewed posts needed for autonomy",
            "min_approval_rate": "Share approved without changes (0 to 1)",
            "block_free_days": "Days without a blocking finding",
            "academy_modules_required": "Academy modules needed",
        }

    def clean_min_approval_rate(self) -> float:
        rate = float(self.cleaned_data["min_approval_rate"])
        if not 0 <= rate <= 1:
            raise forms.ValidationError("Give a share between 0 and 1, e.g. 0.9 for 90 %.")
        return rate

    def clean_expiry_hours(self) -> int:
        hours = int(self.cleaned_data["expiry_hours"])
        if hours < 1:
            raise forms.ValidationError("A review needs at least an hour.")
        return hours
