"""The lake's months: written whole, replaced in one rename, read by DuckDB as partitions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenlane.core import lake
from greenlane.core.lake import Month

SCHEMA = pa.schema([("n", pa.int64()), ("text", pa.string())])


def _batches(*sizes: int, start: int = 0) -> Iterator[pa.Table]:
    for size in sizes:
        yield pa.table({"n": range(start, start + size), "text": [f"r{i}" for i in range(size)]})
        start += size


def _read(root: Path) -> list[tuple[int, int, int]]:
    sql = "SELECT year, month, count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY ALL"
    return sorted(duckdb.execute(sql + " ORDER BY ALL", [lake.pattern(root, "d")]).fetchall())


def test_months_are_partitions_duckdb_reads_with_their_year_and_month_as_numbers(
    tmp_path: Path,
) -> None:
    assert lake.write_month(tmp_path, "d", Month(2025, 3), SCHEMA, _batches(2, 3)) == 5
    assert lake.write_month(tmp_path, "d", Month(2025, 12), SCHEMA, _batches(1)) == 1
    assert _read(tmp_path) == [(2025, 3, 5), (2025, 12, 1)]
    assert lake.months(tmp_path, "d") == [Month(2025, 3), Month(2025, 12)]


def test_a_month_written_again_replaces_the_first_and_an_empty_one_goes(tmp_path: Path) -> None:
    lake.write_month(tmp_path, "d", Month(2025, 3), SCHEMA, _batches(4))
    lake.write_month(tmp_path, "d", Month(2025, 3), SCHEMA, _batches(2))
    assert _read(tmp_path) == [(2025, 3, 2)]
    assert lake.write_month(tmp_path, "d", Month(2025, 3), SCHEMA, iter([])) == 0
    assert lake.months(tmp_path, "d") == []


def test_a_failure_while_writing_leaves_the_month_as_it_was_and_no_stray_file(
    tmp_path: Path,
) -> None:
    lake.write_month(tmp_path, "d", Month(2025, 3), SCHEMA, _batches(3))

    def failing() -> Iterator[pa.Table]:
        yield from _batches(10)
        raise OSError("the database went away")

    with pytest.raises(OSError, match="went away"):
        lake.write_month(tmp_path, "d", Month(2025, 3), SCHEMA, failing())
    assert _read(tmp_path) == [(2025, 3, 3)]
    folder = Month(2025, 3).folder(tmp_path, "d")
    assert [p.name for p in folder.iterdir()] == [lake.PART]


@given(st.dates(date(1990, 1, 1), date(2100, 12, 31)))
def test_a_month_holds_its_days_and_ends_where_the_next_begins(day: date) -> None:
    month = Month.of(day)
    assert month.first <= day < month.after
    assert Month.of(month.after) != month
    assert (month.after - month.first).days in (28, 29, 30, 31)
