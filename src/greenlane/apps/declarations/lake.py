"""Declarations and their inspection results copied out to the Parquet lake, month by month.

What a customs service keeps for years but reads only in studies (a decade of declarations
for a Time Release Study, a model trained on five years) need not be read out of the
application's database each time: ``export`` writes it as ``declarations`` in the lake's
layout (``core.lake``), which DuckDB on one machine and Spark on a cluster read as it is.
Exporting a month again replaces the month's file.

``retire`` moves months out of the database once their file holds exactly what the database
does: the lake's file becomes the month's record, the rows leave the database (with their
results, corrections, scores and channel decisions), and the month is marked retired, so
that no ingest takes a declaration dated in it and no export writes its file again. This
keeps one PostgreSQL at a chosen number of years (docs/operations.md, "Where one machine ends").

On PostgreSQL each month leaves the database in one ``COPY ... TO STDOUT`` into a temporary
CSV file that Arrow reads back in batches; on SQLite (the demo) the ORM reads it in chunks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, QuerySet, Sum, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.ingest import file_sha256
from greenlane.apps.declarations.models import (
    Declaration,
    Inspection,
    InspectionCorrection,
    RetiredMonth,
)
from greenlane.apps.declarations.signals import month_checking, month_exporting, month_retiring
from greenlane.apps.tallies.models import DeclarationTally
from greenlane.core import lake
from greenlane.core.errors import Refused
from greenlane.core.lake import Month
from greenlane.core.words import Day, _

DATASET = "declarations"
CHUNK = 50_000

#: The data set's columns: the declaration as stored, then its inspection result (null when
#: it was not inspected).
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("number", pa.string()),
        ("declaration_date", pa.date32()),
        ("office_code", pa.string()),
        ("transport_mode", pa.string()),
        ("declarant_code", pa.string()),
        ("importer_code", pa.string()),
        ("seller_code", pa.string()),
        ("hs6", pa.string()),
        ("origin_country", pa.string()),
        ("dispatch_country", pa.string()),
        ("quantity", pa.decimal128(14, 3)),
        ("net_mass_kg", pa.decimal128(14, 3)),
        ("customs_value", pa.decimal128(18, 2)),
        ("tax_rate", pa.decimal128(7, 3)),
        ("duty_amount", pa.decimal128(18, 2)),
        ("attributes", pa.string()),  # JSON text: the source file's other columns
        ("inspected_on", pa.date32()),
        ("fraud_found", pa.bool_()),
        ("critical", pa.bool_()),
        ("revenue_recovered", pa.decimal128(16, 2)),
    ]
)
_RESULT = {
    "inspected_on": "inspection__inspected_on",
    "fraud_found": "inspection__fraud_found",
    "critical": "inspection__critical",
    "revenue_recovered": "inspection__revenue_recovered",
}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Exported:
    folder: Path
    months: dict[str, int]  # "2025-03": rows written
    others: dict[str, int] = default(default_factory=dict)  # data set: rows (channel decisions)

    @property
    def rows(self) -> int:
        return sum(self.months.values())


def months_on_record(since: date | None = None, until: date | None = None) -> list[Month]:
    """The months with declarations on record, from the running totals (no table scan)."""
    days = DeclarationTally.objects.filter(declarations__gt=0)
    if since:
        days = days.filter(day__gte=since)
    if until:
        days = days.filter(day__lte=until)
    found = {Month.of(d) for d in days.values_list("day", flat=True).distinct()}
    return sorted(found, key=lambda m: (m.year, m.month))


def export(
    root: Path,
    since: date | None = None,
    until: date | None = None,
    actor: Any = None,
    progress: Progress | None = None,
) -> Exported:
    """Write the months from ``since`` to ``until`` (default: all on record) to the lake at
    ``root``, each replacing the month's earlier export; audited once."""
    chosen = months_on_record(since, until)
    kept = set(RetiredMonth.objects.values_list("month", flat=True))
    for month in chosen:
        if month.first in kept:  # its rows came back (a restore by hand): never overwrite
            raise Refused(
                _(
                    "%(month)s was moved to the lake, whose file is its record; it is not "
                    "written again (its declarations on record now: remove them first)",
                    month=str(month),
                )
            )
    written: dict[str, int] = {}
    others: dict[str, int] = {}  # the other data sets of the months: rows written
    for done, month in enumerate(chosen):
        if progress:
            progress(str(month), done, len(chosen))
        written[str(month)] = lake.write_month(
            root, DATASET, month, SCHEMA, _batches(_of(month, since, until))
        )
        for _receiver, answer in month_exporting.send(Declaration, root=root, month=month):
            for dataset, rows in (answer or {}).items():
                others[dataset] = others.get(dataset, 0) + rows
    if progress:
        progress("done", len(chosen), len(chosen))
    audit.record(
        "declarations.exported",
        actor,
        None,
        {
            "folder": str(root / DATASET),
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "months": written,
            "other_data_sets": others,
        },
    )
    return Exported(root / DATASET, written, others)


def _of(month: Month, since: date | None, until: date | None) -> QuerySet[Declaration]:
    first = max(month.first, since) if since else month.first
    rows = Declaration.objects.filter(declaration_date__gte=first, declaration_date__lt=month.after)
    return rows.filter(declaration_date__lte=until) if until else rows


def _batches(declarations: QuerySet[Declaration]) -> Iterator[pa.Table]:
    if connection.vendor == "postgresql":
        yield from _copied(declarations)
    else:
        yield from _read(declarations)


def _columns() -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for field in SCHEMA:
        name = field.name
        if name == "attributes":
            columns[f"lake_{name}"] = Cast(name, TextField())
        elif name in _RESULT:
            columns[f"lake_{name}"] = F(_RESULT[name])
        else:
            columns[f"lake_{name}"] = F(name)
    return columns


def _copied(declarations: QuerySet[Declaration]) -> Iterator[pa.Table]:
    columns = _columns()
    query = declarations.order_by("pk").annotate(**columns).values_list(*columns)
    sql, params = query.query.sql_with_params()
    with tempfile.TemporaryFile() as spool:
        with connection.cursor() as cursor:
            copy_sql = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
            with cursor.cursor.copy(copy_sql, params) as copy:
                for block in copy:
                    spool.write(block)
        if not spool.tell():
            return
        spool.seek(0)
        reader = pacsv.open_csv(
            spool,
            read_options=pacsv.ReadOptions(column_names=SCHEMA.names, block_size=16 << 20),
            convert_options=pacsv.ConvertOptions(
                column_types=SCHEMA,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,  # "" is a blank code, not a missing one
                true_values=["t"],
                false_values=["f"],
            ),
        )
        for batch in reader:
            yield pa.Table.from_batches([batch])


def _read(declarations: QuerySet[Declaration]) -> Iterator[pa.Table]:
    columns = _columns()
    columns["lake_attributes"] = Coalesce(
        Cast("attributes", TextField()), Value("{}", output_field=TextField())
    )
    columns["lake_inspected_on"] = Cast(_RESULT["inspected_on"], DateField())
    rows = declarations.order_by("pk").annotate(**columns).values_list(*columns)
    yield from lake.tables(rows.iterator(chunk_size=CHUNK), SCHEMA, CHUNK)


# -- moving months out of the database ------------------------------------------------------

#: The months a retirement never takes: the recent ones that the pages, monitoring's
#: indicators, the what-if page, training and batch rollback read.
KEEP_MONTHS = 24


@dataclass(frozen=True)
class Facts:
    """What a month holds, counted the same way in the database and in its file: if two
    months agree on all of these, the file holds the month's declarations and results."""

    declarations: int
    id_sum: int
    inspections: int
    frauds: int
    revenue: Decimal


@dataclass(frozen=True)
class Retired:
    months: dict[str, int]  # "2016-03": declarations moved out
    inspections: int
    scores: int
    channel_decisions: int

    @property
    def rows(self) -> int:
        return sum(self.months.values())


def newest_retirable(today: date | None = None) -> date:
    """The last day a retirement may reach: the end of the month ``KEEP_MONTHS`` before this
    one."""
    month = Month.of(today or timezone.localdate())
    index = month.year * 12 + month.month - 1 - KEEP_MONTHS
    return Month(index // 12, index % 12 + 1).after - timedelta(days=1)


def retirable(until: date, today: date | None = None) -> list[Month]:
    """The whole months on record up to ``until``."""
    last = min(until, newest_retirable(today))
    return [m for m in months_on_record(until=last) if m.after - timedelta(days=1) <= last]


def retire(
    root: Path,
    until: date,
    actor: Any = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> Retired:
    """Move the whole months on record up to ``until`` out of the database, oldest first,
    each in one transaction and audited, once the lake at ``root`` holds each as the database
    does. Refused before anything is removed when ``until`` is within the last
    ``KEEP_MONTHS`` months or a month's file is missing or differs (export it again)."""
    newest = newest_retirable(today)
    if until > newest:
        raise Refused(
            _(
                "the last %(n)s months stay in the database: retire up to %(day)s at most",
                n=KEEP_MONTHS,
                day=Day(newest),
            )
        )
    chosen = retirable(until, today)
    for month in chosen:  # every file checked before anything leaves the database
        _same(root, month)
    moved: dict[str, int] = {}
    inspections = scores = decisions = 0
    for done, month in enumerate(chosen):
        if progress:
            progress(str(month), done, len(chosen))
        with transaction.atomic():
            _lock_out_ingests()
            held = _same(root, month)  # again, with new declarations kept out
            counts = _remove(month)
            path = month.folder(root, DATASET) / lake.PART
            record = RetiredMonth.objects.create(
                month=month.first,
                declarations=counts["declarations"],
                inspections=counts["inspection results"],
                scores=counts.get("scores", 0),
                channel_decisions=counts.get("channel decisions", 0),
                corrections=counts["corrections"],
                file=str(path),
                sha256=file_sha256(path),
                retired_by=actor if actor is not None and actor.is_authenticated else None,
            )
            audit.record(
                "declarations.retired",
                actor,
                record,
                {"month": str(month), "file": record.file, "sha256": record.sha256,
                 "revenue_recovered": str(held.revenue), **counts},
            )  # fmt: skip
        moved[str(month)] = counts["declarations"]
        inspections += counts["inspection results"]
        scores += counts.get("scores", 0)
        decisions += counts.get("channel decisions", 0)
    if progress:
        progress("done", len(chosen), len(chosen))
    return Retired(moved, inspections, scores, decisions)


def _same(root: Path, month: Month) -> Facts:
    """The month's facts, the same in its file and in the database; else refused."""
    path = month.folder(root, DATASET) / lake.PART
    if not path.exists():
        raise Refused(
            _(
                "%(month)s is not in the lake at %(folder)s: export it first "
                "(greenlane lake export)",
                month=str(month),
                folder=str(root),
            )
        )
    kept, held = _file_facts(month, path), _database_facts(month)
    month_checking.send(Declaration, root=root, month=month)  # the other data sets
    if kept != held:
        raise Refused(
            _(
                "the lake's file for %(month)s differs from the database (%(kept)s "
                "declarations and %(kept_results)s results in the file, %(held)s and "
                "%(held_results)s on record): export the month again",
                month=str(month),
                kept=kept.declarations,
                kept_results=kept.inspections,
                held=held.declarations,
                held_results=held.inspections,
            )
        )
    return held


def _file_facts(month: Month, path: Path) -> Facts:
    table = read_columns(month, path, ["id", "inspected_on", "fraud_found", "revenue_recovered"])
    revenue = pc.sum(table["revenue_recovered"]).as_py()
    return Facts(
        declarations=table.num_rows,
        id_sum=int(pc.sum(table["id"]).as_py() or 0),
        inspections=table.num_rows - table["inspected_on"].null_count,
        frauds=int(pc.sum(pc.cast(pc.fill_null(table["fraud_found"], False), "int64")).as_py()),
        revenue=Decimal(revenue or 0).quantize(Decimal("0.01")),
    )


def read_columns(month: Month, path: Path, columns: list[str]) -> pa.Table:
    """``columns`` of a month's file in the lake; a file that cannot be read (damaged, cut
    short, another schema) is refused, named, with what to do."""
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise Refused(
            _(
                "the lake's file %(file)s for %(month)s cannot be read (%(why)s): export the "
                "month again",
                file=str(path),
                month=str(month),
                why=str(exc)[:200],
            )
        ) from None


def _database_facts(month: Month) -> Facts:
    found = _of(month, None, None).aggregate(
        declarations=Count("id"),
        id_sum=Sum("id"),
        inspections=Count("inspection"),
        frauds=Count("inspection", filter=Q(inspection__fraud_found=True)),
        revenue=Sum("inspection__revenue_recovered"),
    )
    return Facts(
        declarations=found["declarations"],
        id_sum=int(found["id_sum"] or 0),
        inspections=found["inspections"],
        frauds=found["frauds"],
        revenue=Decimal(found["revenue"] or 0).quantize(Decimal("0.01")),
    )


def _lock_out_ingests() -> None:
    """No declaration arrives while a month is checked and removed: on PostgreSQL a lock
    that waits for the ingests under way and holds new ones until the commit (an ingest
    takes its own lock before it reads the retired months, ``ingest.retired_months``);
    SQLite has one writer at a time anyway."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Declaration._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def _remove(month: Month) -> dict[str, int]:
    """The month's declarations and what hangs on them, each in one DELETE statement (the
    ORM would load millions of rows to cascade); the running totals follow by their
    triggers."""
    declarations = connection.ops.quote_name(Declaration._meta.db_table)
    inspections = connection.ops.quote_name(Inspection._meta.db_table)
    corrections = connection.ops.quote_name(InspectionCorrection._meta.db_table)
    in_month = "declaration_date >= %s AND declaration_date < %s"
    of_month = f"SELECT id FROM {declarations} WHERE {in_month}"
    period = [month.first, month.after]
    counts: dict[str, int] = {}
    for _receiver, answer in month_retiring.send(Declaration, first=month.first, after=month.after):
        counts.update(answer or {})
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {corrections} WHERE inspection_id IN "
            f"(SELECT id FROM {inspections} WHERE declaration_id IN ({of_month}))",
            period,
        )
        counts["corrections"] = int(cursor.rowcount)
        cursor.execute(f"DELETE FROM {inspections} WHERE declaration_id IN ({of_month})", period)
        counts["inspection results"] = int(cursor.rowcount)
        cursor.execute(f"DELETE FROM {declarations} WHERE {in_month}", period)
        counts["declarations"] = int(cursor.rowcount)
    return counts
