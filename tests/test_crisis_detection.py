"""Crisis detection: the detector on its own, and the watch that runs it over the stream."""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.crisis import detection, watch
from cluetrain.crisis.detection import (
    AlertDecision,
    Detector,
    Observation,
    Thresholds,
    log10_poisson_tail,
    salient_terms,
)
from cluetrain.crisis.detector_state import from_state, to_state
from cluetrain.crisis.models import WatchState
from cluetrain.listening.models import Author, Direction, Message

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC).timestamp()
VOCABULARY = [f"word{i}" for i in range(300)]
TOPICS = ["delay", "baggage", "booking", "refund", ""]


def steady(hours: float, per_10_min: int = 20, seed: int = 1, start: float = START) -> list[Any]:
    """Ordinary traffic: a steady rate, six in ten negative, one in twenty an incident report,
    and 'delayed' in one message in fifty."""
    rng = random.Random(seed)
    gap = 600 / per_10_min
    out = []
    for i in range(int(hours * 3600 / gap)):
        terms = rng.sample(VOCABULARY, 4)
        if rng.random() < 0.02:
            terms.append("delayed")
        out.append(
            Observation(
                at=start + i * gap + rng.random() * gap * 0.5,
                topic=rng.choice(TOPICS),
                incident=rng.random() < 0.05,
                complaint=rng.random() < 0.3,
                sentiment_label="negative" if rng.random() < 0.6 else "neutral",
                terms=terms,
            )
        )
    return out


def surge(at: float, count: int, minutes: float = 8, term: str = "delayed") -> list[Any]:
    rng = random.Random(int(at))
    return [
        Observation(
            at=at + i * minutes * 60 / count,
            topic="delay",
            complaint=True,
            sentiment_label="negative",
            terms=[term, *rng.sample(VOCABULARY, 3)],
        )
        for i in range(count)
    ]


def run(observations: list[Any], detector: Detector | None = None) -> list[AlertDecision]:
    detector = detector or Detector()
    observations = sorted(observations, key=lambda o: o.at)
    return detector.observe_many(observations)


# --- the detector -------------------------------------------------------------------------


def test_steady_traffic_gives_no_alert() -> None:
    assert run(steady(48)) == []


def test_a_daily_rhythm_gives_no_alert() -> None:
    # Quiet nights, busy days: nine times the rate at the peak, as customer traffic has.
    observations = []
    for day in range(3):
        for hour in range(24):
            rate = 4 + 32 * max(0.0, math.sin(math.pi * (hour - 6) / 18)) if hour >= 6 else 4
            start = START + day * 86400 + hour * 3600
            observations += steady(1, per_10_min=int(rate), seed=day * 24 + hour, start=start)
    assert run(observations) == []


def test_a_surge_gives_one_alert_with_a_headline_a_person_can_read() -> None:
    onset = START + 30 * 3600
    alerts = run(steady(36) + surge(onset, 40))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.kind == "term"
    match = re.fullmatch(
        r"possible incident: 'delayed' \+([\d,]+) % in 10 minutes, (\d+) % negative", alert.headline
    )
    assert match, alert.headline
    lead = alert.evidence["signals"][0]
    lead = next(s for s in alert.evidence["signals"] if s["kind"] == "term")
    assert lead["key"] == "delayed"
    assert int(match[1].replace(",", "")) == lead["change_percent"]
    assert lead["change_percent"] == pytest.approx(
        100 * (lead["count"] / lead["expected"] - 1), rel=0.01
    )
    assert int(match[2]) == round(100 * lead["negative_share"])
    assert int(match[2]) >= 80  # the surge is all negative, the usual traffic 60 %
    assert onset <= alert.at <= onset + 15 * 60
    assert alert.evidence["window_minutes"] == 10


def test_a_word_never_seen_before_is_named_without_a_silly_percentage() -> None:
    alerts = run(steady(36) + surge(START + 30 * 3600, 40, term="derailed"))
    assert len(alerts) == 1
    assert alerts[0].headline.startswith("possible incident: 'derailed' in ")
    assert "(usually none) in 10 minutes" in alerts[0].headline


def test_a_surge_of_one_shared_post_is_one_voice() -> None:
    onset = START + 30 * 3600
    shared = [
        Observation(at=onset + i * 10, sentiment_label="negative", terms=["fleek", "fleet's", "on"])
        for i in range(40)
    ]
    assert [a.kind for a in run(steady(36) + shared)] != ["term"]


def test_happy_surges_are_not_incidents() -> None:
    onset = START + 30 * 3600
    happy = [
        Observation(at=onset + i * 12, sentiment_label="positive", terms=["congrats", f"w{i}", "x"])
        for i in range(40)
    ]
    assert run(steady(36) + happy) == []


def test_a_long_crisis_gives_one_alert_and_a_later_one_gives_another() -> None:
    first = START + 30 * 3600
    crisis = []
    for k in range(9):  # ninety minutes of it
        crisis += surge(first + k * 600, 30, minutes=10)
    second = first + 8 * 3600
    alerts = run(steady(48) + crisis + surge(second, 60, term="flooded"))
    assert len(alerts) == 2
    assert "'delayed'" in alerts[0].headline
    assert "'flooded'" in alerts[1].headline
    assert alerts[1].at >= second


def test_no_alert_before_the_baseline_has_warmed_up() -> None:
    assert run(steady(2) + surge(START + 3600, 40)) == []


def test_the_state_survives_json_and_resumes_exactly() -> None:
    observations = sorted(steady(36) + surge(START + 30 * 3600, 40), key=lambda o: o.at)
    whole = run(observations)
    detector = Detector()
    half = len(observations) * 9 // 10
    before = detector.observe_many(observations[:half])
    restored = from_state(json.loads(json.dumps(to_state(detector))))
    after = restored.observe_many(observations[half:])
    assert [(a.at, a.headline) for a in before + after] == [(a.at, a.headline) for a in whole]
    assert json.loads(json.dumps(to_state(restored))) == to_state(restored)


def test_a_damaged_or_foreign_state_gives_a_fresh_detector() -> None:
    for state in (None, {}, [], "x", {"version": 99}, {"version": 1, "minute": "x"}):
        detector = from_state(state)
        assert detector.minute is None
        detector.observe(Observation(at=START))


def test_cooldown_of_a_restored_detector_holds() -> None:
    onset = START + 30 * 3600
    observations = sorted(steady(36) + surge(onset, 40), key=lambda o: o.at)
    until = [o for o in observations if o.at < onset + 12 * 60]
    detector = Detector()
    assert len(detector.observe_many(until)) == 1
    restored = from_state(json.loads(json.dumps(to_state(detector))))
    more = surge(onset + 12 * 60, 40) + surge(onset + 25 * 60, 40)
    assert restored.observe_many(sorted(more, key=lambda o: o.at)) == []


def test_bad_input_never_crashes() -> None:
    detector = Detector(Thresholds(warmup_hours=0, warmup_messages=0))
    odd = [
        "",
        None,
        12,
        "\u202e\u200b\ufeff",
        "\ud800 broken surrogate",
        "\uff26\uff35\uff2c\uff2c\u3000\uff37\uff29\uff24\uff34\uff28 \U0001f525\U0001f525 fire",
        "<script>x</script>&amp;",
        "a" * 100_000,
        "\x00\x01",
    ]
    for text in odd:
        assert isinstance(salient_terms(text), list)
    times: list[Any] = [
        datetime(2026, 3, 2, 12, 0),  # naive: taken as UTC
        datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        START,
        START - 86400 * 3,  # far out of order
        START + 30,
        START + 10,  # slightly out of order
        float("nan"),
        float("inf"),
        None,
        "not a time",
        -1.0,
        START + 86400 * 365 * 50,  # far in the future
        START + 86400 * 365 * 50 + 60,
    ]
    for i, at in enumerate(times):
        detector.observe(
            Observation(at=at, topic=None, terms=salient_terms(odd[i % len(odd)]))  # type: ignore[arg-type]
        )
        detector.add(at, "", True, True, True, "not a list of words")  # type: ignore[arg-type]
    detector.advance(START + 86400 * 365 * 60)
    json.dumps(to_state(detector))
    assert detector.skipped >= 4


def test_a_word_twice_in_one_message_counts_once() -> None:
    detector = Detector()
    detector.add(START, "", False, False, True, ["fire", "fire", "fire"])
    assert detector.current.n["fire"] == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True),
                st.integers(min_value=-(10**12), max_value=10**12),
                st.datetimes(),
                st.none(),
            ),
            st.text(max_size=40),
            st.booleans(),
            st.booleans(),
            st.booleans(),
            st.text(max_size=200),
        ),
        max_size=60,
    )
)
def test_any_stream_at_all_is_taken_in_and_its_state_survives_json(rows: list[Any]) -> None:
    detector = Detector(Thresholds(warmup_hours=0, warmup_messages=0, min_count=2))
    for at, topic, incident, complaint, negative, text in rows:
        detector.add(at, topic, incident, complaint, negative, salient_terms(text))
    state = json.loads(json.dumps(to_state(detector)))
    restored = from_state(state, detector.t)
    assert to_state(restored) == state


def test_salient_terms_leave_out_what_says_nothing() -> None:
    terms = salient_terms("RT @AP: The train is DERAILED near #Spuyten http://t.co/x 42 de la")
    assert terms == ["train", "derailed", "near", "spuyten"]


def test_the_poisson_tail_bounds_the_exact_one_closely() -> None:
    def exact(n: int, lam: float) -> float:
        below = sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(n))
        return math.log10(1 - below)

    for n, lam in ((10, 1.0), (20, 5.0), (8, 0.5)):
        bound = log10_poisson_tail(n, lam)
        assert exact(n, lam) <= bound + 1e-9
        assert bound - exact(n, lam) < 0.2
    assert log10_poisson_tail(3, 5.0) == 0.0
    assert log10_poisson_tail(3, 0.0) == -math.inf


def test_the_detector_keeps_up_with_the_stream() -> None:
    # Counts, not timing, are asserted elsewhere; this only guards against a detector that
    # does per-message work proportional to its history.
    observations = steady(24, per_10_min=600)
    detector = Detector()
    detector.observe_many(observations)
    assert len(detector.buckets) <= detector.t.window_minutes
    assert len(detector.base) <= detector.t.max_terms * 3 // 2


# --- the watch ----------------------------------------------------------------------------

FAST = Thresholds(warmup_hours=1, warmup_messages=50)
_serial = itertools.count(1)


def _author(organization: Any) -> Author:
    now = datetime.now(UTC)
    return Author.objects.create(
        organization=organization,
        network="bluesky",
        external_id=f"did:plc:watch{next(_serial)}",
        first_seen_at=now,
        last_seen_at=now,
    )


def _messages(organization: Any, rows: list[tuple[datetime, str, bool]], **extra: Any) -> None:
    """(time, text, negative) rows as triaged messages, stored in time order."""
    author = _author(organization)
    rows = sorted(rows, key=lambda row: row[0])
    Message.objects.bulk_create(
        Message(
            organization=organization,
            network="bluesky",
            external_id=f"at://watch/{next(_serial)}",
            author=author,
            text=text,
            created_at=at,
            received_at=at,
            triaged_at=at,
            intent="complaint",
            complaint=negative,
            sentiment=-0.6 if negative else 0.2,
            sentiment_label="negative" if negative else "neutral",
            topic="delay" if negative else "",
            **extra,
        )
        for at, text, negative in rows
    )


def _ordinary(now: datetime, hours: int = 2) -> Iterator[tuple[datetime, str, bool]]:
    rng = random.Random(3)
    for i in range(hours * 60):
        words = " ".join(rng.sample(VOCABULARY, 4))
        yield now - timedelta(hours=hours) + timedelta(minutes=i), f"hello {words}", i % 3 == 0


def _crisis(now: datetime) -> list[tuple[datetime, str, bool]]:
    rng = random.Random(4)
    return [
        (
            now - timedelta(minutes=8) + timedelta(seconds=10 * i),
            f"the train derailed {' '.join(rng.sample(VOCABULARY, 3))}",
            True,
        )
        for i in range(40)
    ]


@pytest.fixture
def raised(monkeypatch: pytest.MonkeyPatch) -> list[AlertDecision]:
    calls: list[AlertDecision] = []
    monkeypatch.setattr(watch, "THRESHOLDS", FAST)
    monkeypatch.setattr(watch, "raise_alert", lambda organization, d: calls.append(d))
    return calls


@pytest.mark.django_db(transaction=True)
def test_the_watch_reads_by_cursor_and_raises_the_alert(cast: Any, raised: list[Any]) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.acme, [*_ordinary(now), *_crisis(now)])
    _messages(cast.globex, list(_ordinary(now)))  # another organisation's stream
    run = watch.watch_organization(cast.acme.pk, now=now)
    assert run.read == 160
    assert run.stored
    state = WatchState.objects.get(organization=cast.acme)
    # The cursor is a position in the whole stream: it passes other organisations' rows too.
    assert state.last_message_id == Message.objects.latest("id").pk
    assert state.state["version"] == detection.STATE_VERSION
    assert len(raised) == 1
    assert re.match(r"possible incident: '(train|derailed)' in \d+ messages", raised[0].headline)
    assert raised[0].kind == "term"
    examples = Message.objects.filter(pk__in=raised[0].evidence["message_ids"])
    assert examples.count() >= 8
    assert all(m.organization_id == cast.acme.pk and "derailed" in m.text for m in examples)


@pytest.mark.django_db(transaction=True)
def test_the_watch_run_twice_raises_once(
    cast: Any, raised: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.acme, [*_ordinary(now), *_crisis(now)])
    stale = WatchState.objects.create(organization=cast.acme)
    watch.watch_organization(cast.acme.pk, now=now)
    again = watch.watch_organization(cast.acme.pk, now=now)
    assert again.read == 0
    assert len(raised) == 1

    # A run that read from the same cursor at the same time as the first loses the write.
    original = WatchState.objects.get_or_create

    def stale_copy(**kwargs: Any) -> tuple[WatchState, bool]:
        original(**kwargs)
        return stale, False

    monkeypatch.setattr(WatchState.objects, "get_or_create", stale_copy)
    late = watch.watch_organization(cast.acme.pk, now=now)
    assert late.read == 160
    assert not late.stored
    assert len(raised) == 1


@pytest.mark.django_db(transaction=True)
def test_the_watch_waits_for_triage_and_skips_our_replies(cast: Any, raised: list[Any]) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.acme, list(_ordinary(now, hours=1)))
    _messages(cast.acme, [(now, "our reply", False)], direction=Direction.OUTBOUND)
    first = watch.watch_organization(cast.acme.pk, now=now)
    assert first.read == 60
    _messages(cast.acme, [(now, "heard, not yet triaged", False)])
    Message.objects.filter(text="heard, not yet triaged").update(triaged_at=None)
    held = WatchState.objects.get(organization=cast.acme).last_message_id
    _messages(cast.acme, [(now, "after it", False)])
    assert watch.watch_organization(cast.acme.pk, now=now).read == 0
    assert WatchState.objects.get(organization=cast.acme).last_message_id == held
    # Long untriaged, it is passed over.
    later = now + watch.UNTRIAGED_WAIT + timedelta(minutes=1)
    assert watch.watch_organization(cast.acme.pk, now=later).read == 1


@pytest.mark.django_db(transaction=True)
def test_history_coming_in_late_pages_nobody(cast: Any, raised: list[Any]) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    past = now - timedelta(days=30)
    _messages(cast.acme, [*_ordinary(past), *_crisis(past)])
    run = watch.watch_organization(cast.acme.pk, now=now)
    assert run.stale_alerts == 1
    assert raised == []


@pytest.mark.django_db(transaction=True)
def test_the_periodic_job_watches_every_organisation(cast: Any, raised: list[Any]) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.acme, list(_ordinary(now, hours=1)))
    _messages(cast.globex, list(_ordinary(now, hours=1)))
    watch.watch_streams.call()
    assert WatchState.objects.filter(last_message_id__gt=0).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_stream_is_read_once_for_every_organisation(cast: Any, raised: list[Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.acme, list(_ordinary(now, hours=1)))
    _messages(cast.globex, list(_ordinary(now, hours=1)))
    with CaptureQueriesContext(connection) as queries:
        runs = watch.watch_organizations([cast.acme.pk, cast.globex.pk], now=now)
    assert runs[cast.acme.pk].read == 60
    assert runs[cast.globex.pk].read == 60
    reads = [q for q in queries.captured_queries if 'FROM "listening_message"' in q["sql"]]
    assert len(reads) == 1


@pytest.mark.django_db(transaction=True)
def test_one_organisations_failure_does_not_blind_the_others(
    cast: Any, raised: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.acme, [*_ordinary(now), *_crisis(now)])
    _messages(cast.globex, [*_ordinary(now), *_crisis(now)])

    def fail_for_acme(organization: Any, decision: AlertDecision) -> None:
        if organization.pk == cast.acme.pk:
            raise RuntimeError("the mail server is down")
        raised.append(decision)

    monkeypatch.setattr(watch, "raise_alert", fail_for_acme)
    assert watch.watch_streams.call() == 1
    assert len(raised) == 1
    # Acme's cursor did not move: the next run tries its alert again.
    assert WatchState.objects.get(organization=cast.acme).last_message_id == 0
    monkeypatch.setattr(watch, "raise_alert", lambda organization, d: raised.append(d))
    watch.watch_organization(cast.acme.pk, now=now)
    assert len(raised) == 2


@pytest.mark.django_db(transaction=True)
def test_an_organisation_reading_its_history_does_not_hold_the_others_back(
    cast: Any, raised: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "BATCH", 20)
    monkeypatch.setattr(watch, "MAX_PER_RUN", 50)
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.globex, list(_ordinary(now, hours=2)))
    WatchState.objects.create(
        organization=cast.acme, last_message_id=Message.objects.latest("id").pk
    )
    _messages(cast.acme, list(_ordinary(now, hours=1))[:10])
    runs = watch.watch_organizations([cast.acme.pk, cast.globex.pk], now=now)
    assert runs[cast.acme.pk].read == 10
    assert 40 <= runs[cast.globex.pk].read <= 60
    lagging = WatchState.objects.get(organization=cast.globex).last_message_id
    assert 0 < lagging < Message.objects.filter(organization=cast.globex).latest("id").pk


@pytest.mark.django_db(transaction=True)
def test_real_crisis_tweets_taken_in_as_listeners_do_raise_an_alert(
    cast: Any, raised: list[Any]
) -> None:
    import csv

    from cluetrain.listening.heard import Heard
    from cluetrain.triage.pipeline import take_in
    from tests.support.data import real_data

    def read(relative: str, column: str, **where: str) -> list[str]:
        with open(real_data(relative), encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if all(r[k] == v for k, v in where.items())]
        return [r[column] for r in rows]

    customers = read("airline/Tweets.csv", "text")[:110]
    crisis = read(
        "crisislex/crisislex_t26_labeled.csv",
        "Tweet Text",
        event="2013_Boston_bombings",
        Informativeness="Related and informative",
    )[:60]
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    timed = [(now - timedelta(minutes=120 - i), text) for i, text in enumerate(customers)]
    timed += [
        (now - timedelta(minutes=9) + timedelta(seconds=7 * i), t) for i, t in enumerate(crisis)
    ]
    heard = [
        Heard(
            network="bluesky",
            external_id=f"at://did:plc:c{i}/app.bsky.feed.post/{i}",
            author_id=f"did:plc:c{i}",
            author_handle=f"c{i}.test",
            author_name=f"C {i}",
            text=text,
            created_at=at,
        )
        for i, (at, text) in enumerate(timed)
    ]
    for i in range(0, len(heard), 50):
        take_in(cast.acme, heard[i : i + 50])
    run = watch.watch_organization(cast.acme.pk, now=now)
    assert run.read == len(heard)
    assert len(raised) == 1, [d.headline for d in raised]
    assert raised[0].headline.startswith("possible incident: ")


def test_the_worker_finds_the_periodic_job() -> None:
    import sys

    from cluetrain.core.jobs import PERIODIC

    # Imported when Django starts, as every app's tasks module is: the worker registers it.
    assert "cluetrain.crisis.tasks" in sys.modules
    assert PERIODIC.get("cluetrain.crisis.watch.watch_streams") == 60


@pytest.mark.django_db(transaction=True)
def test_the_alert_is_stored_through_crisis_modes_service(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cluetrain.crisis.models import Alert

    monkeypatch.setattr(watch, "THRESHOLDS", FAST)
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    _messages(cast.acme, [*_ordinary(now), *_crisis(now)])
    watch.watch_organization(cast.acme.pk, now=now)
    watch.watch_organization(cast.acme.pk, now=now)
    alert = Alert.objects.get(organization=cast.acme)
    assert alert.kind == "term"
    assert "'derailed'" in alert.headline or "'train'" in alert.headline
    assert alert.evidence["signals"]
