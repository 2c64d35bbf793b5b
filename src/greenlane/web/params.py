"""Reading request parameters the same way on every page."""

from __future__ import annotations

from datetime import date


def optional_date(raw: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when the value is empty or not a date."""
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return None
