"""The cost page as a spreadsheet: one table, its first column naming the section."""

from __future__ import annotations

import csv
import io

from cluetrain.campaigns.costs import CostSummary
from cluetrain.core.spreadsheet import safe_cell as _cell


def as_csv(summary: CostSummary, scope: str = "") -> str:
    """``scope`` names what was costed (a department's name, typed by someone: neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "name", "hours", "cost", "detail"])
    writer.writerow(["period", summary.start.isoformat(), "", "", summary.end.isoformat()])
    writer.writerow(["scope", _cell(scope or summary.organization.name), "", "", ""])
    for item in summary.activities:
        writer.writerow(
            [
                "activity",
                item.label,
                item.hours,
                item.cost,
                f"{item.count} ({item.measured} measured)",
            ]
        )
    for name, value in (
        ("total", summary.cost),
        ("per published post", summary.per_post),
        ("per resolved conversation", summary.per_conversation),
        ("per month", summary.per_month),
        ("per 100 engagements", summary.per_100_engagements),
    ):
        writer.writerow(["outcome", name, "", _cell(value), summary.currency])
    for month in summary.months:
        writer.writerow(
            [
                "month",
                month.label,
                month.hours,
                month.cost,
                f"posts {month.posts}; resolved {month.resolved}; engagement {month.engagement}",
            ]
        )
    return out.getvalue()
