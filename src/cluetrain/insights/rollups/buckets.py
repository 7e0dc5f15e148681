"""Durations in fixed buckets, and percentiles read back from them.

A roll-up row cannot keep every first-response time of its day, so it keeps how many fell in
each bucket. The buckets are fine where service levels are decided and coarse where nobody
needs precision:

* under an hour: one bucket per minute;
* one to four hours: one per 5 minutes;
* four hours to a day: one per 30 minutes;
* one to seven days: one per 6 hours;
* seven to thirty days: one per day;
* thirty days and more: one last bucket (read as 30 days).

A percentile read from merged buckets is the middle of the bucket the rank falls in, so it is
within half a bucket of the exact value (half a minute below an hour).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping

# (from minute, to minute, width) of each band.
_BANDS = (
    (0, 60, 1),
    (60, 240, 5),
    (240, 1440, 30),
    (1440, 10080, 360),
    (10080, 43200, 1440),
)
OVERFLOW_MINUTES = 43200

EDGES: list[int] = []
for _start, _end, _width in _BANDS:
    EDGES.extend(range(_start, _end, _width))
# EDGES[i] is the lower edge of bucket i; the last bucket starts at OVERFLOW_MINUTES.
EDGES.append(OVERFLOW_MINUTES)
BUCKETS = len(EDGES)


def bucket_of(minutes: float) -> int:
    """The bucket a duration in minutes falls in (negative durations count as zero)."""
    if minutes <= 0:
        return 0
    return bisect.bisect_right(EDGES, minutes) - 1


def width_of(index: int) -> float:
    """How many minutes bucket ``index`` spans (the last one is read as its lower edge)."""
    if index >= BUCKETS - 1:
        return 0.0
    return float(EDGES[index + 1] - EDGES[index])


def middle_of(index: int) -> float:
    """The value a bucket stands for: its middle (the overflow bucket: its lower edge)."""
    return EDGES[index] + width_of(index) / 2


def merge(
    histograms: Iterable[Mapping[str, int]], into: dict[str, int] | None = None
) -> dict[str, int]:
    """The sum of bags of counts ``{name: count}`` (as stored in JSON), added into ``into``
    in place when given (a count may end at zero; readers ignore those)."""
    total: dict[str, int] = into if into is not None else {}
    get = total.get
    for histogram in histograms:
        for key, count in histogram.items():
            total[key] = get(key, 0) + count
    return total


def rank(n: int, fraction: float) -> int:
    """The 1-based nearest rank of a percentile: the smallest rank covering ``fraction``."""
    return max(1, math.ceil(fraction * n))


def exact_percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of raw values (the reference the buckets approximate)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[rank(len(ordered), fraction) - 1])


def percentile(histogram: Mapping[str, int], fraction: float) -> float | None:
    """The nearest-rank percentile read from a histogram: the middle of the rank's bucket."""
    counts = sorted((int(key), int(count)) for key, count in histogram.items() if int(count) > 0)
    n = sum(count for _, count in counts)
    if n == 0:
        return None
    wanted = rank(n, fraction)
    seen = 0
    for index, count in counts:
        seen += count
        if seen >= wanted:
            return middle_of(index)
    return middle_of(counts[-1][0])


def share_within(histogram: Mapping[str, int], minutes: int) -> float | None:
    """The share of durations in buckets that end at or before ``minutes`` (exact when
    ``minutes`` is a bucket edge, as 15, 30, 60, 120 and 240 are)."""
    n = sum(int(count) for count in histogram.values())
    if n == 0:
        return None
    inside = sum(
        int(count)
        for key, count in histogram.items()
        if int(key) < BUCKETS - 1 and EDGES[int(key) + 1] <= minutes
    )
    return inside / n
