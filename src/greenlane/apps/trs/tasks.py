"""The TRS app's background work, for the worker to find (``jobs.discover``).

The study's run is defined with the service that queues it (``services.run_study``); this
path stays importable because queue rows written before the move name it.
"""

from __future__ import annotations

from greenlane.apps.trs.services import run_study

__all__ = ["run_study"]
