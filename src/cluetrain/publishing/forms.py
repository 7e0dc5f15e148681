"""Forms of the publishing screens: they read what was typed; the services judge it.

Nothing here decides whether a post may go out. A form turns the request into a ``Draft`` and
a ``Schedule`` (or a list of posting times) and the service says yes or, in plain words, no.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from cluetrain.core.errors import ServiceError
from cluetrain.publishing.drafts import Draft, Upload
from cluetrain.publishing.media import MAX_ATTACHED, MAX_UPLOAD_BYTES
from cluetrain.publishing.models import Category, PostMedia, Visibility, Weekday
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.voices.models import Network, Voice

WHEN_CHOICES = [
    (When.NOW.value, "Publish now"),
    (When.AT.value, "At a date and time"),
    (When.SLOT.value, "Next free queue slot"),
    (When.DRAFT.value, "Save as draft"),
]
IMAGE_SLOTS = range(1, MAX_ATTACHED + 1)
DEFAULTS = {
    "category": Category.OPERATIONAL.value,
    "visibility": Visibility.PUBLIC.value,
    "when": When.NOW.value,
}


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


def voice_ids(data: QueryDict) -> list[int]:
    """The voices chosen on the chips, as ids; what they are is checked by the service."""
    return [int(value) for value in data.getlist("voice") if value.isdigit()][:100]


def variant_field(network: str) -> str:
    return f"variant_{network}"


class ComposerForm(forms.Form):
    """The composer: one text, the voices' chips, variants, media, category and when."""

    text = forms.CharField(
        label="Text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 7, "autofocus": True, "spellcheck": "true"}),
        help_text="A line holding only --- starts the next post of a thread.",
    )
    category = forms.ChoiceField(choices=Category.choices, initial=Category.OPERATIONAL)
    visibility = forms.ChoiceField(
        label="Who sees it on Mastodon", choices=Visibility.choices, initial=Visibility.PUBLIC
    )
    content_warning = forms.CharField(label="Content warning", required=False, max_length=200)
    override_reason = forms.CharField(
        label="Publish despite the blocking finding, because…",
        help_text="Directors only. Your reason is kept in the audit log.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reply_to_url = forms.CharField(
        label="In reply to",
        required=False,
        max_length=500,
        help_text="The address of the post to answer (https://… or at://…).",
    )
    quote_url = forms.CharField(
        label="Quote", required=False, max_length=500, help_text="The address of a post to quote."
    )
    title = forms.CharField(
        label="Title", required=False, max_length=200, help_text="Used by Atom feeds."
    )
    when = forms.ChoiceField(
        label="When", choices=WHEN_CHOICES, initial=When.NOW.value, widget=forms.RadioSelect
    )
    date = forms.DateField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label="Time", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    time_zone = forms.CharField(label="Time zone", required=False, max_length=64)

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # A short form (text and voice only) means: publish now, with the usual choices.
            data = QueryDict(mutable=True)
            if isinstance(self.data, QueryDict):
                data = self.data.copy()
            else:
                data.update(self.data)
            for name, default in DEFAULTS.items():
                if not data.get(name):
                    data[name] = default
            self.data = data
        self.fields["time_zone"].widget = forms.Select(choices=time_zone_choices())
        self.fields["time_zone"].initial = time_zone
        self.default_time_zone = time_zone
        for network, label in Network.choices:
            self.fields[variant_field(network)] = forms.CharField(
                label=f"{label} version",
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 4, "data-network": network}),
            )
        for slot in IMAGE_SLOTS:
            self.fields[f"alt_{slot}"] = forms.CharField(
                label=f"Image {slot} description",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "data-alt-for": f"id_image_{slot}"}),
            )

    def image_slots(self) -> list[tuple[int, forms.BoundField]]:
        return [(slot, self[f"alt_{slot}"]) for slot in IMAGE_SLOTS]

    def variants(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            network: data[variant_field(network)]
            for network in Network.values
            if (data.get(variant_field(network)) or "").strip()
        }

    def uploads(
        self, files: MultiValueDict[str, UploadedFile], kept: list[Upload] | None = None
    ) -> list[Upload]:
        """Images kept from the post being edited, then the new ones, each with its alt text."""
        found = list(kept or [])
        for slot in IMAGE_SLOTS:
            upload = files.get(f"image_{slot}")
            if upload is None:
                continue
            # One byte past the limit is enough for the service to say it is too big.
            data = upload.read(MAX_UPLOAD_BYTES + 1)
            found.append(
                Upload(data, upload.name or f"image-{slot}", self.cleaned_data[f"alt_{slot}"])
            )
        return found

    def draft(
        self, voices: list[Voice], media: list[Upload], link_preview: dict[str, str]
    ) -> Draft:
        data = self.cleaned_data
        return Draft(
            text=data["text"],
            voices=voices,
            variants=self.variants(),
            category=data["category"],
            media=media,
            title=data["title"],
            visibility=data["visibility"],
            content_warning=data["content_warning"],
            reply_to_url=data["reply_to_url"],
            quote_url=data["quote_url"],
            link_preview=link_preview,
            override_reason=data.get("override_reason", ""),
        )

    def schedule(self) -> Schedule:
        data = self.cleaned_data
        when = When(data["when"])
        time_zone = (data.get("time_zone") or self.default_time_zone).strip()
        if when != When.AT:
            return Schedule(when, None, time_zone)
        day: date | None = data.get("date")
        at: time | None = data.get("time")
        if day is None or at is None:
            raise ServiceError("Give the date and the time to publish at.", code="when")
        # A wall-clock time on purpose: the service converts it in the chosen zone.
        return Schedule(when, datetime.combine(day, at), time_zone)


def kept_media(post_media: list[PostMedia], data: QueryDict) -> list[Upload]:
    """The images of a post being edited that the person kept, with their (new) alt text."""
    kept = []
    for media in post_media:
        if not data.get(f"keep_media_{media.pk}"):
            continue
        with media.file.open("rb") as handle:
            content = handle.read()
        name = media.file.name.rsplit("/", 1)[-1]
        kept.append(Upload(content, name, data.get(f"media_alt_{media.pk}", media.alt_text)))
    return kept


class EditPublishedForm(forms.Form):
    text = forms.CharField(
        label="New wording",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 7, "autofocus": True}),
    )


class MoveForm(forms.Form):
    """A new place on the calendar: a local date, and a local time (kept when left out)."""

    date = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label="Time", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )


_TIMES = re.compile(r"[\s,;]+")


class QueueForm(forms.Form):
    """A voice's posting times: one line of times (like 09:30, 17:00) per weekday."""

    def __init__(self, *args: Any, slots: list[tuple[int, time]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        by_day: dict[int, list[str]] = {}
        for day, at in slots or []:
            by_day.setdefault(day, []).append(f"{at:%H:%M}")
        for day, label in Weekday.choices:
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=400,
                initial=", ".join(by_day.get(day, [])),
                widget=forms.TextInput(attrs={"placeholder": "e.g. 09:30, 17:00"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        slots: list[tuple[int, time]] = []
        for day in Weekday.values:
            for value in _TIMES.split(data.get(f"day_{day}") or ""):
                if not value:
                    continue
                try:
                    slots.append((day, time.fromisoformat(value.zfill(5))))
                except ValueError:
                    self.add_error(
                        f"day_{day}", f"“{value}” is not a time; write times like 09:30 or 17:00."
                    )
        data["slots"] = slots
        return data
