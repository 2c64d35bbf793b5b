"""The targeting app's background work, for the worker to find (``jobs.discover``).

Each job is defined with the service that queues it (``retraining.retrain_model`` with the
weekly schedule, ``simulations.run_simulation``); this path stays importable because queue
rows written before the move name it.
"""

from __future__ import annotations

from greenlane.apps.targeting.retraining import retrain_model, schedule_due
from greenlane.apps.targeting.simulations import run_simulation

__all__ = ["retrain_model", "run_simulation", "schedule_due"]
