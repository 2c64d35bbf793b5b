"""Checking and rebuilding the running totals, as the command line and operators use them."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from greenlane.apps.audit import services as audit
from greenlane.apps.tallies import triggers


def differences() -> dict[str, int]:
    """Per total, the keys whose figures differ from a recount."""
    return triggers.check(connection)


def rebuild(actor: Any = None) -> dict[str, int]:
    """Replace every total with a recount, in one transaction, audited; what differed before."""
    with transaction.atomic():
        before = triggers.check(connection)
        triggers.rebuild(connection)
        audit.record("tallies.rebuilt", actor, None, {"keys_differing_before": before})
    return before
