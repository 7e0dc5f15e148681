"""Chart.js configurations for the dashboards, built from the same snapshot as the tables.

Each configuration is plain JSON (the page hands it over with ``json_script``; no code in it),
so ``static/insights/dashboard.js`` only has to draw it. A chart is left out when its table is
empty: the page then says there is no data yet instead of drawing an empty frame.
"""

from __future__ import annotations

from typing import Any

from cluetrain.insights.export import WEEKDAYS, Snapshot, Table

NEGATIVE, NEUTRAL, POSITIVE = "#c0392b", "#9aa5b1", "#2e8b57"
BLUE, ORANGE = "#3b6fd6", "#e08a1e"
SENTIMENT_COLOURS = {"negative": NEGATIVE, "neutral": NEUTRAL, "positive": POSITIVE}


def _two_axes(left: str, right: str) -> dict[str, Any]:
    return {
        "scales": {
            "y": {"beginAtZero": True, "title": {"display": True, "text": left}},
            "y2": {
                "beginAtZero": True,
                "position": "right",
                "grid": {"drawOnChartArea": False},
                "title": {"display": True, "text": right},
            },
        }
    }


def engagement(s: Snapshot) -> dict[str, Any]:
    days = s.engagement.by_day
    return {
        "type": "bar",
        "data": {
            "labels": [d.day.isoformat() for d in days],
            "datasets": [
                {
                    "type": "bar",
                    "label": "Posts",
                    "data": [d.posts for d in days],
                    "backgroundColor": BLUE,
                    "yAxisID": "y",
                },
                {
                    "type": "line",
                    "label": "Engagement",
                    "data": [d.engagement for d in days],
                    "borderColor": ORANGE,
                    "backgroundColor": ORANGE,
                    "yAxisID": "y2",
                },
            ],
        },
        "options": _two_axes("posts", "engagement"),
    }


def conversations(s: Snapshot) -> dict[str, Any]:
    days = s.conversations.by_day
    return {
        "type": "bar",
        "data": {
            "labels": [d.day.isoformat() for d in days],
            "datasets": [
                {
                    "type": "bar",
                    "label": "Opened",
                    "data": [d.opened for d in days],
                    "backgroundColor": BLUE,
                    "yAxisID": "y",
                },
                {
                    "type": "bar",
                    "label": "Resolved",
                    "data": [d.resolved for d in days],
                    "backgroundColor": POSITIVE,
                    "yAxisID": "y",
                },
                {
                    "type": "line",
                    "label": "First response, median (min)",
                    "data": [d.first_response_median_min for d in days],
                    "spanGaps": True,
                    "borderColor": ORANGE,
                    "backgroundColor": ORANGE,
                    "yAxisID": "y2",
                },
            ],
        },
        "options": _two_axes("conversations", "minutes"),
    }


def _stacked(weeks: list[Any], series: dict[str, list[int]], colours: dict[str, str]) -> Any:
    return {
        "type": "bar",
        "data": {
            "labels": [w.isoformat() for w in weeks],
            "datasets": [
                {
                    "label": name.replace("_", " "),
                    "data": values,
                    **({"backgroundColor": colours[name]} if name in colours else {}),
                }
                for name, values in series.items()
            ],
        },
        "options": {
            "scales": {"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True}}
        },
    }


def sentiment(s: Snapshot) -> dict[str, Any]:
    return _stacked(s.mix.weeks, s.mix.sentiment, SENTIMENT_COLOURS)


def intents(s: Snapshot) -> dict[str, Any]:
    return _stacked(s.mix.weeks, s.mix.intents, {})


def topics(s: Snapshot) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [t.topic for t in s.topics],
            "datasets": [
                {
                    "label": "Conversations",
                    "data": [t.conversations for t in s.topics],
                    "backgroundColor": BLUE,
                }
            ],
        },
        "options": {"indexAxis": "y", "scales": {"x": {"beginAtZero": True}}},
    }


def participation(s: Snapshot) -> dict[str, Any]:
    weeks = s.participation.weeks
    return {
        "type": "bar",
        "data": {
            "labels": [w.week_start.isoformat() for w in weeks],
            "datasets": [
                {
                    "type": "line",
                    "label": "People who spoke",
                    "data": [w.people for w in weeks],
                    "borderColor": BLUE,
                    "backgroundColor": BLUE,
                },
                {
                    "type": "bar",
                    "label": "New people",
                    "data": [w.new_people for w in weeks],
                    "backgroundColor": POSITIVE,
                },
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}},
    }


def heat(s: Snapshot) -> dict[str, Any]:
    """The hour-by-weekday heat map as bubbles on two category axes: size for posts, colour
    for engagement per post (darker is better)."""
    cells = [
        (weekday, hour, cell)
        for weekday, hours in enumerate(s.frequency.heat)
        for hour, cell in enumerate(hours)
        if cell.posts
    ]
    most_posts = max((c.posts for _, _, c in cells), default=1) or 1
    best = max((c.engagement_per_post or 0 for _, _, c in cells), default=0) or 1
    hours = [f"{h:02d}" for h in range(24)]
    days = [d[:3] for d in WEEKDAYS]
    return {
        "type": "bubble",
        "data": {
            "datasets": [
                {
                    "label": "Posts (size) and engagement per post (colour)",
                    "data": [
                        {
                            "x": hours[h],
                            "y": days[d],
                            "r": 4 + 10 * c.posts / most_posts,
                            "posts": c.posts,
                        }
                        for d, h, c in cells
                    ],
                    "backgroundColor": [
                        f"rgba(59, 111, 214, {0.2 + 0.8 * (c.engagement_per_post or 0) / best:.2f})"
                        for _, _, c in cells
                    ],
                }
            ]
        },
        "options": {
            "scales": {
                "x": {
                    "type": "category",
                    "labels": hours,
                    "title": {"display": True, "text": "hour"},
                },
                "y": {"type": "category", "labels": days, "offset": True},
            }
        },
    }


def self_sufficiency(s: Snapshot) -> dict[str, Any]:
    months = [m for m in s.self_sufficiency.months if m.tally.total]
    return {
        "type": "line",
        "data": {
            "labels": [m.label for m in months],
            "datasets": [
                {
                    "label": "In-house share (%)",
                    "data": [m.tally.share for m in months],
                    "borderColor": POSITIVE,
                    "backgroundColor": POSITIVE,
                }
            ],
        },
        "options": {"scales": {"y": {"min": 0, "max": 100}}},
    }


def training(s: Snapshot) -> dict[str, Any]:
    stages = s.funnel or []
    return {
        "type": "bar",
        "data": {
            "labels": [stage for stage, _ in stages],
            "datasets": [
                {"label": "People", "data": [count for _, count in stages], "backgroundColor": BLUE}
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}}},
    }


DRAWERS = {
    "engagement": engagement,
    "conversations": conversations,
    "sentiment": sentiment,
    "intents": intents,
    "topics": topics,
    "participation": participation,
    "heat": heat,
    "self_sufficiency": self_sufficiency,
    "training": training,
}


def chart_for(s: Snapshot, table: Table) -> dict[str, Any] | None:
    """The chart drawn above ``table``, or None when it has none or nothing to show."""
    drawer = DRAWERS.get(table.name)
    if drawer is None or table.empty:
        return None
    return drawer(s)
