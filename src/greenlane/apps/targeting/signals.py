"""What the targeting app tells others: a model version became the one that scores."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent inside the transaction that activates a version (``services.activate_version``),
#: with ``version`` and ``actor``; a promotion or a rollback, or a training that activates.
model_activated = Signal()
