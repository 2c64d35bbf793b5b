"""Ingesting files of declarations or inspection results: validated, all-or-nothing, audited.

A file is read in batches, each validated column-wise (``greenlane.core.risk.validate``); rows
that fail are kept with their reasons. Everything a file brings (the batch record, its
declarations, inspection results and rejected rows) is written in one transaction: a crash
leaves nothing behind, and the same content is never ingested twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from queue import Empty, Queue
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import (
    Declaration,
    IngestBatch,
    Inspection,
    RejectedRow,
    RetiredMonth,
)
from greenlane.apps.declarations.signals import batch_ingested
from greenlane.apps.wording import translated
from greenlane.core.risk.mapping import ColumnMapping
from greenlane.core.risk.readers import Batch, detect_format, parquet_rows, read_batches
from greenlane.core.risk.validate import Numbers, Rejection, Validated, validate
from greenlane.core.words import Day, Words, _

T = TypeVar("T")
Progress = Callable[[int, int | None], None]  # rows done, rows expected (None: unknown)
LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit on older builds


def already_on_record(number: str) -> Words:
    return _("declaration number %(number)s is already on record", number=number)


def no_such_declaration(number: str) -> Words:
    return _("%(number)s: no such declaration on record, or it already has a result", number=number)


def in_retired_month(number: str, day: date) -> Words:
    return _(
        "declaration %(number)s is dated %(day)s, in a month moved to the Parquet lake, whose "
        "file is that month's record",
        number=number,
        day=Day(day),
    )


def inspected_before_declared(number: str) -> Words:
    return _("%(number)s: inspected_on is before the declaration date on record", number=number)


DECLARATION_COLUMNS = (
    "number", "batch_id", "declaration_date", "office_code", "transport_mode", "declarant_code",
    "importer_code", "seller_code", "hs6", "origin_country", "dispatch_country", "quantity",
    "net_mass_kg", "customs_value", "tax_rate", "duty_amount", "attributes",
)  # fmt: skip
DECIMALS = {"quantity": 3, "net_mass_kg": 3, "customs_value": 2, "tax_rate": 3, "duty_amount": 2}
TEXT_DEFAULTS = {
    "transport_mode": "9",
    "declarant_code": "",
    "seller_code": "",
    "dispatch_country": "",
}


class DuplicateFile(Exception):
    """The file's content is on record already: ``words`` for a person (in their language),
    ``str()`` in English."""

    def __init__(self, batch: IngestBatch) -> None:
        self.batch = batch
        self.words = _(
            "this file was already ingested on %(when)s UTC as batch #%(batch)s (%(accepted)s "
            "rows accepted, %(rejected)s rejected)",
            when=f"{batch.created_at:%Y-%m-%d %H:%M}",
            batch=str(batch.pk),
            accepted=batch.rows_accepted,
            rejected=batch.rows_rejected,
        )
        super().__init__(str(self.words))


@dataclass(frozen=True)
class Result:
    batch: IngestBatch
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    inspections: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def expected_rows(path: Path) -> int | None:
    """A quick estimate for progress bars: Parquet knows; CSV lines are counted."""
    fmt = detect_format(path)
    if fmt == "parquet":
        return parquet_rows(path)  # a damaged footer is a FileError with its reason
    if fmt == "csv":
        with path.open("rb") as handle:
            return max(
                sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1, 0
            )
    return None


def ingest(
    path: Path,
    mapping: ColumnMapping,
    actor: User | None = None,
    progress: Progress | None = None,
    file_name: str | None = None,
) -> Result:
    """Ingest ``path`` through ``mapping``; raise DuplicateFile if its content is on record."""
    kind = (
        IngestBatch.Kind.DECLARATIONS
        if mapping.kind == "declarations"
        else IngestBatch.Kind.INSPECTIONS
    )
    sha = file_sha256(path)
    existing = IngestBatch.objects.filter(
        kind=kind, sha256=sha, rolled_back_at__isnull=True
    ).first()
    if existing is not None:
        raise DuplicateFile(existing)
    total = expected_rows(path) if progress else None
    if progress:
        progress(0, total)
    started = time.monotonic()
    with transaction.atomic():
        batch = IngestBatch.objects.create(
            kind=kind,
            file_name=(file_name or path.name)[:255],
            sha256=sha,
            file_format=detect_format(path),
            mapping=mapping.name,
            currency=mapping.currency,
            source_columns=mapping.source_columns(),
            rows_read=0,
            rows_accepted=0,
            rows_rejected=0,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        retired = retired_months() if kind == IngestBatch.Kind.DECLARATIONS else set()
        for part, checked in prefetch(_validated(path, mapping)):
            accepted, rejected = checked.accepted, checked.rejected
            if retired:
                accepted, rejected = _outside_retired(accepted, rejected, retired)
            if mapping.kind == "inspections":
                accepted, rejected, ids = _results_for_records(accepted, rejected)
            elif connection.vendor == "postgresql":
                accepted, rejected, ids = _insert_new_declarations(batch, accepted, rejected)
            else:
                accepted, rejected = _new_declarations_only(accepted, rejected)
                ids = _insert_declarations(batch, accepted, want_ids=mapping.has_labels)
            batch.inspections += _insert_inspections(batch, accepted, ids, mapping, actor)
            _insert_rejected(batch, rejected)
            batch.rows_read += part.table.num_rows + len(part.malformed)
            batch.rows_accepted += accepted.num_rows
            batch.rows_rejected += len(rejected)
            if progress:
                progress(batch.rows_read, total)
        batch.seconds = time.monotonic() - started
        batch.save(
            update_fields=["rows_read", "rows_accepted", "rows_rejected", "inspections", "seconds"]
        )
        assert batch.rows_read == batch.rows_accepted + batch.rows_rejected
        audit.record(
            f"declarations.{kind}.ingested",
            actor,
            batch,
            {
                "file": batch.file_name,
                "sha256": sha,
                "mapping": mapping.name,
                "rows_read": batch.rows_read,
                "rows_accepted": batch.rows_accepted,
                "rows_rejected": batch.rows_rejected,
                "inspections": batch.inspections,
            },
        )
        _refresh_statistics(batch)
        if kind == IngestBatch.Kind.DECLARATIONS:
            batch_ingested.send(IngestBatch, batch=batch, actor=actor)
    return Result(
        batch, batch.rows_read, batch.rows_accepted, batch.rows_rejected, batch.inspections
    )


#: Rows a batch adds before PostgreSQL's planner statistics are refreshed at once.
ANALYZE_ROWS = 10_000


def _refresh_statistics(batch: IngestBatch) -> None:
    """After a large batch, ``ANALYZE`` what it wrote (a sample of 30,000 rows, under a second
    at any size): the scoring queued with it reads these rows next, and a planner that still
    thinks the table holds what autovacuum last saw picks nested loops for a million rows."""
    if connection.vendor != "postgresql" or batch.rows_accepted < ANALYZE_ROWS:
        return
    tables = [Declaration._meta.db_table, Inspection._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")


def _validated(path: Path, mapping: ColumnMapping) -> Iterator[tuple[Batch, Validated]]:
    seen, today = Numbers(), timezone.localdate()
    for part in read_batches(path, mapping):
        yield part, validate(part, mapping, seen, today)


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Run ``items`` in a thread, ``depth`` ahead: the next batch is read and validated (Arrow
    releases the GIL) while the database writes the current one. Errors reach the caller."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put(("item", item))
            queue.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put(("error", exc))

    thread = threading.Thread(target=work, name="ingest-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                queue.get_nowait()
            except Empty:
                thread.join(timeout=0.05)


def retired_months() -> set[tuple[int, int]]:
    """The months moved to the lake, as (year, month), read under the lock every insert
    into the declarations takes, taken first: a retirement under way (``lake.retire``, which
    locks new declarations out) has then either finished, and its month is read here, or
    waits for this ingest to end (and then finds the month's rows differ from its file)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Declaration._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
    return {(d.year, d.month) for d in RetiredMonth.objects.values_list("month", flat=True)}


def _outside_retired(
    accepted: pa.Table, rejected: list[Rejection], retired: set[tuple[int, int]]
) -> tuple[pa.Table, list[Rejection]]:
    """A declaration dated in a month moved to the lake rejects the row."""
    bad = [(d.year, d.month) in retired for d in accepted["declaration_date"].to_pylist()]
    return _move_rejected(accepted, rejected, bad, in_retired_month, "number", "declaration_date")


def _new_declarations_only(
    accepted: pa.Table, rejected: list[Rejection]
) -> tuple[pa.Table, list[Rejection]]:
    """SQLite: a declaration number already on record rejects the row."""
    numbers = accepted["number"].to_pylist()
    clash: set[str] = set()
    for chunk in _chunks(numbers):
        clash.update(Declaration.objects.filter(number__in=chunk).values_list("number", flat=True))
    return _move_rejected(accepted, rejected, [n in clash for n in numbers], already_on_record)


def _results_for_records(
    accepted: pa.Table, rejected: list[Rejection]
) -> tuple[pa.Table, list[Rejection], dict[str, int]]:
    """An inspection result must name a declaration on record that has no result yet."""
    numbers = accepted["number"].to_pylist()
    ids = declaration_ids(numbers)
    done: set[str] = set()
    for chunk in _chunks(list(ids.values())):
        with_result = Inspection.objects.filter(declaration_id__in=chunk)
        done.update(with_result.values_list("declaration__number", flat=True))
    bad = [n not in ids or n in done for n in numbers]
    accepted, rejected = _move_rejected(accepted, rejected, bad, no_such_declaration)
    dated = _declaration_dates([ids[n] for n in accepted["number"].to_pylist()])
    early = [
        day < dated[ids[n]]
        for n, day in zip(
            accepted["number"].to_pylist(), accepted["inspected_on"].to_pylist(), strict=True
        )
    ]
    accepted, rejected = _move_rejected(accepted, rejected, early, inspected_before_declared)
    return accepted, rejected, ids


def _declaration_dates(ids: Sequence[int]) -> dict[int, date]:
    dates: dict[int, date] = {}
    for chunk in _chunks(ids):
        dates.update(Declaration.objects.filter(id__in=chunk).values_list("id", "declaration_date"))
    return dates


def _move_rejected(
    accepted: pa.Table,
    rejected: list[Rejection],
    bad: list[bool],
    reason: Callable[..., Words],
    *fields: str,
) -> tuple[pa.Table, list[Rejection]]:
    """The ``bad`` rows out of ``accepted``, rejected with ``reason`` of their ``fields``
    (their number when none are named)."""
    if not any(bad):
        return accepted, rejected
    named = fields or ("number",)
    extra = [
        Rejection(row["row"], reason(*(row[f] for f in named)), _raw(row))
        for row, b in zip(accepted.to_pylist(), bad, strict=True)
        if b
    ]
    return accepted.filter(pa.array([not b for b in bad])), rejected + extra


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def declaration_ids(
    numbers: Sequence[str], among: QuerySet[Declaration] | None = None
) -> dict[str, int]:
    """The ids of the declarations with these numbers (``among`` those of a query), by number,
    looked up in chunks the database takes."""
    found = Declaration.objects.all() if among is None else among
    ids: dict[str, int] = {}
    for chunk in _chunks(numbers):
        ids.update(found.filter(number__in=chunk).values_list("number", "id"))
    return ids


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), LOOKUP_CHUNK):
        yield values[i : i + LOOKUP_CHUNK]


def _typed(batch: IngestBatch, table: pa.Table) -> pa.Table:
    """The table in the declaration table's column order, rounded and with defaults filled."""
    n = table.num_rows
    columns: dict[str, pa.Array] = {}
    for name in DECLARATION_COLUMNS:
        if name == "batch_id":
            columns[name] = pa.array([batch.pk] * n, pa.int64())
        elif name not in table.column_names:
            default = TEXT_DEFAULTS.get(name)
            columns[name] = pa.array(
                [default] * n, pa.string() if default is not None else pa.float64()
            )
        elif name in DECIMALS:
            columns[name] = pc.round(table[name], DECIMALS[name])
        elif name in TEXT_DEFAULTS:
            columns[name] = pc.fill_null(table[name], TEXT_DEFAULTS[name])
        else:
            columns[name] = table[name]
    return pa.table(columns)


def _insert_declarations(batch: IngestBatch, table: pa.Table, want_ids: bool) -> dict[str, int]:
    """SQLite: numbers were checked against the records before; insert in one executemany."""
    if table.num_rows == 0:
        return {}
    typed = _typed(batch, table)
    columns = ", ".join(DECLARATION_COLUMNS)
    marks = ", ".join(["%s"] * len(DECLARATION_COLUMNS))
    last_id = (
        Declaration.objects.filter(batch=batch).order_by("-id").values_list("id", flat=True).first()
        or 0
    )
    rows = zip(*(typed[name].to_pylist() for name in DECLARATION_COLUMNS), strict=True)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO declarations_declaration ({columns}) VALUES ({marks})", rows
        )
    if not want_ids:
        return {}
    # This batch is ours alone, so its rows past last_id are exactly the ones just written.
    return dict(Declaration.objects.filter(batch=batch, id__gt=last_id).values_list("number", "id"))


def _insert_new_declarations(
    batch: IngestBatch, table: pa.Table, rejected: list[Rejection]
) -> tuple[pa.Table, list[Rejection], dict[str, int]]:
    """PostgreSQL: the numbers already on record are looked up in one query (the unique
    index answers), the rest is COPYed straight into the table (CSV written by Arrow: nulls
    unquoted-empty, empty text quoted), and the ids of the rows that carry an inspection
    result are read back. A number another writer stores between the look-up and the COPY
    makes the COPY fail: its savepoint is rolled back and the chunk goes the slower way,
    through a staging table and INSERT ... ON CONFLICT DO NOTHING, which skips it. Going
    through the staging table every time cost a fifth of the ingest (decision 0033)."""
    if table.num_rows == 0:
        return table, rejected, {}
    numbers = table["number"].to_pylist()
    clash = set(_ids(numbers))
    if clash:
        table, rejected = _move_rejected(
            table, rejected, [n in clash for n in numbers], already_on_record
        )
    if table.num_rows == 0:
        return table, rejected, {}
    from psycopg.errors import UniqueViolation  # COPY is psycopg's own: Django wraps no error

    buffer = _csv(_typed(batch, table))
    columns = ", ".join(DECLARATION_COLUMNS)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            copying = f"COPY declarations_declaration ({columns}) FROM STDIN (FORMAT csv)"
            with cursor.cursor.copy(copying) as copy:
                copy.write(buffer.getbuffer())
    except UniqueViolation:
        return _insert_staged(batch, table, rejected, buffer)
    labelled = (
        table.filter(pc.is_valid(table["fraud"]))["number"].to_pylist()
        if "fraud" in table.column_names
        else []
    )
    return table, rejected, _ids(labelled)


def _csv(table: pa.Table) -> io.BytesIO:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False))
    return buffer


def _ids(numbers: list[str]) -> dict[str, int]:
    """PostgreSQL: the ids of the declarations on record with these numbers, by number, in
    one query (the unique index answers each)."""
    if not numbers:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number, id FROM declarations_declaration WHERE number = ANY(%s)", [numbers]
        )
        return dict(cursor.fetchall())


def _insert_staged(
    batch: IngestBatch, table: pa.Table, rejected: list[Rejection], buffer: io.BytesIO
) -> tuple[pa.Table, list[Rejection], dict[str, int]]:
    """PostgreSQL, when a number arrived from elsewhere meanwhile: COPY into a staging table,
    then one INSERT ... ON CONFLICT DO NOTHING moves the new declarations over; RETURNING
    gives the new ids."""
    columns = ", ".join(DECLARATION_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS ingest_stage ON COMMIT DROP AS "
            f"SELECT {columns} FROM declarations_declaration WITH NO DATA"
        )
        cursor.execute("TRUNCATE ingest_stage")
        with cursor.cursor.copy(f"COPY ingest_stage ({columns}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getbuffer())
        cursor.execute(
            f"INSERT INTO declarations_declaration ({columns}) SELECT {columns} FROM ingest_stage "
            "ON CONFLICT (number) DO NOTHING RETURNING number, id"
        )
        ids = dict(cursor.fetchall())
    new = [n in ids for n in table["number"].to_pylist()]
    accepted, rejected = _move_rejected(table, rejected, [not n for n in new], already_on_record)
    return accepted, rejected, ids


def _raw(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row.items() if k != "row"}


def _insert_inspections(
    batch: IngestBatch,
    table: pa.Table,
    ids: dict[str, int],
    mapping: ColumnMapping,
    actor: User | None,
) -> int:
    """One inspection result per labelled row; without a result date, the declaration date."""
    if not mapping.has_labels or table.num_rows == 0:
        return 0
    labelled = table.filter(pc.is_valid(table["fraud"]))
    n = labelled.num_rows

    def column(name: str, default: Any) -> list[Any]:
        return labelled[name].to_pylist() if name in labelled.column_names else [default] * n

    dates = column("inspected_on", None)
    fallback = column("declaration_date", None)
    critical, revenue = column("critical", False), column("revenue_recovered", 0.0)
    objs = [
        Inspection(
            declaration_id=ids[number],
            batch=batch,
            recorded_by=actor if actor is not None and actor.is_authenticated else None,
            inspected_on=dates[i] or fallback[i],
            fraud_found=fraud,
            critical=bool(critical[i]),
            revenue_recovered=round(revenue[i] or 0.0, 2),
        )
        for i, (number, fraud) in enumerate(
            zip(labelled["number"].to_pylist(), labelled["fraud"].to_pylist(), strict=True)
        )
    ]
    Inspection.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _insert_rejected(batch: IngestBatch, rejected: Iterable[Rejection]) -> None:
    """The rejected rows, each reason stored as data (``Words.as_json``) to be translated when
    read. Rows failing the same way share one Words (``validate``): made into data once."""
    stored: dict[int, dict[str, Any]] = {}

    def data(words: Words) -> dict[str, Any]:
        found = stored.get(id(words))
        if found is None:
            found = stored[id(words)] = words.as_json()
        return found

    RejectedRow.objects.bulk_create(
        [RejectedRow(batch=batch, row=r.row, reason=data(r.reason), raw=r.raw) for r in rejected],
        batch_size=2000,
    )


def rejected_rows_csv(
    batch: IngestBatch, say: Callable[[Any], str] = translated
) -> Iterable[list[str]]:
    """Rows for a CSV download of the rejected rows: row, reason, then the raw values. The
    reasons in the active language (``say``; the command line gives ``english``)."""
    rows = batch.rejected_rows.order_by("row")
    keys = list(batch.source_columns)
    if rows.filter(raw__has_key="line").exists():
        keys.append("line")  # the raw text of rows that could not be parsed
    yield ["row", "reason", *keys]
    said: dict[str, str] = {}  # reasons repeat: each one translated once
    for r in rows.iterator():
        key = json.dumps(r.reason, sort_keys=True) if not isinstance(r.reason, str) else r.reason
        reason = said.get(key)
        if reason is None:
            reason = said[key] = say(r.reason)
        yield [str(r.row), reason, *[_cell(r.raw.get(k)) for k in keys]]


def _cell(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)
