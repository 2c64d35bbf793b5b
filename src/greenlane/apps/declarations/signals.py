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

#: Sent by the lake's export (``lake.export``) after a month's declarations are written, with
#: ``root`` and ``month`` (``core.lake.Month``). Apps that keep rows belonging to the month
#: (channel decisions) write their own data set of the lake and answer ``{data set: rows}``.
month_exporting = Signal()

#: Sent by a retirement before it removes anything, for each month, and again inside the
#: month's transaction, with ``root`` and ``month``. Receivers raise ``Refused`` when the
#: lake does not hold their rows of the month as the database does.
month_checking = Signal()

#: Sent inside a retirement's transaction (``lake.retire``), before a month's declarations
#: and results are deleted, with ``first`` and ``after`` (the month's first day and the next
#: month's). Apps that keep rows belonging to them (channel decisions, scores) delete those
#: and answer with ``{kind: rows deleted}``.
month_retiring = Signal()
