"""Lesson text as HTML: Markdown rendered by markdown-it, then sanitised by nh3.

Raw HTML in the Markdown is not rendered at all, and what markdown-it produces passes an
allow-list of tags, attributes and link schemes, so a lesson cannot run script or link to
``javascript:`` whoever wrote it.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_renderer.enable("strikethrough")


def render(text: str) -> SafeString:
    """``text`` (Markdown) as safe HTML; headings start at level 2 under the page's own."""
    html = _renderer.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # nh3 has removed every tag, attribute and scheme outside the allow-lists above.
    return mark_safe(clean)  # noqa: S308
