"""The certification app's background work, for the worker to find (``jobs.discover``): the
day's reminders (certificates that end soon, self-reviews due and overdue)."""

from __future__ import annotations

from greenlane.apps.certification.notices import remind_once

__all__ = ["remind_once"]
