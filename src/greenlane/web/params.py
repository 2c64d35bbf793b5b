"""Reading request parameters the same way on every page."""

from __future__ import annotations

from datetime import date


def optional_date(raw: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when the value is empty or not a date."""
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return None


#: The largest id the databases store (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def optional_id(raw: str | None) -> int | None:
    """The id of a stored object, or None when the value is empty or not one (``abc``, ``0``,
    past 64 bits): a form field naming an object by id, looked up with ``pk=``, made the
    database raise, a 500 (issue 16); None lets the service refuse it with its field."""
    value = (raw or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None
