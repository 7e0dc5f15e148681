"""``{% insights_table %}`` and ``{% insights_chart %}``: the tables and charts of the
dashboards and the monthly report, written by ``cluetrain.insights.render``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from cluetrain.insights import render
from cluetrain.insights.export import Table

register = template.Library()


@register.simple_tag(takes_context=True)
def insights_table(
    context: dict[str, Any],
    table: Table,
    csv: str = "",
    actions: bool = False,
    whole: bool = False,
) -> SafeString:
    request = context.get("request")
    return render.table_html(
        table,
        csv=csv,
        actions=actions,
        whole=whole,
        csrf_token=str(context.get("csrf_token", "")) if actions else "",
        next_path=request.get_full_path() if actions and request is not None else "",
    )


@register.simple_tag
def insights_chart(table: Table, chart: Any) -> SafeString:
    return render.chart_html(table, chart)
