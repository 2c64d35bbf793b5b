"""A date-partitioned Parquet lake: the layout DuckDB and Spark both read as it is.

A data set is a folder of Hive-style partitions, one file per month::

    <root>/<dataset>/year=2025/month=3/part-0.parquet

A month is written whole and replaces the month before it in one rename, so a reader sees
the old month or the new one, never half of either, and writing the same month twice leaves
one copy. Rows are streamed in as Arrow batches: a month of any size never sits in memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PART = "part-0.parquet"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def after(self) -> date:
        """The first day of the next month."""
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def folder(self, root: Path, dataset: str) -> Path:
        return root / dataset / f"year={self.year}" / f"month={self.month}"

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


def write_month(
    root: Path, dataset: str, month: Month, schema: pa.Schema, batches: Iterable[pa.Table]
) -> int:
    """Write ``batches`` (tables of ``schema``) as the month's file, replacing what was there
    only once all of it is on disk; returns the rows written. A month with no rows removes
    the month's file, so the lake says what the source says."""
    folder = month.folder(root, dataset)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / PART
    handle, temporary = tempfile.mkstemp(prefix=".part-", suffix=".tmp", dir=folder)
    os.close(handle)
    rows = 0
    try:
        with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
            for batch in batches:
                if batch.num_rows:
                    writer.write_table(batch.cast(schema))
                    rows += batch.num_rows
        if rows:
            os.replace(temporary, target)
        else:
            target.unlink(missing_ok=True)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return rows


def months(root: Path, dataset: str) -> list[Month]:
    """The months the data set holds, oldest first."""
    found = []
    for part in (root / dataset).glob(f"year=*/month=*/{PART}"):
        month, year = part.parent.name, part.parent.parent.name
        found.append(Month(int(year.removeprefix("year=")), int(month.removeprefix("month="))))
    return sorted(found, key=lambda m: (m.year, m.month))


def pattern(root: Path, dataset: str) -> str:
    """The glob DuckDB's ``read_parquet(..., hive_partitioning = true)`` and Spark's
    ``spark.read.parquet`` (on the data set's folder) take."""
    return str(root / dataset / "year=*" / "month=*" / "*.parquet")


def tables(rows: Iterable[Sequence[Any]], schema: pa.Schema, size: int) -> Iterator[pa.Table]:
    """``rows`` (tuples in the order of ``schema``'s columns) as Arrow tables of at most
    ``size`` rows each, for ``write_month``: a month read row by row never sits in memory."""
    chunk: list[Sequence[Any]] = []

    def table() -> pa.Table:
        columns = zip(*chunk, strict=True)
        return pa.table(
            [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
            schema=schema,
        )

    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield table()
            chunk = []
    if chunk:
        yield table()
