"""The monitoring app's background work, for the worker to find (``jobs.discover``).

The job is defined with the service it runs (``services.run_monitoring``); this path stays
importable because queue rows written before the move name it.
"""

from __future__ import annotations

from greenlane.apps.monitoring.services import run_monitoring, schedule_due

__all__ = ["run_monitoring", "schedule_due"]
