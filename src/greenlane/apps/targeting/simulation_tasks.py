"""Where the simulation job used to live: queue rows written before it moved to the service
that queues it (``simulations.run_simulation``) name this path."""

from __future__ import annotations

from greenlane.apps.targeting.simulations import run_simulation

__all__ = ["run_simulation"]
