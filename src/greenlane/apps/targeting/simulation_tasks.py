"""Simulations in the background, with their progress on the run record."""

from __future__ import annotations

from greenlane import jobs
from greenlane.apps.targeting import simulations
from greenlane.apps.targeting.models import SimulationRun
from greenlane.apps.targeting.selectivity import Refused
from greenlane.core.risk.selectivity import PolicyError


@jobs.background(
    "targeting.SimulationRun",
    refused=(Refused, PolicyError),
    fail=lambda record, message: simulations.fail(record.pk, message),
    stopped="an internal error stopped the simulation (run {pk}); nothing was stored",
)
def run_simulation(record: SimulationRun) -> None:
    """Run a queued simulation."""
    simulations.execute(record, jobs.step(record))
