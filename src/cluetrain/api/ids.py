"""Path ids: whole numbers a database key can hold, so a huge number is a 400, not a crash."""

from typing import Any

from ninja import Path

# The largest key both SQLite and PostgreSQL's integer columns hold.
MAX_ID = 2_147_483_647


def id_in_path(description: str = "") -> Any:
    return Path(..., ge=1, le=MAX_ID, description=description)
