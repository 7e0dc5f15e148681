"""CSV cells that are safe to open in a spreadsheet."""

from __future__ import annotations

# A cell starting with one of these is read by spreadsheets as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet will not run as a formula; empty for None.

    Text that people wrote is prefixed with ``'`` when it starts like a formula; numbers are
    written as they are (-3 is a number, not a formula)."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
