"""The incident detector's memory as JSON (``WatchState.state``), so a restarted watch goes on
where the last one stopped instead of warming up again."""

from __future__ import annotations

import math
from typing import Any

from cluetrain.crisis.buckets import Bucket, merge
from cluetrain.crisis.detection import STATE_VERSION, Detector, Thresholds


def to_state(detector: Detector) -> dict[str, Any]:
    """Everything the detector knows, as JSON-ready data (for ``WatchState.state``)."""
    d = detector
    return {
        "version": STATE_VERSION,
        "minute": d.minute,
        "first_at": d.first_at,
        "current": d.current.as_json(),
        "buckets": [b.as_json() for b in d.buckets],
        "history": list(d.history),
        "ref": d.ref,
        "base": d.base,
        "base_negative": d.base_negative,
        "base_seconds": d.base_seconds,
        "base_messages": d.base_messages,
        "quiet_until": d.quiet_until if math.isfinite(d.quiet_until) else None,
        "episode": sorted(d.episode),
        "episode_until": d.episode_until if math.isfinite(d.episode_until) else None,
        "late": d.late,
        "skipped": d.skipped,
        "recent": {
            str(k): v
            for k, v in d.recent.items()
            if d.minute is None or v >= d.minute - d.t.window_minutes
        },
    }


def from_state(state: object, thresholds: Thresholds | None = None) -> Detector:
    """A detector from ``to_state``'s data; a fresh one when the data is missing, from another
    version or damaged (the watch then only needs its warm-up again)."""
    # Thresholds are not stored: a release that changes them applies to every organisation.
    thresholds = thresholds or Thresholds()
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return Detector(thresholds)
    try:
        return _restore(state, thresholds)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError):
        return Detector(thresholds)


def _restore(state: dict[str, Any], thresholds: Thresholds) -> Detector:
    d = Detector(thresholds)
    d.minute = None if state["minute"] is None else int(state["minute"])
    d.first_at = None if state["first_at"] is None else float(state["first_at"])
    d.current = Bucket(*state["current"])
    for raw in state["buckets"][-thresholds.window_minutes :]:
        bucket = Bucket(*raw)
        d.buckets.append(bucket)
        merge(d.window.n, bucket.n)
        merge(d.window.negative, bucket.negative)
        merge(d.window.troubled, bucket.troubled)
    d.history.extend(int(v) for v in state["history"])
    d.ref = None if state["ref"] is None else float(state["ref"])
    d.base = {str(k): float(v) for k, v in state["base"].items()}
    d.base_negative = {str(k): float(v) for k, v in state["base_negative"].items()}
    d.base_seconds = float(state["base_seconds"])
    d.base_messages = int(state["base_messages"])
    quiet = state.get("quiet_until")
    d.quiet_until = -math.inf if quiet is None else float(quiet)
    d.episode = {str(k) for k in state.get("episode", ())}
    until = state.get("episode_until")
    d.episode_until = -math.inf if until is None else float(until)
    d.late = int(state.get("late", 0))
    d.skipped = int(state.get("skipped", 0))
    d.recent = {int(k): int(v) for k, v in state.get("recent", {}).items()}
    if d.minute is not None and d.ref is None:
        raise ValueError("a clock without a reference time")
    return d
