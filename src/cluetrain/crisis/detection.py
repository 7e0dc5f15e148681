"""Noticing that an incident may be starting, from the triaged listening stream alone.

The detector is plain Python with no database: it takes one organisation's triaged messages in
time order (``Observation``: time, topic, incident and complaint flags, sentiment, salient
words) and keeps rolling windows of them in one-minute buckets, so its memory is bounded
whatever the volume. At every minute's end it compares the last ten minutes with a baseline
that decays over days:

- a **term** ("delayed", "derailed", "#bostonmarathon") whose share of messages jumped;
- **negative messages per topic** (negative talk about "delay" or "safety");
- the **share of incident reports**, and of complaints;
- the overall **volume**, against both the hour before and the long-run rate.

Each is one Poisson test of the window's count against the count the baseline expects, and
fires only when the count is large in itself (``min_count``), several times what is expected
(``min_ratio``) and improbable by chance (``max_log10_p``). Shares, not raw counts, carry the
term, topic and incident tests, so the daily rhythm of traffic (nine times more messages at
the busiest hour than at the quietest) needs no model of its own. A surge of happy messages is
not an incident: term and volume surges count only when at least half of their messages are
negative, complaints or incident reports.

One crisis gives one alert: after an alert the detector stays quiet for ``cooldown_minutes``,
and then for as long as something keeps firing, until ``rearm_minutes`` pass without a
trigger. ``detector_state`` carries everything through JSON, so a restarted watch resumes
with its baseline and its cooldown.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cluetrain.crisis.buckets import Bucket, Window, add_weighted, merge, subtract
from cluetrain.crisis.signals import (
    ALL,
    COMPLAINT,
    INCIDENT,
    TOPIC,
    Signal,
    headline,
    share,
    signal_json,
)
from cluetrain.triage.engine.text import prepare, words

STATE_VERSION = 1

_LN10 = math.log(10.0)

# Function words of the languages customers and crises write in most: a surge of "the" or
# "de" says nothing a person could act on.
STOPWORDS = words(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further get got had hadn't has
    hasn't have haven't having he her here hers herself him himself his how i i'm i've if in
    into is isn't it it's its itself just let's like me more most my myself no nor not now of
    off on once only or other our ours out over own same she should so some such than that
    that's the their theirs them themselves then there these they they're this those through
    to too under until up very was wasn't we we're were weren't what when where which while
    who whom why will with won't would you you're your yours yourself im ive dont cant thats
    amp rt via http https www com one two still really even much many today tonight now new
    de la el en y que los las del se por un una con para al es lo como mas pero sus le su ya
    il di che non per le da ma si una sono della dei ha nel alla ng sa mga na ang ko mo ay
    at kung lang pa din rin ni kay naman o os um uma em do da no na ao dos das et des les du
    est pas ce qui au sur ne une avec"""
)


@dataclass(frozen=True)
class Thresholds:
    """When the detector speaks. The defaults follow from what a person acts on (ten minutes,
    a few times the usual, at least eight messages) and from chance: about 1,440 windows a day
    with a few dozen terms each makes some 50,000 tests a day, so a one-in-a-million Poisson
    tail leaves statistical noise well under one alert a week."""

    bucket_seconds: int = 60
    window_minutes: int = 10
    history_minutes: int = 60  # the hour before the window, for the volume test
    half_life_hours: float = 72.0  # how fast the baseline forgets
    warmup_hours: float = 6.0  # no alert before this much history ...
    warmup_messages: int = 300  # ... holding at least this many messages
    min_count: int = 8  # messages in the window behind any signal
    min_volume: int = 20  # messages in the window for a volume surge
    min_ratio: float = 3.0  # observed over expected, i.e. +200 % at least
    max_log10_p: float = -6.0  # Poisson tail probability of the observed count
    troubled_share: float = 0.5  # negative, complaint or incident share behind term and volume
    cooldown_minutes: int = 30  # the shortest time between two alerts
    rearm_minutes: int = 60  # an episode ends after this long without its signals
    max_terms: int = 20_000  # baseline terms kept (the rarest are forgotten first)
    floor_count: float = 1.0  # a term never seen counts as seen this often
    terms_per_message: int = 24
    max_recent_texts: int = 100_000  # texts remembered to tell a copy from a new message

    @property
    def window_seconds(self) -> int:
        return self.window_minutes * self.bucket_seconds


@dataclass(frozen=True, slots=True)
class Observation:
    """One triaged message as the detector sees it. ``at``: seconds since the Unix epoch or an
    aware datetime (a naive one is taken as UTC); ``terms``: its salient words."""

    at: float | datetime
    topic: str = ""
    incident: bool = False
    complaint: bool = False
    sentiment: float | None = None
    sentiment_label: str = ""
    terms: Sequence[str] = ()


@dataclass(frozen=True)
class AlertDecision:
    """What the detector says when it speaks: the arguments of ``do_raise_alert``."""

    at: float  # the end of the window, seconds since the Unix epoch
    kind: str  # "term", "negative_topic", "incident_share", "complaint_share" or "volume"
    headline: str
    topic: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.at, tz=UTC)


def salient_terms(text: object, limit: int = 24) -> list[str]:
    """The words of a message worth watching for a surge: lowercased, without function words,
    links, @names, numbers and one- or two-letter tokens; each once, at most ``limit``."""
    seen: dict[str, None] = {}
    for token in prepare(text).tokens:
        if (
            len(token) < 3
            or token in STOPWORDS
            or token[0] == "@"
            or "http" in token
            or token.isdigit()
            or token in seen
        ):
            continue
        seen[token] = None
        if len(seen) >= limit:
            break
    return list(seen)


def log10_poisson_tail(count: float, expected: float) -> float:
    """log10 of an upper bound on P(X >= count) for X ~ Poisson(expected): the probability of
    ``count`` itself times the geometric series that bounds the rest of the tail."""
    if count <= expected:
        return 0.0
    if expected <= 0:
        return -math.inf
    log_pmf = count * math.log(expected) - expected - math.lgamma(count + 1)
    return (log_pmf + math.log((count + 1) / (count + 1 - expected))) / _LN10


def _seconds(at: float | datetime) -> float | None:
    if isinstance(at, datetime):
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return at.timestamp()
    try:
        value = float(at)
    except (TypeError, ValueError):
        return None
    # Beyond any datetime (year 9999 is 2.5e11 s): a broken clock, not a time to count by.
    return value if math.isfinite(value) and abs(value) <= 1e12 else None


class Detector:
    """One organisation's watch over its stream; see the module's docstring."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.t = thresholds or Thresholds()
        self.minute: int | None = None  # the bucket being filled
        self.first_at: float | None = None
        self.current = Bucket()
        self.buckets: deque[Bucket] = deque()  # the closed minutes of the window, oldest first
        self.window = Window()  # their sums
        self.history: deque[int] = deque(maxlen=self.t.history_minutes)  # per-minute volumes
        # The baseline decays by weighting later additions more: w = 2 ** ((t - ref) / half
        # life). Ratios of weighted sums are the decayed shares without touching every entry.
        self.ref: float | None = None
        self.base: dict[str, float] = {}  # weighted messages per key
        self.base_negative: dict[str, float] = {}  # weighted negative messages per topic key
        self.base_seconds = 0.0  # weighted time observed, for the long-run rate
        self.base_messages = 0  # plain count, for the warm-up
        self.quiet_until = -math.inf  # no alert before this
        self.episode: set[str] = set()  # the keys of the signals behind the last alert ...
        self.episode_until = -math.inf  # ... which speak of the same episode until this
        # Texts seen lately (by their words), so a post shared a hundred times is one voice for
        # the term test: "fleet's on fleek" retweeted is not eight people noticing something.
        self.recent: dict[int, int] = {}
        self.late = 0  # messages older than the window, counted in the baseline only
        self.skipped = 0  # messages without a usable time

    # --- taking messages in -------------------------------------------------------------

    def observe(self, observation: Observation) -> AlertDecision | None:
        """Take one message; an alert when the minute it closes says so."""
        o = observation
        negative = o.sentiment_label == "negative" or (
            not o.sentiment_label and o.sentiment is not None and o.sentiment <= -0.05
        )
        return self.add(o.at, o.topic, o.incident, o.complaint, negative, o.terms)

    def observe_many(self, observations: Iterable[Observation]) -> list[AlertDecision]:
        out = []
        for o in observations:
            alert = self.observe(o)
            if alert is not None:
                out.append(alert)
        return out

    def add(
        self,
        at: float | datetime,
        topic: str,
        incident: bool,
        complaint: bool,
        negative: bool,
        terms: Sequence[str],
    ) -> AlertDecision | None:
        """``observe`` without building an ``Observation`` (the hot path)."""
        seconds = _seconds(at)
        if seconds is None:
            self.skipped += 1
            return None
        keys = [ALL]
        if incident:
            keys.append(INCIDENT)
        if complaint:
            keys.append(COMPLAINT)
        if topic and isinstance(topic, str):
            keys.append(TOPIC + topic[:60])
        limit = self.t.terms_per_message
        if isinstance(terms, str):
            terms = terms.split()
        minute = int(seconds // self.t.bucket_seconds)
        if not self._copy(terms, minute):
            # Each word once per message, so a word's count is a count of messages.
            for term in dict.fromkeys(terms[:limit] if len(terms) > limit else terms):
                if isinstance(term, str) and term and term[0] != " ":
                    keys.append(term[:80])
        troubled = negative or incident or complaint
        alert = None
        if self.minute is None:
            self.minute = minute
            self.first_at = seconds
            self.ref = seconds
        elif minute > self.minute:
            alert = self._advance_to(minute)
        elif minute < self.minute - self.t.window_minutes:
            # Too late for any window: it still tells what is usual.
            self.late += 1
            self._to_baseline(Counter(keys), Counter(keys) if negative else None, seconds)
            self.base_messages += 1
            return None
        # Slightly late messages join the minute being filled: their own minute is closed.
        bucket = self.current
        bucket.n.update(keys)
        if negative:
            bucket.negative.update(keys)
        if troubled:
            bucket.troubled.update(keys)
        return alert

    def _copy(self, terms: Sequence[str], minute: int) -> bool:
        """Whether a message with the same words was seen within the window."""
        if len(terms) < 3:
            return False  # "help", "flight delayed": short texts coincide by themselves
        try:
            # A stable checksum, not hash(): it is stored with the state and read by another
            # process, whose string hashes differ.
            fingerprint = zlib.crc32("\x1f".join(terms).encode("utf-8", "replace"))
        except TypeError:
            return False
        seen = self.recent.get(fingerprint)
        self.recent[fingerprint] = minute
        if len(self.recent) > self.t.max_recent_texts:
            oldest = minute - self.t.window_minutes
            self.recent = {k: v for k, v in self.recent.items() if v >= oldest}
            if len(self.recent) > self.t.max_recent_texts // 2:
                self.recent.clear()
        return seen is not None and seen >= minute - self.t.window_minutes

    def advance(self, at: float | datetime) -> AlertDecision | None:
        """Let the clock reach ``at`` without a message (closes the minutes before it)."""
        seconds = _seconds(at)
        if seconds is None or self.minute is None:
            return None
        minute = int(seconds // self.t.bucket_seconds)
        return self._advance_to(minute) if minute > self.minute else None

    # --- the minutes ----------------------------------------------------------------------

    def _advance_to(self, minute: int) -> AlertDecision | None:
        assert self.minute is not None
        closed_at = float((self.minute + 1) * self.t.bucket_seconds)
        self._close(self.current, closed_at)
        self.current = Bucket()
        alert = self._evaluate(float(closed_at))
        empty = minute - self.minute - 1
        span = self.t.window_minutes + self.t.history_minutes
        for i in range(min(empty, span)):
            self._close(Bucket(), closed_at + (i + 1) * self.t.bucket_seconds)
        if empty > span:
            # A long silence: the windows are empty by now; only the time counts.
            self._weigh_time((empty - span) * self.t.bucket_seconds, minute * self.t.bucket_seconds)
        self.minute = minute
        return alert

    def _close(self, bucket: Bucket, closed_at: float) -> None:
        merge(self.window.n, bucket.n)
        merge(self.window.negative, bucket.negative)
        merge(self.window.troubled, bucket.troubled)
        self.buckets.append(bucket)
        if len(self.buckets) > self.t.window_minutes:
            old = self.buckets.popleft()
            subtract(self.window.n, old.n)
            subtract(self.window.negative, old.negative)
            subtract(self.window.troubled, old.troubled)
            self.history.append(old.n.get(ALL, 0))
            self._to_baseline(old.n, old.negative, closed_at)
            self.base_messages += old.n.get(ALL, 0)
        self._weigh_time(self.t.bucket_seconds, closed_at)

    def _exponent(self, at: float) -> float:
        assert self.ref is not None
        return (at - self.ref) / (self.t.half_life_hours * 3600.0)

    def _weight(self, at: float) -> float:
        exponent = self._exponent(at)
        if exponent > 8.0:
            # Fold the decay in before the weights grow large (or overflow after a jump).
            self._rebase(at)
            return 1.0
        return float(2.0**exponent)

    def _weigh_time(self, seconds: float, at: float) -> None:
        self.base_seconds += seconds * self._weight(at)

    def _to_baseline(self, n: dict[str, int], negative: dict[str, int] | None, at: float) -> None:
        w = self._weight(at)
        add_weighted(self.base, n, w)
        if negative:
            get = self.base_negative.get
            for key, value in negative.items():
                if key[0] == " ":
                    self.base_negative[key] = get(key, 0.0) + value * w
        if len(self.base) > self.t.max_terms * 3 // 2:
            self._prune(w)

    def _rebase(self, at: float) -> None:
        """Fold the decay into the stored sums, so the weights stay small numbers."""
        scale = float(2.0 ** -self._exponent(at))
        self.base = {k: v * scale for k, v in self.base.items()}
        self.base_negative = {k: v * scale for k, v in self.base_negative.items()}
        self.base_seconds *= scale
        self.ref = float(at)
        self._prune(1.0)

    def _prune(self, weight: float) -> None:
        # Forgotten words fall back to ``floor_count``, more than they had: forgetting can
        # only make an alert less likely, never more.
        keep = {k: v for k, v in self.base.items() if k[0] == " " or v >= 0.5 * weight}
        if len(keep) > self.t.max_terms:
            ranked = sorted(keep.items(), key=lambda kv: kv[1], reverse=True)
            keep = dict(ranked[: self.t.max_terms])
            for k, v in self.base.items():
                if k[0] == " ":
                    keep[k] = v
        self.base = keep

    # --- deciding -----------------------------------------------------------------------

    def _warm(self, at: float) -> bool:
        return (
            self.first_at is not None
            and at - self.first_at >= self.t.warmup_hours * 3600
            and self.base_messages >= self.t.warmup_messages
        )

    def _evaluate(self, at: float) -> AlertDecision | None:
        total = self.window.n.get(ALL, 0)
        if total < self.t.min_count or not self._warm(at):
            return None
        signals = self._signals(at, total)
        if not signals:
            return None
        keys = {s.key for s in signals}
        if at < self.episode_until and keys & self.episode:
            # The same episode goes on (signals firing with it join it): one alert for it.
            if len(self.episode) < 500:
                self.episode |= keys
            self.episode_until = at + self.t.rearm_minutes * 60
            return None
        if at < self.quiet_until:
            return None
        self.quiet_until = at + self.t.cooldown_minutes * 60
        self.episode = keys
        self.episode_until = at + self.t.rearm_minutes * 60
        return self._decision(at, total, signals)

    def _test(self, count: int, expected: float, minimum: int) -> float | None:
        """log10 p of the count when it is a surge by every measure, else None."""
        t = self.t
        if count < minimum or count < t.min_ratio * expected:
            return None
        log_p = log10_poisson_tail(count, expected)
        return log_p if log_p <= t.max_log10_p else None

    def _signals(self, at: float, total: int) -> list[Signal]:
        t = self.t
        win_n, win_neg, win_tr = self.window.n, self.window.negative, self.window.troubled
        floor = t.floor_count * self._weight(at)  # first: it may rebase the sums
        base_total = self.base.get(ALL, 0.0)
        if base_total <= 0:
            return []
        out: list[Signal] = []

        def share(key: str, source: dict[str, float]) -> float:
            return max(source.get(key, 0.0), floor) / base_total

        minimum = t.min_count
        candidates = [(k, c) for k, c in win_n.items() if c >= minimum and k[0] != " "]
        for key, count in candidates:
            troubled = win_tr.get(key, 0)
            if troubled < t.troubled_share * count:
                continue
            expected = total * share(key, self.base)
            log_p = self._test(count, expected, t.min_count)
            if log_p is not None:
                out.append(
                    Signal(
                        "term", key, count, expected, log_p, count, win_neg.get(key, 0), troubled
                    )
                )
        for key, kind in ((INCIDENT, "incident_share"), (COMPLAINT, "complaint_share")):
            count = win_n.get(key, 0)
            log_p = self._test(count, total * share(key, self.base), t.min_count)
            if log_p is not None:
                expected = total * share(key, self.base)
                out.append(
                    Signal(kind, key, count, expected, log_p, total, win_neg.get(ALL, 0), count)
                )
        topics = [(k, c) for k, c in win_neg.items() if c >= minimum and k.startswith(TOPIC)]
        for key, negative in topics:
            expected = total * share(key, self.base_negative)
            log_p = self._test(negative, expected, t.min_count)
            if log_p is not None:
                subset = win_n.get(key, 0)
                out.append(
                    Signal(
                        "negative_topic",
                        key,
                        negative,
                        expected,
                        log_p,
                        subset,
                        negative,
                        win_tr.get(key, 0),
                    )
                )
        if win_tr.get(ALL, 0) >= t.troubled_share * total:
            expected = self._expected_volume(total)
            log_p = self._test(total, expected, t.min_volume)
            if log_p is not None:
                out.append(
                    Signal(
                        "volume",
                        ALL,
                        total,
                        expected,
                        log_p,
                        total,
                        win_neg.get(ALL, 0),
                        win_tr.get(ALL, 0),
                    )
                )
        out.sort(key=lambda s: (s.log10_p, -s.count))
        return out

    def _expected_volume(self, total: int) -> float:
        t = self.t
        long_run = 0.0
        if self.base_seconds > 0:
            long_run = self.base.get(ALL, 0.0) / self.base_seconds * t.window_seconds
        recent = 0.0
        if self.history:
            recent = sum(self.history) / len(self.history) * t.window_minutes
        return max(long_run, recent)

    # --- saying it ----------------------------------------------------------------------

    def _decision(self, at: float, total: int, signals: list[Signal]) -> AlertDecision:
        # The most specific sign leads: a word a person recognises, then a topic, then shares.
        order = ("term", "negative_topic", "incident_share", "complaint_share", "volume")
        lead = min(signals, key=lambda s: (order.index(s.kind), s.log10_p, -s.count))
        topic = ""
        for s in signals:
            if s.kind == "negative_topic":
                topic = s.key[len(TOPIC) :]
                break
        if lead.kind == "negative_topic":
            topic = lead.key[len(TOPIC) :]
        evidence = {
            "at": datetime.fromtimestamp(at, tz=UTC).isoformat(),
            "window_minutes": self.t.window_minutes,
            "messages": total,
            "negative_share": share(self.window.negative.get(ALL, 0), total),
            "incident_share": share(self.window.n.get(INCIDENT, 0), total),
            "complaint_share": share(self.window.n.get(COMPLAINT, 0), total),
            "usual_incident_share": share(self.base.get(INCIDENT, 0.0), self.base.get(ALL, 0.0)),
            "lead": lead.key.strip(),
            "signals": [signal_json(s) for s in signals[:8]],
        }
        return AlertDecision(
            at, lead.kind, headline(lead, total, self.t.window_minutes), topic, evidence
        )
