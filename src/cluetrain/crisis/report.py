"""The incident report: message volume, response times, sentiment over time, what was paused.

Read from the listening and inbox tables over the incident's span, with the hour before the
declaration as the baseline. The chart is drawn twice: with Chart.js on the page, and as an
SVG written here for the HTML export, which must open from a file with nothing else.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.html import escape

from cluetrain.core import audit
from cluetrain.core.spreadsheet import safe_cell as _cell
from cluetrain.crisis.models import Incident, PausedDelivery
from cluetrain.inbox.models import Conversation
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.models import Person

BASELINE = timedelta(hours=1)
BUCKETS = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
)
MAX_BUCKETS = 60


@dataclass
class Bucket:
    start: datetime
    messages: int = 0
    negative: int = 0
    sentiment_sum: float = 0.0
    scored: int = 0

    @property
    def sentiment(self) -> float | None:
        return round(self.sentiment_sum / self.scored, 3) if self.scored else None

    @property
    def negative_share(self) -> float | None:
        return round(self.negative / self.messages, 3) if self.messages else None


@dataclass
class Report:
    incident: Incident
    start: datetime
    end: datetime
    step: timedelta
    buckets: list[Bucket]
    messages: int = 0
    conversations: int = 0
    answered: int = 0
    median_response_minutes: float | None = None
    p90_response_minutes: float | None = None
    paused: list[PausedDelivery] = field(default_factory=list)

    @property
    def chart(self) -> dict[str, list[object]]:
        return {
            "labels": [b.start.strftime("%m-%d %H:%M") for b in self.buckets],
            "messages": [b.messages for b in self.buckets],
            "sentiment": [b.sentiment for b in self.buckets],
        }


def _step(span: timedelta) -> timedelta:
    for step in BUCKETS:
        if span / step <= MAX_BUCKETS:
            return step
    return BUCKETS[-1]


def build(incident: Incident, *, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    start = incident.declared_at - BASELINE
    end = incident.ended_at or now
    step = _step(end - start)
    count = int((end - start) / step) + 1
    buckets = [Bucket(start + i * step) for i in range(count)]
    report = Report(incident, start, end, step, buckets)
    rows = (
        Message.objects.filter(
            organization_id=incident.organization_id,
            direction=Direction.INBOUND,
            received_at__gte=start,
            received_at__lte=end,
        )
        .values_list("received_at", "sentiment", "sentiment_label")
        .iterator(chunk_size=5000)
    )
    for received_at, sentiment, label in rows:
        bucket = buckets[min(count - 1, int((received_at - start) / step))]
        bucket.messages += 1
        report.messages += 1
        if sentiment is not None:
            bucket.sentiment_sum += sentiment
            bucket.scored += 1
        if label == "negative":
            bucket.negative += 1
    _responses(report)
    report.paused = list(
        PausedDelivery.objects.filter(incident=incident)
        .select_related("delivery", "delivery__voice", "delivery__post", "decided_by")
        .order_by("was_due_at", "pk")
    )
    return report


def _responses(report: Report) -> None:
    waits = []
    for first, answered in Conversation.objects.filter(
        organization_id=report.incident.organization_id,
        first_message_at__gte=report.incident.declared_at,
        first_message_at__lte=report.end,
    ).values_list("first_message_at", "first_response_at"):
        report.conversations += 1
        if answered is not None:
            report.answered += 1
            waits.append(max(0.0, (answered - first).total_seconds() / 60))
    if waits:
        report.median_response_minutes = round(statistics.median(waits), 1)
        ordered = sorted(waits)
        report.p90_response_minutes = round(ordered[int(0.9 * (len(ordered) - 1))], 1)


def record_download(incident: Incident, actor: Person, file_format: str) -> None:
    """Audit that the incident's report left Cluetrain as a file ("csv" or "html").

    The HTML file holds the whole timeline (who did what, in their words), the CSV the figures;
    reading the report on its page is not an export and is not recorded.
    """
    audit.record_export(
        incident.organization,
        actor,
        "crisis.incident_report",
        via="web",
        format=file_format,
        incident=incident.pk,
        title=incident.title[:100],
    )


def as_csv(report: Report) -> str:
    """One table, its first column naming the section: summary, volume, paused, timeline."""
    out = io.StringIO()
    writer = csv.writer(out)
    incident = report.incident
    writer.writerow(["section", "name", "value", "detail", "more"])
    for name, value in (
        ("title", incident.title),
        ("severity", incident.severity),
        ("declared_at", incident.declared_at.isoformat()),
        ("ended_at", incident.ended_at.isoformat() if incident.ended_at else ""),
        ("messages", report.messages),
        ("conversations", report.conversations),
        ("answered", report.answered),
        ("median_response_minutes", _blank(report.median_response_minutes)),
        ("p90_response_minutes", _blank(report.p90_response_minutes)),
    ):
        writer.writerow(["summary", name, _cell(value), "", ""])
    for bucket in report.buckets:
        writer.writerow(
            [
                "volume",
                bucket.start.isoformat(),
                bucket.messages,
                _blank(bucket.sentiment),
                _blank(bucket.negative_share),
            ]
        )
    for item in report.paused:
        delivery = item.delivery
        writer.writerow(
            [
                "paused",
                _cell(delivery.post.text[:200]),
                item.status,
                _cell(delivery.voice.name),
                item.new_due_at.isoformat() if item.new_due_at else "",
            ]
        )
    for event in incident.timeline.select_related("actor"):
        writer.writerow(
            [
                "timeline",
                event.at.isoformat(),
                event.verb,
                _cell(event.message),
                _cell(event.actor.full_name if event.actor else ""),
            ]
        )
    return out.getvalue()


def _blank(value: float | None) -> str:
    return "" if value is None else str(value)


def svg_chart(report: Report, *, width: int = 720, height: int = 220) -> str:
    """Messages per bucket as bars and mean sentiment as a line, as a self-contained SVG."""
    buckets = report.buckets
    pad = 30
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    most = max((b.messages for b in buckets), default=0) or 1
    bar_w = inner_w / max(1, len(buckets))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="Messages and sentiment over time">',
        f'<rect x="{pad}" y="{pad}" width="{inner_w}" height="{inner_h}" fill="none" '
        'stroke="#999"/>',
    ]
    for i, bucket in enumerate(buckets):
        h = inner_h * bucket.messages / most
        x = pad + i * bar_w
        parts.append(
            f'<rect x="{x:.1f}" y="{pad + inner_h - h:.1f}" width="{max(1.0, bar_w - 1):.1f}" '
            f'height="{h:.1f}" fill="#6b8fd6"><title>{escape(bucket.start.isoformat())}: '
            f"{bucket.messages} messages</title></rect>"
        )
    points = [
        f"{pad + (i + 0.5) * bar_w:.1f},{pad + inner_h * (1 - (b.sentiment + 1) / 2):.1f}"
        for i, b in enumerate(buckets)
        if b.sentiment is not None
    ]
    if len(points) > 1:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#c0392b" stroke-width="2"/>'
        )
    declared_x = pad + inner_w * (
        (report.incident.declared_at - report.start) / max(report.end - report.start, report.step)
    )
    parts.append(
        f'<line x1="{declared_x:.1f}" x2="{declared_x:.1f}" y1="{pad}" y2="{pad + inner_h}" '
        'stroke="#c0392b" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<text x="{pad}" y="{pad - 8}" font-size="11">messages (bars, max {most}); '
        "sentiment from -1 to +1 (line); dashed: declared</text></svg>"
    )
    return "".join(parts)
