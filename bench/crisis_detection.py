"""Measure crisis detection: the CrisisLex T26 crises replayed inside normal customer traffic.

What is replayed:
- **Normal traffic**: the airline tweets (``airline/Tweets.csv``) at their own ``tweet_created``
  times, one real week (17-24 February 2015: the real daily rhythm, real busy days such as the
  storm cancellations of the 22nd and 23rd), plus the inbound twcs messages and the IBM
  customer-care customers' turns, each moved into that week at the same weekday and time of day
  (their own dates are years apart). About 18,500 messages a week; the week repeats, moved by
  seven days, for as long as a run needs.
- **Crises**: each of the 26 CrisisLex T26 events, at the times its tweet ids carry (Twitter
  snowflakes: ``(id >> 22) + 1288834974657`` ms), every tweet of it (related or not), from a day
  before its onset to three days after, moved as one block into the normal traffic: the onset
  lands 48 hours into the run plus a different offset for each crisis (37 hours apart, modulo a
  week), so onsets fall at every time of day and day of the week.
- **Onset**: the first tweet labelled related (informative or not) that is followed by at least
  four more related tweets within 30 minutes: when a reader of the sample could first see the
  crisis happening. It uses the labels, which the detector never sees.

Every message is classified by the product's triage engine (``Triager``, as ``cluetrain
triage`` does, batches of 2,000). The shipped model learned from CrisisLex itself, so each
crisis is classified by the shipped recipe rebuilt without it (``training/build.py``, four
folds of whole events, as ``bench/triage_quality.py`` does). The IBM customer turns did teach
the shipped model (as ordinary messages), which flatters the normal traffic a little.

Figures:
- ``delay_min_<event>``: first alert caused by the crisis minus its onset, in minutes
  (``missed`` when none within three days). An alert is caused by the crisis when the same run
  without the crisis has no alert within 30 minutes of it.
- ``median_detection_delay_min``, ``crises_detected``; ``crisis_alerts_mean``: alerts each
  crisis caused within its three days (one is the aim).
- ``false_alerts_per_day``: alerts on normal traffic alone over the real week, after its first
  day (the warm-up); ``false_alerts_per_day_mixed``: alerts of the mixed runs not caused by a
  crisis, per day of normal traffic replayed. Every alert on normal traffic is listed.
- ``detector_messages_per_s``: the detector with its word extraction (``salient_terms`` then
  ``Detector.add``), as the watch pays it per message, on the replayed messages arriving at
  10,000 a second (the pipeline's target); ``detector_only_messages_per_s``: with the words
  extracted beforehand; ``..._replay_density``: at the replay's own pace (a few a minute, so
  the per-minute work weighs on each); ``triage_engine_messages_per_s``: the engine on the
  normal texts in the same run; ``detector_vs_triage_ratio``: how many times faster.

Honesty: the thresholds (``Thresholds`` in ``cluetrain.crisis.detection``) were set from first
principles before any replay and not changed after. Two rules were added after looking at how
fold 0's seven crises (printed with ``tuning_``) went in the normal week: copies of one post
count once for the word test, and the cooldown follows the alerted episode's signals instead of
silencing everything for two hours. That look saw the normal week's alerts too, so the false
alert figures are not held out from it; no change removed any of them (all four remain). The
headline figures are folds 1-3 (19 crises); one ``--quick`` run of fold 1 was seen before the
two rules were added, and they were not judged on it. ``--quick`` replays fold 1 only, in under
a minute.

    .venv/bin/python bench/crisis_detection.py [--quick]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from cluetrain.crisis.detection import (  # noqa: E402
    AlertDecision,
    Detector,
    Thresholds,
    salient_terms,
)
from cluetrain.crisis.detector_state import to_state  # noqa: E402
from cluetrain.triage.engine import Triager  # noqa: E402
from cluetrain.triage.training import build  # noqa: E402

WEEK = 7 * 86400
WEEK_START = datetime(2015, 2, 17, 8, tzinfo=UTC).timestamp()
SNOWFLAKE_EPOCH_MS = 1288834974657
BATCH = 2000
WARMUP_S = 48 * 3600
BEFORE_S = 24 * 3600
AFTER_S = 72 * 3600
MATCH_S = 30 * 60


@dataclass
class Message:
    at: float
    text: str
    topic: str = ""
    incident: bool = False
    complaint: bool = False
    negative: bool = False
    terms: tuple[str, ...] = ()


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def into_week(at: float) -> float:
    """The same weekday and time of day inside the replayed week."""
    return WEEK_START + (at - WEEK_START) % WEEK


def normal_week() -> list[Message]:
    out = []
    for r in rows(DATA / "airline" / "Tweets.csv"):
        at = datetime.strptime(r["tweet_created"], "%Y-%m-%d %H:%M:%S %z").timestamp()
        out.append(Message(into_week(at), r["text"]))
    for r in rows(DATA / "twcs" / "twcs_random5000.csv"):
        if r["inbound"] == "True":
            at = datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp()
            out.append(Message(into_week(at), r["text"]))
    for r in rows(DATA / "ibm_customer_care" / "ibm_cdp_turns.csv"):
        if r["role"] == "customer":
            at = datetime.fromisoformat(r["datetime"].replace("Z", "+00:00")).timestamp()
            out.append(Message(into_week(at), r["text"]))
    out.sort(key=lambda m: m.at)
    return out


def crisis_streams() -> dict[str, list[tuple[Message, bool]]]:
    """Each event's tweets in time order, with whether the label says it is related."""
    out: dict[str, list[tuple[Message, bool]]] = {}
    for r in rows(DATA / "crisislex" / "crisislex_t26_labeled.csv"):
        at = ((int(r["Tweet ID"]) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000
        related = r["Informativeness"].startswith("Related")
        out.setdefault(r["event"], []).append((Message(at, r["Tweet Text"]), related))
    for stream in out.values():
        stream.sort(key=lambda pair: pair[0].at)
    return out


def onset(stream: list[tuple[Message, bool]]) -> float | None:
    related = [m.at for m, is_related in stream if is_related]
    for i, at in enumerate(related):
        if i + 4 < len(related) and related[i + 4] - at <= 1800:
            return at
    return None


def classify(triager: Triager, messages: list[Message]) -> float:
    """Triage the messages in place; the engine's rate in messages per second."""
    t0 = time.perf_counter()
    for i in range(0, len(messages), BATCH):
        chunk = messages[i : i + BATCH]
        for m, d in zip(chunk, triager.classify([m.text for m in chunk]), strict=True):
            m.topic, m.incident, m.complaint = d.topic, d.incident, d.complaint
            m.negative = d.sentiment_label == "negative"
    rate = len(messages) / (time.perf_counter() - t0)
    for m in messages:
        m.terms = tuple(salient_terms(m.text))
    return rate


def replay(stream: list[Message], thresholds: Thresholds) -> tuple[list[AlertDecision], Detector]:
    detector = Detector(thresholds)
    alerts = []
    for m in stream:
        alert = detector.add(m.at, m.topic, m.incident, m.complaint, m.negative, m.terms)
        if alert is not None:
            alerts.append(alert)
    return alerts, detector


def looped(week: list[Message], start: float, end: float) -> list[Message]:
    out = []
    loop = 0
    while WEEK_START + loop * WEEK < end:
        shift = loop * WEEK
        lo = bisect.bisect_left([m.at for m in week], start - shift)
        for m in week[lo:]:
            at = m.at + shift
            if at >= end:
                break
            out.append(Message(at, m.text, m.topic, m.incident, m.complaint, m.negative, m.terms))
        loop += 1
    return out


def mixed_run(
    week: list[Message], crisis: list[Message], start_onset: float, index: int, t: Thresholds
) -> tuple[float | None, int, int, float]:
    """Replay one crisis in normal traffic: (delay in s, crisis alerts, other alerts, days)."""
    onset_at = WEEK_START + WARMUP_S + (index * 37 * 3600) % WEEK
    shift = onset_at - start_onset
    end = onset_at + AFTER_S
    normal = looped(week, WEEK_START, end)
    moved = [
        Message(m.at + shift, m.text, m.topic, m.incident, m.complaint, m.negative, m.terms)
        for m in crisis
        if start_onset - BEFORE_S <= m.at < start_onset + AFTER_S
    ]
    stream = sorted(normal + moved, key=lambda m: m.at)
    alerts, _ = replay(stream, t)
    normal_alerts, _ = replay(normal, t)
    normal_times = [a.at for a in normal_alerts]

    def from_crisis(a: AlertDecision) -> bool:
        near = any(abs(a.at - x) <= MATCH_S for x in normal_times)
        return a.at >= onset_at - BEFORE_S and not near

    caused = [a for a in alerts if from_crisis(a)]
    others = len(alerts) - len(caused)
    delay = caused[0].at - onset_at if caused else None
    if caused:
        print(f"  {caused[0].at_datetime:%a %H:%M} {caused[0].kind}: {caused[0].headline}")
    return delay, len(caused), others, (end - WEEK_START - 86400) / 86400


def normal_alone(week: list[Message], t: Thresholds, days: float) -> None:
    end = WEEK_START + days * 86400
    stream = looped(week, WEEK_START, end)
    alerts, detector = replay(stream, t)
    counted = [a for a in alerts if a.at >= WEEK_START + 86400]
    half = WEEK_START + 86400 + (days - 1) * 86400 / 2
    for i, a in enumerate(counted, 1):
        print(f"normal_alert_{i}: {a.at_datetime:%Y-%m-%d %H:%M} {a.kind}: {a.headline}")
    print(f"normal_messages: {len(stream)} over {days:g} days")
    print(f"false_alerts_normal_traffic: {len(counted)} in {days - 1:g} days after the warm-up day")
    print(f"false_alerts_per_day: {len(counted) / (days - 1):.2f}")
    second = sum(1 for a in counted if a.at >= half)
    print(f"false_alerts_per_day_second_half: {second / ((days - 1) / 2):.2f}")
    state = json.dumps(to_state(detector))
    print(f"detector_state_json_kb: {len(state) / 1024:.0f}")


def _rate(messages: list[Message], t: Thresholds, extract: bool) -> float:
    detector = Detector(t)
    t0 = time.perf_counter()
    for m in messages:
        terms = salient_terms(m.text) if extract else m.terms
        detector.add(m.at, m.topic, m.incident, m.complaint, m.negative, terms)
    return len(messages) / (time.perf_counter() - t0)


def speed(messages: list[Message], t: Thresholds, triage_rate: float) -> None:
    # At the pipeline's target rate the per-minute work is shared by 600,000 messages; at the
    # replay's own density (about 2 a minute) it is not. Both are measured.
    dense = [
        Message(
            WEEK_START + i / 10_000, m.text, m.topic, m.incident, m.complaint, m.negative, m.terms
        )
        for i, m in enumerate(messages)
    ]
    # The machine is shared: each measure keeps its best of three rounds.
    best = max(_rate(dense, t, True) for _ in range(3))
    best_only = max(_rate(dense, t, False) for _ in range(3))
    sparse = max(_rate(messages, t, True) for _ in range(3))
    print(f"speed_messages: {len(messages)}")
    print(f"detector_messages_per_s: {best:.0f}")
    print(f"detector_only_messages_per_s: {best_only:.0f}")
    print(f"detector_messages_per_s_replay_density: {sparse:.0f}")
    print(f"triage_engine_messages_per_s: {triage_rate:.0f}")
    print(f"detector_vs_triage_ratio: {best / triage_rate:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fold 1 only, under a minute")
    args = parser.parse_args()
    started = time.perf_counter()
    t = Thresholds()
    week = normal_week()
    triage_rate = classify(Triager(), week)
    streams = crisis_streams()
    events = sorted(streams)
    random.Random(26).shuffle(events)  # the folds of bench/triage_quality.py
    folds = [events[i::4] for i in range(4)]
    chosen = [1] if args.quick else [0, 1, 2, 3]
    reported: list[float | None] = []
    tuning: list[float | None] = []
    caused_total = others_total = 0
    days_total = 0.0
    for fold in chosen:
        model = build.build_model(build.all_examples(DATA, exclude_events=folds[fold]))
        triager = Triager(model=model)
        for event in sorted(folds[fold]):
            crisis = [m for m, _ in streams[event]]
            classify(triager, crisis)
            start = onset(streams[event])
            if start is None:
                print(f"delay_min_{event}: no burst in the sample")
                continue
            delay, caused, others, days = mixed_run(week, crisis, start, events.index(event), t)
            prefix = "tuning_" if fold == 0 else ""
            shown = "missed" if delay is None else f"{delay / 60:.1f}"
            print(f"{prefix}delay_min_{event}: {shown} (crisis alerts {caused})")
            (tuning if fold == 0 else reported).append(delay)
            caused_total += caused
            others_total += others
            days_total += days
    for prefix, delays in (("", reported), ("tuning_", tuning)):
        if not delays:
            continue
        found = [d / 60 for d in delays if d is not None]
        median = f"{statistics.median(found):.1f}" if found else "none"
        print(f"{prefix}median_detection_delay_min: {median}")
        print(f"{prefix}crises_detected: {len(found)} of {len(delays)}")
    runs = len(reported) + len(tuning)
    print(f"crisis_alerts_mean: {caused_total / max(1, runs):.2f}")
    print(f"false_alerts_per_day_mixed: {others_total / max(days_total, 1e-9):.2f}")
    normal_alone(week, t, 4.0 if args.quick else 7.0)
    sample = looped(week, WEEK_START, WEEK_START + (2 if args.quick else 7) * WEEK)
    speed(sample, t, triage_rate)
    print(f"wall_s: {time.perf_counter() - started:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
