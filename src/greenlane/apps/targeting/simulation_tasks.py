"""Simulations in the background, with their progress on the run record."""

from __future__ import annotations

import logging

from django_tasks import task

from greenlane.apps.targeting import simulations
from greenlane.apps.targeting.models import SimulationRun
from greenlane.apps.targeting.selectivity import Refused
from greenlane.core.risk.selectivity import PolicyError

log = logging.getLogger(__name__)


@task()
def run_simulation(run_id: int) -> str:
    """Claim a queued simulation (only one worker can) and run it."""
    claimed = SimulationRun.objects.filter(pk=run_id, status=SimulationRun.Status.QUEUED).update(
        status=SimulationRun.Status.RUNNING
    )
    if not claimed:
        return "not queued"
    record = SimulationRun.objects.get(pk=run_id)

    def step(text: str, share: float) -> None:
        SimulationRun.objects.filter(pk=run_id).update(progress=share, message=text[:200])

    try:
        simulations.execute(record, step)
    except (Refused, PolicyError) as exc:
        simulations.fail(run_id, str(exc))
        return "failed"
    except Exception:
        log.exception("simulation %s failed", run_id)
        simulations.fail(
            run_id, f"an internal error stopped the simulation (run {run_id}); nothing was stored"
        )
        return "failed"
    return "done"
