"""Checking and rebuilding the running totals, as the command line and operators use them."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from greenlane.apps.audit import services as audit
from greenlane.apps.tallies import triggers
from greenlane.apps.targeting import waiting

#: What ``differences`` calls the inspection queue's flags (apps/targeting/waiting.py).
WAITING = "waiting decisions"


def differences() -> dict[str, int]:
    """Per total, the keys whose figures differ from a recount; and the channel decisions
    whose "waiting" flag does (the same triggers' kind of derived data)."""
    return {**triggers.check(connection), WAITING: waiting.differing(connection)}


def rebuild(actor: Any = None) -> dict[str, int]:
    """Replace every total and every waiting flag with a recount, in one transaction,
    audited; what differed before."""
    with transaction.atomic():
        before = differences()
        triggers.rebuild(connection)
        waiting.recount(connection)
        audit.record("tallies.rebuilt", actor, None, {"keys_differing_before": before})
    return before
