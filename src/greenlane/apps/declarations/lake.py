"""Declarations and their inspection results copied out to the Parquet lake, month by month.

What a customs service keeps for years but reads only in studies (a decade of declarations
for a Time Release Study, a model trained on five years) need not be read out of the
application's database each time: ``export`` writes it as ``declarations`` in the lake's
layout (``core.lake``), which DuckDB on one machine and Spark on a cluster read as it is.
The database stays the record; exporting a month again replaces the month's file.

On PostgreSQL each month leaves the database in one ``COPY ... TO STDOUT`` into a temporary
CSV file that Arrow reads back in batches; on SQLite (the demo) the ORM reads it in chunks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection
from django.db.models import DateField, F, QuerySet, TextField, Value
from django.db.models.functions import Cast, Coalesce

from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.tallies.models import DeclarationTally
from greenlane.core import lake
from greenlane.core.lake import Month

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
    written: dict[str, int] = {}
    for done, month in enumerate(chosen):
        if progress:
            progress(str(month), done, len(chosen))
        written[str(month)] = lake.write_month(
            root, DATASET, month, SCHEMA, _batches(_of(month, since, until))
        )
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
        },
    )
    return Exported(root / DATASET, written)


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
    chunk: list[tuple[Any, ...]] = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield _table(chunk)
            chunk = []
    if chunk:
        yield _table(chunk)


def _table(rows: list[tuple[Any, ...]]) -> pa.Table:
    values = list(zip(*rows, strict=True))
    return pa.table(
        [pa.array(v, type=f.type) for v, f in zip(values, SCHEMA, strict=True)], schema=SCHEMA
    )
