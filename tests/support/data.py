"""Where the tests find the real public data sets."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data"


def real_data(relative: str) -> Path:
    """A file of the public data sets: from ``$CLUETRAIN_SHARED_DATA`` or ``../shared/data``
    beside the repository when it is there, else the sample kept in ``tests/data``."""
    places = [
        os.environ.get("CLUETRAIN_SHARED_DATA", ""),
        str(ROOT.parent / "shared" / "data"),
        "/work/shared/data",
    ]
    for place in places:
        if place and (Path(place) / relative).is_file():
            return Path(place) / relative
    return SAMPLES / relative
