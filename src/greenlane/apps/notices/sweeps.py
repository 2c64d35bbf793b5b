"""Once-a-day work asked for every ten minutes by every worker."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from greenlane.apps.notices.models import Sweep


def first_today(name: str, day: date) -> bool:
    """Whether this caller is the first to ask for ``name`` on ``day`` (then it does it)."""
    try:
        with transaction.atomic():
            Sweep.objects.create(name=name, day=day)
    except IntegrityError:
        return False
    return True
