"""Record keys derived from a publication, so that a retry names the post it may already have made.

A Bluesky post's record key is a TID: 64 bits written as 13 characters of a sortable base32,
made of a 53-bit microsecond timestamp and a 10-bit clock id. Clients usually take the current
time; Cluetrain takes the time the publication was planned (plus the part's index, so a thread's
parts sort in order) and a clock id hashed from the publication's key. The same publication
therefore always asks for the same record keys, and the repository, which holds one record per
key, cannot end up with the same part twice.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
LENGTH = 13
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_TIMESTAMP_BITS = 53
_CLOCK_BITS = 10


def record_key(key: str, created_at: datetime, index: int) -> str:
    """The TID of part ``index`` of the publication ``key`` first planned at ``created_at``.

    ``created_at`` must be timezone-aware (Cluetrain stores no other kind).
    """
    micros = (created_at - _EPOCH) // _MICROSECOND + index
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    clock_id = int.from_bytes(digest[:2], "big") & ((1 << _CLOCK_BITS) - 1)
    # The top bit stays 0, which is why the first character is always one of "234567ab".
    value = ((micros & ((1 << _TIMESTAMP_BITS) - 1)) << _CLOCK_BITS) | clock_id
    chars = []
    for _ in range(LENGTH):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
