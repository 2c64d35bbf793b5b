"""Event logs of consignments, read and checked row by row.

Two layouts are accepted, both with Greenlane's column names (``docs/trs.md``):

- **wide**: one row per consignment, a column per stage holding its timestamp;
- **long**: one row per event, columns ``consignment_id``, ``stage`` and ``timestamp``; the
  consignment's attributes (office, mode, channel, AEO, ...) may sit on any of its rows.

Nothing is dropped silently. A row is rejected with every reason that applies: a stage the
study does not know (long layout), a timestamp that is not one, an event or consignment met
twice, stages out of order, or no arrival or release (a TRS measures arrival to release).
``accepted + rejected == read``, for rows and, in the long layout, for consignments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from greenlane.core.risk import readers
from greenlane.core.risk.schema import FALSE_WORDS, TRUE_WORDS


class EventFileError(ValueError):
    """The file cannot be read as an event log at all."""


@dataclass(frozen=True)
class Stage:
    name: str
    title: str


#: The WCO process chain, in the order goods usually pass it.
STAGES: tuple[Stage, ...] = (
    Stage("arrival", "Arrival of the means of transport"),
    Stage("unloaded", "Goods unloaded"),
    Stage("lodged", "Declaration lodged"),
    Stage("registered", "Declaration registered"),
    Stage("exam_start", "Examination started"),
    Stage("exam_end", "Examination finished"),
    Stage("oga_start", "Other agency started"),
    Stage("oga_end", "Other agency finished"),
    Stage("duty_paid", "Duties paid"),
    Stage("release", "Release"),
    Stage("exit", "Goods left the customs area"),
)
STAGE_NAMES = tuple(s.name for s in STAGES)
#: Pairs that must be in this order when both are present. Lodgement may precede arrival
#: (pre-arrival filing) and duties may be paid after release (deferred payment): no pair.
ORDER: tuple[tuple[str, str], ...] = (
    ("arrival", "unloaded"),
    ("arrival", "release"),
    ("lodged", "registered"),
    ("registered", "release"),
    ("registered", "exam_start"),
    ("exam_start", "exam_end"),
    ("exam_end", "release"),
    ("oga_start", "oga_end"),
    ("oga_end", "release"),
    ("release", "exit"),
)
REQUIRED_STAGES = ("arrival", "release")
#: Attributes of a consignment, with their Arrow type once read.
DIMENSIONS: dict[str, pa.DataType] = {
    "declaration_number": pa.string(),
    "importer_code": pa.string(),  # the operator, for the value of time saved per AEO
    "direction": pa.string(),
    "office_code": pa.string(),
    "transport_mode": pa.string(),
    "channel": pa.string(),
    "aeo": pa.bool_(),
    "mra_partner": pa.string(),
    "pre_arrival": pa.bool_(),
    "other_agency": pa.bool_(),
    "hs6": pa.string(),
    "customs_value": pa.float64(),
}
#: Every column an event log may carry that a study reads (both layouts).
KNOWN_COLUMNS = frozenset(("consignment_id", "stage", "timestamp", *STAGE_NAMES, *DIMENSIONS))
#: Yes/no words as the declaration schema reads them; an empty cell is "not recorded".
FLAG_FALSE = FALSE_WORDS | {""}


@dataclass(frozen=True)
class Rejection:
    row: int  # 1-based data row of the file
    reason: str
    consignment: str


@dataclass
class EventLog:
    layout: str  # "wide" or "long"
    consignments: pa.Table  # one row per accepted consignment: id, dimensions, stage columns
    rejected: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    consignments_read: int = 0

    @property
    def rows_rejected(self) -> int:
        return len({r.row for r in self.rejected})


class _Checks:
    """Failing rows per check, as masks; reasons are written only for the rows that fail."""

    def __init__(self, n: int) -> None:
        self.failed = np.zeros(n, dtype=bool)
        self.items: list[tuple[np.ndarray, Callable[[int], str]]] = []

    def add(self, mask: np.ndarray, message: str | Callable[[int], str]) -> None:
        if mask.any():
            self.failed |= mask
            self.items.append((mask, _constant(message) if isinstance(message, str) else message))

    def reasons(self, i: int) -> list[str]:
        return [message(i) for mask, message in self.items if mask[i]]


def _constant(message: str) -> Callable[[int], str]:
    return lambda _: message


def _read_table(path: Path) -> pa.Table:
    """The columns of an event log the study knows, and no others: a file with extra columns,
    however many, costs the memory of the known ones. The header goes through the declaration
    readers' checks first (a header line over 1 MB, more than 10,000 columns, UTF-16, binary)."""
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv", ".txt"):
        raise EventFileError(f"{path.name}: unsupported file type (use .csv or .parquet)")
    try:
        if suffix in (".parquet", ".pq"):
            handle = readers.parquet_file(path)
            names = handle.schema_arrow.names
            readers.check_width(len(names), path)
            return handle.read(columns=[c for c in names if c in KNOWN_COLUMNS])
        header = readers.csv_header(path, "utf-8", ",")
        known = [c for c in header if c in KNOWN_COLUMNS]
        if not known:  # (and Arrow would read every column)
            raise EventFileError(
                f"{path.name}: none of its columns is one a study reads (consignment_id, "
                "stage, timestamp, the stage names, ...): not an event log"
            )
        twice = sorted({c for c in known if known.count(c) > 1})
        if twice:
            raise EventFileError(f"{path.name}: the column(s) {', '.join(twice)} appear twice")
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                block_size=readers.CSV_BLOCK_BYTES, column_names=header, skip_rows=1
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={}, strings_can_be_null=False, auto_dict_encode=False,
                include_columns=known,
            ),
        )  # fmt: skip
    except readers.FileError as exc:
        raise EventFileError(str(exc)) from None
    except (*readers.PARQUET_ERRORS, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise EventFileError(f"{path.name}: cannot read the file ({first})") from None


def _array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    column = _array(column)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(column, ""))


def _timestamps(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Seconds since 1970 (float, NaN when empty) and the mask of values that are not times."""
    column = _array(column)
    if pa.types.is_timestamp(column.type):
        seconds = pc.cast(pc.cast(column, pa.timestamp("s", column.type.tz)), pa.int64())
        values = seconds.to_numpy(zero_copy_only=False).astype(float)
        return values, np.zeros(len(column), dtype=bool)
    text = _text(column)
    values = np.full(len(text), np.nan)
    bad = np.zeros(len(text), dtype=bool)
    parsed = pc.strptime(text, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    other = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    short = pc.strptime(text, format="%Y-%m-%d %H:%M", unit="s", error_is_null=True)
    for candidate in (parsed, other, short):
        got = pc.cast(candidate, pa.int64()).to_numpy(zero_copy_only=False).astype(float)
        values = np.where(np.isnan(values), got, values)
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    bad = present & np.isnan(values)
    return values, bad


def _flag(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    column = _array(column)
    if pa.types.is_boolean(column.type):
        return column, np.zeros(len(column), dtype=bool)
    text = pc.utf8_lower(_text(column))
    yes = pc.is_in(text, value_set=pa.array(sorted(TRUE_WORDS)))
    no = pc.is_in(text, value_set=pa.array(sorted(FLAG_FALSE)))
    bad = pc.invert(pc.or_(yes, no)).to_numpy(zero_copy_only=False)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.bool_()), yes), bad


def _dimensions(table: pa.Table, checks: _Checks) -> dict[str, pa.Array]:
    out: dict[str, pa.Array] = {}
    for name, kind in DIMENSIONS.items():
        if name not in table.column_names:
            continue
        if kind == pa.bool_():
            values, bad = _flag(table[name])
            checks.add(bad, f"{name} is not yes/no")
            out[name] = values
        elif kind == pa.float64():
            column = _array(table[name])
            if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
                out[name] = pc.cast(column, pa.float64())
            else:
                text = _text(table[name])
                ok = pc.match_substring_regex(text, r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
                bad = pc.and_(pc.not_equal(text, ""), pc.invert(ok))
                checks.add(bad.to_numpy(zero_copy_only=False), f"{name} is not a number")
                out[name] = pc.cast(
                    pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64()
                )
        else:
            text = _text(table[name])
            out[name] = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return out


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _consignment_checks(stages: dict[str, np.ndarray], checks: _Checks, rows: int) -> None:
    for name in REQUIRED_STAGES:
        values = stages.get(name)
        checks.add(
            np.ones(rows, dtype=bool) if values is None else np.isnan(values), f"no {name} time"
        )
    for first, then in ORDER:
        a, b = stages.get(first), stages.get(then)
        if a is None or b is None:
            continue
        with np.errstate(invalid="ignore"):
            wrong = b < a  # False where either is missing

        def message(
            i: int, a: np.ndarray = a, b: np.ndarray = b, first: str = first, then: str = then
        ) -> str:
            return f"{then} ({_when(b[i])}) is before {first} ({_when(a[i])})"

        checks.add(wrong, message)


def _build(ids: pa.Array, dims: dict[str, pa.Array], stages: dict[str, np.ndarray]) -> pa.Table:
    columns: dict[str, pa.Array] = {"consignment_id": ids, **dims}
    for name in STAGE_NAMES:
        values = stages.get(name)
        if values is None:
            values = np.full(len(ids), np.nan)
        mask = np.isnan(values)
        columns[name] = pa.array(
            np.where(mask, 0, values).astype(np.int64), pa.timestamp("s"), mask=mask
        )
    return pa.table(columns)


def read_wide(table: pa.Table) -> EventLog:
    n = table.num_rows
    checks = _Checks(n)
    if "consignment_id" not in table.column_names:
        raise EventFileError("the file has no consignment_id column")
    ids = _text(table["consignment_id"])
    stages: dict[str, np.ndarray] = {}
    for name in STAGE_NAMES:
        if name in table.column_names:
            values, bad = _timestamps(table[name])
            checks.add(bad, f"{name} is not a date and time")
            stages[name] = values
    dims = _dimensions(table, checks)
    present = pc.not_equal(ids, "").to_numpy(zero_copy_only=False)
    checks.add(~present, "consignment_id is missing")
    repeated = pd.Series(ids.to_numpy(zero_copy_only=False)).duplicated().to_numpy() & present
    if repeated.any():
        listed = ids.to_pylist()
        first: dict[str, int] = {}
        for i, cid in enumerate(listed):
            first.setdefault(cid, i + 1)
        checks.add(
            repeated, lambda i: f"consignment {listed[i]} already appears in row {first[listed[i]]}"
        )
    _consignment_checks(stages, checks, n)
    bad_rows = np.flatnonzero(checks.failed)
    rejected = [
        Rejection(int(i) + 1, "; ".join(checks.reasons(int(i))), ids[int(i)].as_py())
        for i in bad_rows
    ]
    accepted = _build(ids, dims, stages)
    if len(bad_rows):
        accepted = accepted.filter(pa.array(~checks.failed))
    return EventLog("wide", accepted, rejected, n, n)


def read_long(table: pa.Table) -> EventLog:
    missing = [c for c in ("consignment_id", "stage", "timestamp") if c not in table.column_names]
    if missing:
        raise EventFileError(f"a long event log needs the column(s) {', '.join(missing)}")
    n = table.num_rows
    row_checks = _Checks(n)
    dims = _dimensions(table, row_checks)
    reasons = [row_checks.reasons(i) if row_checks.failed[i] else [] for i in range(n)]
    ids = _text(table["consignment_id"]).to_pylist()
    stage = pc.utf8_lower(_text(table["stage"])).to_pylist()
    when, bad = _timestamps(table["timestamp"])
    seen: dict[tuple[str, str], int] = {}
    for i in range(n):
        if not ids[i]:
            reasons[i].append("consignment_id is missing")
        if stage[i] not in STAGE_NAMES:
            known = ", ".join(STAGE_NAMES)
            reasons[i].append(f"unknown stage {stage[i]!r} (known: {known})")
        if bad[i]:
            reasons[i].append("timestamp is not a date and time")
        elif np.isnan(when[i]):
            reasons[i].append("timestamp is missing")
        key = (ids[i], stage[i])
        if not reasons[i] and seen.setdefault(key, i + 1) != i + 1:
            reasons[i].append(f"{stage[i]} of consignment {ids[i]} already in row {seen[key]}")
    # Consignments are built from the rows that passed (a rejected row is reported, and its
    # consignment measured without it); a consignment failing its own checks (order, no
    # release) rejects every one of its remaining rows, each with the consignment's reason.
    order: list[str] = []
    rows_of: dict[str, list[int]] = {}
    for i in range(n):
        if ids[i]:
            if ids[i] not in rows_of:
                order.append(ids[i])
            rows_of.setdefault(ids[i], []).append(i)
    stages = {name: np.full(len(order), np.nan) for name in STAGE_NAMES}
    position = {cid: j for j, cid in enumerate(order)}
    for i in range(n):
        if not reasons[i]:
            stages[stage[i]][position[ids[i]]] = when[i]
    consignment_checks = _Checks(len(order))
    _consignment_checks(stages, consignment_checks, len(order))
    rejected: list[Rejection] = []
    for j, cid in enumerate(order):
        own = consignment_checks.reasons(j) if consignment_checks.failed[j] else []
        for i in rows_of[cid]:
            why = reasons[i] or own
            if why:
                rejected.append(Rejection(i + 1, "; ".join(why), cid))
    rejected += [Rejection(i + 1, "; ".join(reasons[i]), "") for i in range(n) if not ids[i]]
    # Dimensions: the first non-empty value among the consignment's rows.
    first_value: dict[str, list[Any]] = {name: [None] * len(order) for name in dims}
    for name, values in dims.items():
        listed = values.to_pylist()
        for cid, j in position.items():
            for i in rows_of[cid]:
                if listed[i] is not None:
                    first_value[name][j] = listed[i]
                    break
    dim_arrays = {name: pa.array(first_value[name], DIMENSIONS[name]) for name in dims}
    built = _build(pa.array(order, pa.string()), dim_arrays, stages)
    rejected.sort(key=lambda r: r.row)
    return EventLog(
        "long", built.filter(pa.array(~consignment_checks.failed)), rejected, n, len(order)
    )


def read_events(path: Path, layout: str | None = None) -> EventLog:
    """Read an event log; the layout is told or recognised from the columns."""
    table = _read_table(path)
    if layout is None:
        layout = "long" if {"stage", "timestamp"} <= set(table.column_names) else "wide"
    if layout == "long":
        return read_long(table)
    if layout == "wide":
        if not set(STAGE_NAMES) & set(table.column_names):
            raise EventFileError(
                f"{path.name}: no stage columns ({', '.join(STAGE_NAMES)}) and no "
                "stage/timestamp columns: not an event log"
            )
        return read_wide(table)
    raise EventFileError(f"unknown layout {layout!r} (wide or long)")


def concat(logs: Sequence[EventLog]) -> pa.Table:
    return pa.concat_tables([log.consignments for log in logs], promote_options="default")
