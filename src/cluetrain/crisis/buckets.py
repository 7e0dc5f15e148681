"""The detector's counting: one minute's counts per key, and a window's running sums.

Plain dicts and Counters, added and subtracted key by key, because the detector folds in every
message of the stream and closes a minute of thousands of keys at a time.
"""

from __future__ import annotations

from collections import Counter


def merge(target: dict[str, int], source: dict[str, int]) -> None:
    get = target.get
    for key, value in source.items():
        target[key] = get(key, 0) + value


def add_weighted(target: dict[str, float], source: dict[str, int], weight: float) -> None:
    get = target.get
    for key, value in source.items():
        target[key] = get(key, 0.0) + value * weight


def subtract(target: dict[str, int], source: dict[str, int]) -> None:
    for key, value in source.items():
        left = target[key] - value
        if left:
            target[key] = left
        else:
            del target[key]


class Bucket:
    """One minute's counts per key: all messages, negative ones, troubled ones."""

    __slots__ = ("n", "negative", "troubled")

    def __init__(
        self,
        n: dict[str, int] | None = None,
        negative: dict[str, int] | None = None,
        troubled: dict[str, int] | None = None,
    ) -> None:
        self.n: Counter[str] = Counter(n or {})
        self.negative: Counter[str] = Counter(negative or {})
        self.troubled: Counter[str] = Counter(troubled or {})

    def as_json(self) -> list[dict[str, int]]:
        return [dict(self.n), dict(self.negative), dict(self.troubled)]


class Window:
    """The sums of the window's closed minutes (plain dicts: faster to subtract from)."""

    __slots__ = ("n", "negative", "troubled")

    def __init__(self) -> None:
        self.n: dict[str, int] = {}
        self.negative: dict[str, int] = {}
        self.troubled: dict[str, int] = {}
