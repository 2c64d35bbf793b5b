"""What the declarations app tells others: a batch of declarations is on record."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent inside the ingest's transaction once a batch of declarations is written, with
#: ``batch`` (its rows accepted counted) and ``actor``. Apps that act on new declarations
#: (scoring them) listen, so the declarations app needs to know none of them.
batch_ingested = Signal()

#: Sent inside a rollback's transaction, before the batch's declarations and results are
#: deleted, with ``batch`` and ``actor``. Apps that keep rows derived from them (scores)
#: delete those and answer with ``{kind: rows deleted}`` for the rollback's report.
batch_rolling_back = Signal()

#: Sent inside a retirement's transaction (``lake.retire``), before a month's declarations
#: and results are deleted, with ``first`` and ``after`` (the month's first day and the next
#: month's). Apps that keep rows derived from them (scores) delete those and answer with
#: ``{kind: rows deleted}``.
month_retiring = Signal()
