"""Which conversations an inbox list shows: filters from a query string or a saved view.

``parse_filters`` turns untrusted input (``request.GET``, an API query, a SavedView's
``filters`` JSON, CLI options) into a typed, frozen ``Filters``; every bad value is refused with
``InvalidFilter`` (a ``ServiceError``) that says which parameter and why, so no bad input
reaches the database or ends in a server error. ``Filters.as_dict`` gives the JSON a SavedView
stores and ``parse_filters`` reads back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models.conversations import ACTIVE, Status

# A search box is for words, not documents: longer text is cut (at a word boundary) rather
# than refused, and only this many words take part in the query.
MAX_QUERY_CHARS = 256
MAX_DEPARTMENTS = 50

Sort = Literal["recent", "due"]
SORTS: tuple[Sort, ...] = ("recent", "due")
STATUSES = tuple(Status.values)
DEFAULT_STATUSES = tuple(str(s) for s in ACTIVE)  # the open queue: new and open

_CHIP = re.compile(r"[a-z][a-z0-9_-]{0,19}")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class InvalidFilter(ServiceError):
    """A filter parameter with a value the inbox does not understand."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}", code="invalid_filter")
        self.parameter = parameter


@dataclass(frozen=True)
class Filters:
    """What an inbox list shows and in which order.

    * ``statuses``: default new and open (the open queue);
    * ``assignee``: ``None`` anyone, ``"me"`` the viewer, ``"unassigned"``, or a person's id;
    * ``departments``: conversations waiting in any of these departments' queues;
    * ``tag`` (a tag's name), ``intent``, ``urgency``, ``sentiment_label``: exact chips;
      ``incident``: ``None`` either, ``True``/``False`` only those flagged or not;
    * ``snoozed``: ``False`` hides conversations snoozed until a later time (the default),
      ``True`` shows only those;
    * ``q``: words to search (``cluetrain.inbox.search``); with words, the newest
      conversations come first;
    * ``sort``: ``"recent"``, latest message first; ``"due"``, conversations with a
      service-level clock, soonest deadline first.
    """

    statuses: tuple[str, ...] = DEFAULT_STATUSES
    assignee: str | int | None = None
    departments: tuple[int, ...] = ()
    tag: str = ""
    intent: str = ""
    urgency: str = ""
    sentiment_label: str = ""
    incident: bool | None = None
    snoozed: bool = False
    q: str = ""
    sort: Sort = "recent"

    def as_dict(self) -> dict[str, Any]:
        """The JSON a SavedView stores: only what differs from the default open queue."""
        default = Filters()
        out: dict[str, Any] = {}
        for name in (
            "statuses",
            "assignee",
            "departments",
            "tag",
            "intent",
            "urgency",
            "sentiment_label",
            "incident",
            "snoozed",
            "q",
            "sort",
        ):
            value = getattr(self, name)
            if value != getattr(default, name):
                out[_KEYS_OUT.get(name, name)] = list(value) if isinstance(value, tuple) else value
        return out


_KEYS_OUT = {"statuses": "status", "departments": "department", "sentiment_label": "sentiment"}


def parse_filters(data: Mapping[str, Any] | None) -> Filters:
    """Filters from a QueryDict, a plain dict (a SavedView's JSON) or None (the open queue).

    Unknown keys are ignored (a query string carries the page cursor beside the filters).
    """
    if not data:
        return Filters()
    snoozed = _boolean(data, "snoozed") or False
    default_statuses = (Status.NEW, Status.OPEN, Status.WAITING) if snoozed else DEFAULT_STATUSES
    return Filters(
        statuses=_statuses(_values(data, "status")) or tuple(str(s) for s in default_statuses),
        assignee=_assignee(_single(data, "assignee")),
        departments=_departments(_values(data, "department")),
        tag=_tag(_single(data, "tag")),
        intent=_chip(data, "intent"),
        urgency=_chip(data, "urgency"),
        sentiment_label=_chip(data, "sentiment", "sentiment_label"),
        incident=_boolean(data, "incident"),
        snoozed=snoozed,
        q=clip_query(_single(data, "q") or ""),
        sort=_sort(_single(data, "sort")),
    )


def clip_query(text: str) -> str:
    """Search text without control characters, cut at a word boundary to MAX_QUERY_CHARS."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text[: MAX_QUERY_CHARS * 4])
    cleaned = " ".join(cleaned.split())
    if len(cleaned) <= MAX_QUERY_CHARS:
        return cleaned
    cut = cleaned[:MAX_QUERY_CHARS]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


# --- reading one parameter ------------------------------------------------------------------


def _values(data: Mapping[str, Any], key: str) -> list[Any]:
    """All values of a parameter: repeated (?status=new&status=open), comma-separated
    (?status=new,open) or a JSON list."""
    getlist = getattr(data, "getlist", None)
    raw: list[Any] = list(getlist(key)) if callable(getlist) else _as_list(data.get(key))
    out: list[Any] = []
    for value in raw:
        if isinstance(value, str):
            out += [part.strip() for part in value.split(",") if part.strip()]
        elif value is not None:
            out.append(value)
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _single(data: Mapping[str, Any], key: str) -> Any:
    getlist = getattr(data, "getlist", None)
    values = list(getlist(key)) if callable(getlist) else _as_list(data.get(key))
    if len(values) > 1:
        raise InvalidFilter(key, "give one value, not several.")
    value = values[0] if values else None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if value is not None and not isinstance(value, bool | int):
        raise InvalidFilter(key, "expected text or a number.")
    return value


def _statuses(values: list[Any]) -> tuple[str, ...]:
    if any(str(v).lower() == "all" for v in values):
        return STATUSES
    chosen = []
    for value in values:
        status = str(value).lower()
        if status not in STATUSES:
            raise InvalidFilter("status", f"unknown status; use {', '.join(STATUSES)} or all.")
        if status not in chosen:
            chosen.append(status)
    # Canonical order, so equal filters compare (and cache) equal.
    return tuple(s for s in STATUSES if s in chosen)


def _assignee(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in {"me", "unassigned"}:
        return value.lower()
    if isinstance(value, str) and value.lower() in {"any", "anyone"}:
        return None
    return _identifier("assignee", value, "use me, unassigned or a person's number.")


def _departments(values: list[Any]) -> tuple[int, ...]:
    ids = sorted({_identifier("department", v, "use department numbers.") for v in values})
    if len(ids) > MAX_DEPARTMENTS:
        raise InvalidFilter("department", f"at most {MAX_DEPARTMENTS} departments at once.")
    return tuple(ids)


def _identifier(key: str, value: Any, hint: str) -> int:
    if isinstance(value, bool):
        raise InvalidFilter(key, hint)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        number = int(value)
    else:
        raise InvalidFilter(key, hint)
    if number <= 0 or number >= 2**63:
        raise InvalidFilter(key, hint)
    return number


def _tag(value: Any) -> str:
    if value is None:
        return ""
    name = str(value)
    if len(name) > 60 or not name.isprintable():
        raise InvalidFilter("tag", "a tag name is at most 60 printable characters.")
    return name


def _chip(data: Mapping[str, Any], key: str, *aliases: str) -> str:
    value = None
    for name in (key, *aliases):
        value = _single(data, name)
        if value is not None:
            key = name
            break
    if value is None:
        return ""
    text = str(value).lower()
    if not _CHIP.fullmatch(text):
        raise InvalidFilter(key, "expected a short label such as high or negative.")
    return text


def _boolean(data: Mapping[str, Any], key: str) -> bool | None:
    value = _single(data, key)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in {"any", "either"}:
        return None
    raise InvalidFilter(key, "expected yes or no.")


def _sort(value: Any) -> Sort:
    if value is None:
        return "recent"
    text = str(value).lower()
    for sort in SORTS:
        if text == sort:
            return sort
    raise InvalidFilter("sort", "use recent (latest message first) or due (soonest deadline).")
