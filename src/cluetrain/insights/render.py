"""The dashboards' tables and charts as HTML, written in Python.

A dashboard shows a dozen tables of up to a few hundred rows; drawn cell by cell through
template tags that was most of a page's time. The markup is the same as the templates once
wrote: every value escaped, numbers right-aligned, missing values as a dash, long tables
folded into ``<details>``.
"""

from __future__ import annotations

from html import escape as _escape

from django.urls import reverse
from django.utils.formats import get_format, localize
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from cluetrain.insights.export import Cell, Table

FOLD_AFTER = 14  # rows shown before a table folds into "The numbers (N rows)"


def escape(value: object) -> str:
    """What Django's ``escape`` does (``html.escape`` of the text), without its lazy-string
    wrapper and safe-string result around each of a page's thousand cells."""
    return _escape(str(value))


def _number(value: int | float, separator: str) -> str:
    """A number as the template would show it (no grouping; the language's decimal mark)."""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if "e" in text or "n" in text:  # 1e-05, inf, nan: leave those to Django
        return escape(localize(value))
    return text.replace(".", separator)


def _cell(value: Cell, number: bool, separator: str) -> str:
    if value is None:
        return '<td class="num">—</td>' if number else "<td>—</td>"
    if number:
        return f'<td class="num">{_number(value, separator)}</td>'  # type: ignore[arg-type]
    return f"<td>{escape(value)}</td>"


def _action(key: int | None, csrf_token: str, next_path: str) -> str:
    if not key:
        return "<td></td>"
    url = escape(reverse("insights:apply_slots", args=[key]))
    return (
        f'<td><form method="post" action="{url}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        '<button class="button small" type="submit">Use these slots</button></form></td>'
    )


def table_html(
    table: Table,
    *,
    csv: str = "",
    actions: bool = False,
    whole: bool = False,
    csrf_token: str = "",
    next_path: str = "",
) -> SafeString:
    """One table of numbers; ``csv`` its download address, ``actions`` a "Use these slots"
    button on each keyed row, ``whole`` never folded (the printed report)."""
    fold = len(table.rows) > FOLD_AFTER and not whole
    out: list[str] = []
    if fold:
        out.append(
            f'<details class="long-table"><summary>The numbers ({len(table.rows)} rows)</summary>'
        )
    name = escape(table.name)
    out.append(
        f'<div class="table-wrap">\n<table class="table insights-table" id="table-{name}">\n'
        f'  <caption class="visually-hidden">{escape(table.title)}</caption>\n  <thead><tr>'
    )
    out.extend(f'<th scope="col">{escape(label)}</th>' for label in table.labels)
    if actions:
        out.append('<th scope="col"><span class="visually-hidden">Action</span></th>')
    out.append("</tr></thead>\n  <tbody>\n")
    separator = escape(get_format("DECIMAL_SEPARATOR"))
    for cells, key in table.keyed_rows:
        out.append("    <tr>")
        out.extend(_cell(value, number, separator) for value, number in cells)
        if actions:
            out.append(_action(key, csrf_token, next_path))
        out.append("</tr>\n")
    out.append("  </tbody>\n</table>\n</div>\n")
    if fold:
        out.append("</details>\n")
    if csv:
        out.append(
            f'<p><a class="button small" href="{escape(csv)}" download>'
            f"CSV: {escape(table.title.lower())}</a></p>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def chart_html(table: Table, chart: object) -> SafeString:
    """A chart drawn by ``static/insights/dashboard.js`` from the JSON under it; the table
    beside it holds the same numbers."""
    source = f"chart-{table.name}"
    return mark_safe(  # noqa: S308 - the label is escaped, the JSON is json_script's
        f'<div class="chart-box"><canvas data-chart="{escape(source)}" role="img" '
        f'aria-label="Chart: {escape(table.title)} (the same numbers are in the table below)">'
        f"</canvas></div>\n{json_script(chart, source)}\n"
    )
