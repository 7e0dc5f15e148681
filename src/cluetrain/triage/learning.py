"""Retraining an organisation's own triage model from its people's corrections, and keeping
the newest one loaded in each process.

Every correction asks for a retraining a few minutes later (``schedule``): corrections come
in bursts, so one job per organisation per ``DEBOUNCE_SECONDS`` learns from the whole burst.
A periodic sweep catches any request that was lost. ``retrain`` is idempotent: it stores a
new version only when there are corrections the newest version has not seen.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from cluetrain.triage.engine.orgmodel import Example, OrgModel
from cluetrain.triage.models import Correction, TrainedModel

logger = logging.getLogger(__name__)

KEEP_VERSIONS = 5
DEBOUNCE_SECONDS = 180
# How often a process asks whether a newer version exists (one indexed query).
CHECK_SECONDS = 10.0


def examples_of(organization_id: int) -> tuple[list[Example], int]:
    """The organisation's corrections as (text, {field: label}) examples; the latest
    correction of each message's field wins. Also returns how many corrections were read."""
    latest: dict[tuple[object, str], tuple[str, str]] = {}
    count = 0
    rows = (
        Correction.objects.filter(organization_id=organization_id)
        .order_by("made_at", "id")
        .values_list("message_id", "text", "field", "new_value")
    )
    for message_id, text, field, label in rows.iterator(chunk_size=2000):
        count += 1
        # A message deleted since keeps its example under its text.
        key: object = message_id if message_id is not None else ("text", text)
        latest[(key, field)] = (text, label)
    grouped: dict[object, tuple[str, dict[str, str]]] = {}
    for (owner, field), (text, label) in latest.items():
        grouped.setdefault(owner, (text, {}))[1][field] = label
    return list(grouped.values()), count


def needs_retraining(organization_id: int) -> bool:
    newest = (
        TrainedModel.objects.filter(organization_id=organization_id)
        .order_by("-version")
        .values_list("trained_at", flat=True)
        .first()
    )
    corrections = Correction.objects.filter(organization_id=organization_id)
    if newest is not None:
        corrections = corrections.filter(made_at__gt=newest)
    return corrections.exists()


def retrain(organization_id: int, *, force: bool = False) -> TrainedModel | None:
    """Train a new version from every correction when there are new ones (or ``force``);
    returns it, or None when there was nothing new (or another worker stored it first)."""
    started = timezone.now()
    latest = (
        TrainedModel.objects.filter(organization_id=organization_id).order_by("-version").first()
    )
    if not force and not needs_retraining(organization_id):
        return None
    examples, _ = examples_of(organization_id)
    if not examples:
        return None
    model = OrgModel.train(examples)
    try:
        with transaction.atomic():
            stored = TrainedModel.objects.create(
                organization_id=organization_id,
                version=(latest.version if latest else 0) + 1,
                data=model.to_bytes(),
                examples=len(examples),
                fields=list(model.fields),
            )
            # Stamped with when the corrections were read, so a correction made while the
            # model trained counts as new and is learned next time.
            TrainedModel.objects.filter(pk=stored.pk).update(trained_at=started)
            stored.trained_at = started
            keep = list(
                TrainedModel.objects.filter(organization_id=organization_id)
                .order_by("-version")
                .values_list("pk", flat=True)[:KEEP_VERSIONS]
            )
            TrainedModel.objects.filter(organization_id=organization_id).exclude(
                pk__in=keep
            ).delete()
    except IntegrityError:
        # Another worker stored this version first; it learned the same corrections.
        return None
    forget(organization_id)
    logger.info(
        "organisation %s: triage model v%s from %d examples (%s)",
        organization_id,
        stored.version,
        len(examples),
        ", ".join(model.fields) or "no field had enough examples yet",
    )
    return stored


def schedule(organization_id: int) -> bool:
    """Ask for a retraining in ``DEBOUNCE_SECONDS``, unless one is already asked for; True if
    this call asked. Call after the correction is committed."""
    from cluetrain.triage.tasks import retrain_organization

    if not cache.add(f"triage:retrain:{organization_id}", 1, timeout=DEBOUNCE_SECONDS):
        return False
    retrain_organization.using(
        run_after=timezone.now() + timedelta(seconds=DEBOUNCE_SECONDS)
    ).enqueue(organization_id)
    return True


def organizations_to_retrain() -> list[int]:
    """Organisations with corrections newer than their newest model (the periodic sweep)."""
    corrected = dict(
        Correction.objects.values_list("organization_id")
        .annotate(last=Max("made_at"))
        .values_list("organization_id", "last")
    )
    trained = dict(
        TrainedModel.objects.values_list("organization_id")
        .annotate(last=Max("trained_at"))
        .values_list("organization_id", "last")
    )
    return sorted(
        org for org, last in corrected.items() if org not in trained or trained[org] < last
    )


# -- The model in use, per process ------------------------------------------------------------


@dataclass
class _Loaded:
    version: int
    model: OrgModel | None
    checked: float


_loaded: dict[int, _Loaded] = {}
_lock = threading.Lock()


def model_for(organization_id: int) -> OrgModel | None:
    """The organisation's newest model (None before its first), loaded once per process and
    reloaded when a newer version appears (checked at most every ``CHECK_SECONDS``)."""
    now = time.monotonic()
    held = _loaded.get(organization_id)
    if held is not None and now - held.checked < CHECK_SECONDS:
        return held.model
    version = (
        TrainedModel.objects.filter(organization_id=organization_id)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if held is not None and held.version == (version or 0):
        held.checked = now
        return held.model
    model = None
    if version is not None:
        data = (
            TrainedModel.objects.filter(organization_id=organization_id, version=version)
            .values_list("data", flat=True)
            .first()
        )
        try:
            model = OrgModel.from_bytes(bytes(data)) if data is not None else None
        except ValueError:
            logger.exception(
                "organisation %s: triage model v%s unreadable", organization_id, version
            )
    with _lock:
        _loaded[organization_id] = _Loaded(version or 0, model, now)
    return model


def forget(organization_id: int | None = None) -> None:
    """Drop the loaded model(s) so the next ``model_for`` reads the newest."""
    with _lock:
        if organization_id is None:
            _loaded.clear()
        else:
            _loaded.pop(organization_id, None)


def status_of(organization_id: int) -> dict[str, object]:
    """What the settings page shows about the organisation's model."""
    versions = list(
        TrainedModel.objects.filter(organization_id=organization_id)
        .order_by("-version")
        .values("version", "examples", "fields", "trained_at")
    )
    corrections = Correction.objects.filter(organization_id=organization_id)
    by_field = dict(
        corrections.order_by()
        .values_list("field")
        .annotate(n=Count("id"))
        .values_list("field", "n")
    )
    return {
        "versions": versions,
        "corrections": sum(by_field.values()),
        "by_field": by_field,
        "pending": needs_retraining(organization_id),
    }
