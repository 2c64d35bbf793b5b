"""Event logs are read block by block (issue 16): memory follows the block and the table of
accepted consignments, not the file, and a row is judged the same in whichever block it falls:
a bad value late in a file is that row's rejection, with the reason it has anywhere else."""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.trs import events
from greenlane.core.trs.events import EventLog, read_events

WIDE = "consignment_id,office_code,aeo,customs_value,arrival,lodged,registered,release,exit\n"
LONG = "consignment_id,stage,timestamp,office_code,aeo\n"
BLOCK = 1 << 16  # 64 KB: a 200,000-row file is some 300 blocks


def wide_row(i: int) -> str:
    d = f"2025-03-{1 + i % 27:02d}"
    return (
        f"C{i},OF{i % 7},{'yes' if i % 3 else 'no'},{i % 1000}.5,"
        f"{d} 08:00,{d} 09:00:00,{d}T09:30:00,{d} 20:00,\n"
    )


def long_rows(i: int) -> str:
    d = f"2025-03-{1 + i % 27:02d}"
    return (
        f"C{i},arrival,{d} 08:00,OF{i % 7},yes\n"
        f"C{i},registered,{d} 09:00,,\n"
        f"C{i},release,{d} 20:00,,\n"
    )


def _summary(log: EventLog) -> tuple[object, ...]:
    return (
        log.layout,
        [(r.row, r.reason, r.consignment) for r in log.rejected],
        log.rows_read,
        log.consignments_read,
        log.consignments.to_pylist(),
        log.consignments.schema,
    )


# Memory. Arrow's allocations are counted by a proxy pool set for the read alone; buffers
# allocated from it must not outlive it, so every pool is kept for the life of the process.
_POOLS: list[pa.MemoryPool] = []


def _peak(read: Callable[[], EventLog]) -> tuple[int, int]:
    """Arrow's peak allocation while reading, and the size of the table read."""
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    _POOLS.append(pool)
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        log = read()
    finally:
        pa.set_memory_pool(previous)
    output = log.consignments.nbytes
    del log
    gc.collect()
    return pool.max_memory(), output


def test_reading_a_wide_csv_takes_the_memory_of_its_blocks_and_of_the_table_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200,000 consignments (19 MB of CSV). Reading it whole, as before, peaked at 45 MB of Arrow
    memory (the text of every column, kept to guess types, beside the table read); by blocks
    of 64 KB it peaks at about 10 MB. The bound: the table read (23 MB, most of it held by
    numpy rather than Arrow) plus 64 blocks (the reader's read-ahead and a block's parsing)."""
    path = tmp_path / "wide.csv"
    path.write_text(WIDE + "".join(wide_row(i) for i in range(200_000)), encoding="utf-8")
    monkeypatch.setattr(events, "CSV_BLOCK_BYTES", BLOCK)
    peak, output = _peak(lambda: read_events(path))
    assert output > 0.9 * path.stat().st_size  # (the table read is about the file's size)
    assert peak < output + 64 * BLOCK, (peak, output)


def test_reading_a_long_csv_keeps_each_event_compactly_not_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """210,000 events of 70,000 consignments (7.7 MB). A consignment needs all its events, so
    what is kept of each event (its id, stage number, time and checked attributes) lives until
    the end: about a third of its text. Whole-file reading peaked at 22 MB (three times the
    file); by blocks, 12 MB."""
    path = tmp_path / "long.csv"
    path.write_text(LONG + "".join(long_rows(i) for i in range(70_000)), encoding="utf-8")
    monkeypatch.setattr(events, "CSV_BLOCK_BYTES", BLOCK)
    peak, output = _peak(lambda: read_events(path))
    assert peak < output + path.stat().st_size / 2 + 64 * BLOCK, (peak, output)


# The same rows and reasons, whatever the blocks.


def test_a_bad_value_late_in_a_wide_file_is_that_rows_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of rows of good times, then bad ones: with types guessed from the first block a
    late bad value would fail the whole file; read as text it is the row's rejection, with the
    reasons the same row gets at the top of a small file."""
    late = [
        "X1,OF1,maybe,abc,yesterday,,,2025-03-02 08:00,\n",
        "X2,OF1,yes,1,2025-03-02 08:00,,,2025-03-01 08:00,\n",
        "C0,OF1,yes,1,2025-03-01 08:00,,,2025-03-02 08:00,\n",  # C0 is row 1
        ",OF1,yes,1,2025-03-01 08:00,,,,\n",
    ]
    path = tmp_path / "late.csv"
    path.write_text(WIDE + "".join(wide_row(i) for i in range(30_000)) + "".join(late))
    monkeypatch.setattr(events, "CSV_BLOCK_BYTES", BLOCK)
    log = read_events(path)
    assert log.rows_read == 30_004
    assert log.consignments.num_rows == 30_000
    assert [(r.row, r.reason, r.consignment) for r in log.rejected] == [
        (
            30_001,
            "arrival is not a date and time; aeo is not yes/no; customs_value is not a number; "
            "no arrival time",
            "X1",
        ),
        (30_002, "release (2025-03-01 08:00) is before arrival (2025-03-02 08:00)", "X2"),
        (30_003, "consignment C0 already appears in row 1", "C0"),
        (30_004, "consignment_id is missing; no release time", ""),
    ]
    small = tmp_path / "small.csv"
    small.write_text(WIDE + wide_row(0) + "".join(late))
    assert [r.reason for r in read_events(small).rejected] == [r.reason for r in log.rejected]


def test_a_long_file_joins_a_consignments_events_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = "X1,arrival,2025-03-01 08:00,OFX,yes\nX2,arrival,2025-03-02 08:00,,\n"
    last = (
        "X1,release,2025-03-01 20:00,,no\n"  # X1 measured from both ends of the file
        "X2,release,2025-03-01 20:00,OFY,\n"  # before its arrival: all its rows go
        "C5,arrival,2025-03-06 09:00,,\n"  # C5's arrival is row 16 of the file
        "C7,gate_in,2025-03-08 08:00,,\n"
        "C8,release,tomorrow,,\n"
    )
    path = tmp_path / "late.csv"
    path.write_text(LONG + first + "".join(long_rows(i) for i in range(20_000)) + last)
    monkeypatch.setattr(events, "CSV_BLOCK_BYTES", BLOCK)
    log = read_events(path)
    assert log.rows_read == 2 + 60_000 + 5
    assert log.consignments_read == 20_002
    by_id = {row["consignment_id"]: row for row in log.consignments.to_pylist()}
    assert "X2" not in by_id
    assert by_id["X1"]["office_code"] == "OFX"
    assert by_id["X1"]["aeo"] is True
    assert str(by_id["X1"]["release"]) == "2025-03-01 20:00:00"
    known = ", ".join(events.STAGE_NAMES)
    end = 60_002
    assert [(r.row, r.reason, r.consignment) for r in log.rejected] == [
        (2, "release (2025-03-01 20:00) is before arrival (2025-03-02 08:00)", "X2"),
        (end + 2, "release (2025-03-01 20:00) is before arrival (2025-03-02 08:00)", "X2"),
        (end + 3, "arrival of consignment C5 already in row 18", "C5"),
        (end + 4, f"unknown stage 'gate_in' (known: {known})", "C7"),
        (end + 5, "timestamp is not a date and time", "C8"),
    ]


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_a_file_without_rows_gives_an_empty_study(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "e.csv"
    path.write_text(WIDE if layout == "wide" else LONG)
    log = read_events(path)
    assert (log.layout, log.rows_read, log.consignments.num_rows, log.rejected) == (
        layout,
        0,
        0,
        [],
    )
    assert {"consignment_id", "arrival", "release"} <= set(log.consignments.column_names)


TIMES = st.sampled_from(
    ["2025-03-01 08:00", "2025-03-01 09:00:00", "2025-03-01T10:00", "2025-03-02 08:00",
     "2025-02-28 07:00", "", " 2025-03-01 12:00 ", "yesterday", "2025-03-01", "NA"]
)  # fmt: skip
IDS = st.sampled_from(["C1", "C2", "C3", "", "C1 ", "001", "1", "C4"])
FLAGS = st.sampled_from(["yes", "no", "", "maybe", "True", "0"])
NUMBERS = st.sampled_from(["1.5", "", "abc", "12", "1e3"])
STAGES = st.sampled_from(["arrival", "release", "Release", "gate_in", "registered", "exit", ""])
WIDE_ROWS = st.lists(st.tuples(IDS, FLAGS, NUMBERS, TIMES, TIMES, TIMES), max_size=40)
LONG_ROWS = st.lists(st.tuples(IDS, STAGES, TIMES, FLAGS, NUMBERS), max_size=60)


def _every_way(header: list[str], rows: list[tuple[str, ...]]) -> list[tuple[object, ...]]:
    """The file read whole, by CSV blocks of 256 bytes, and as Parquet in batches of 3 rows."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.csv"
        path.write_text(_csv(header, rows), encoding="utf-8")
        out.append(_summary(read_events(path)))
        with mock.patch.object(events, "CSV_BLOCK_BYTES", 256):
            out.append(_summary(read_events(path)))
        table = pa.table(
            {c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(header)}
        )
        pq.write_table(table, path.with_suffix(".parquet"))
        out.append(_summary(read_events(path.with_suffix(".parquet"))))
        with mock.patch.object(events, "PARQUET_BATCH_ROWS", 3):
            out.append(_summary(read_events(path.with_suffix(".parquet"))))
    return out


def _csv(header: list[str], rows: list[tuple[str, ...]]) -> str:
    quoted = [[f'"{v}"' if v != v.strip() else v for v in row] for row in rows]
    return ",".join(header) + "\n" + "".join(",".join(row) + "\n" for row in quoted)


@settings(max_examples=40, deadline=None)
@given(rows=WIDE_ROWS)
def test_a_wide_log_reads_the_same_whatever_the_blocks(rows: list[tuple[str, ...]]) -> None:
    header = ["consignment_id", "aeo", "customs_value", "arrival", "registered", "release"]
    whole, *by_blocks = _every_way(header, rows)
    for other in by_blocks:
        assert other[:5] == whole[:5]


@settings(max_examples=40, deadline=None)
@given(rows=LONG_ROWS)
def test_a_long_log_reads_the_same_whatever_the_blocks(rows: list[tuple[str, ...]]) -> None:
    header = ["consignment_id", "stage", "timestamp", "aeo", "customs_value"]
    whole, *by_blocks = _every_way(header, rows)
    for other in by_blocks:
        assert other[:5] == whole[:5]
