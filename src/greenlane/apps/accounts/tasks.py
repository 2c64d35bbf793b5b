"""The accounts app's background work, for the worker to find (``jobs.discover``): forgetting,
once a day, the requests for access whose address was never confirmed."""

from __future__ import annotations

from greenlane.apps.accounts.access import forget_unconfirmed

__all__ = ["forget_unconfirmed"]
