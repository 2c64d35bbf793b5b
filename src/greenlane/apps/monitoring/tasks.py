"""Monitoring in the background, with its progress on the run record."""

from __future__ import annotations

from greenlane import jobs
from greenlane.apps.monitoring import services
from greenlane.apps.monitoring.models import Run
from greenlane.core.monitoring.rules import RulesError


@jobs.background(
    "monitoring.Run",
    refused=(RulesError,),
    stopped="an internal error stopped the run (run {pk}); nothing was stored",
)
def run_monitoring(record: Run) -> None:
    """Execute a queued monitoring run."""
    services.execute(record, jobs.step(record))
