"""Event logs of consignments, read block by block and checked row by row.

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

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from greenlane.core.risk import readers
from greenlane.core.risk.schema import FALSE_WORDS, TRUE_WORDS
from greenlane.core.words import Words, _, english


class EventFileError(ValueError):
    """The file cannot be read as an event log at all; ``words`` say why (``str()`` in
    English)."""

    def __init__(self, words: Words | str) -> None:
        super().__init__(words)
        self.words = words

    def __str__(self) -> str:
        return english(self.words)


@dataclass(frozen=True)
class Stage:
    name: str
    title: Words


#: The WCO process chain, in the order goods usually pass it.
STAGES: tuple[Stage, ...] = (
    Stage("arrival", _("Arrival of the means of transport")),
    Stage("unloaded", _("Goods unloaded")),
    Stage("lodged", _("Declaration lodged")),
    Stage("registered", _("Declaration registered")),
    Stage("exam_start", _("Examination started")),
    Stage("exam_end", _("Examination finished")),
    Stage("oga_start", _("Other agency started")),
    Stage("oga_end", _("Other agency finished")),
    Stage("duty_paid", _("Duties paid")),
    Stage("release", _("Release")),
    Stage("exit", _("Goods left the customs area")),
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
    reasons: tuple[Words, ...]  # every reason that applies, each a sentence of its own
    consignment: str

    @property
    def reason(self) -> str:
        """The reasons in English, one after the other (the CLI, logs, stored copies)."""
        return "; ".join(str(r) for r in self.reasons)


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
        self.items: list[tuple[np.ndarray, Callable[[int], Words]]] = []

    def add(self, mask: np.ndarray, message: Words | Callable[[int], Words]) -> None:
        if mask.any():
            self.failed |= mask
            self.items.append((mask, _constant(message) if isinstance(message, Words) else message))

    def reasons(self, i: int) -> list[Words]:
        return [message(i) for mask, message in self.items if mask[i]]


def _constant(message: Words) -> Callable[[int], Words]:
    return lambda _i: message


#: CSV is parsed in blocks of this many bytes (a row may not be longer), Parquet in batches of
#: this many rows: reading costs what is kept of the rows checked (their checked values, not
#: their text) and a constant for the blocks in flight (Arrow reads about twenty ahead), not
#: a multiple of the file (docs/trs.md, "Memory").
CSV_BLOCK_BYTES = readers.CSV_BLOCK_BYTES
PARQUET_BATCH_ROWS = readers.BATCH_ROWS


@dataclass
class _Source:
    """An event log opened: the known columns' names, and their values block by block."""

    names: list[str]
    blocks: Iterator[pa.Table]


def _open(path: Path) -> _Source:
    """The columns of an event log the study knows, and no others: a file with extra columns,
    however many, costs the memory of the known ones. The header goes through the declaration
    readers' checks first (a header line over 1 MB, more than 10,000 columns, UTF-16, binary).

    A CSV file is parsed in blocks by Arrow's streaming reader, every known column as text:
    no type is guessed from the data, so a value is judged on its own (a bad value late in the
    file is that row's rejection, never a type error for the file), and what a row says does
    not depend on the other rows. A Parquet file keeps the types it declares."""
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv", ".txt"):
        raise EventFileError(
            _("%(file)s: unsupported file type (use .csv or .parquet)", file=path.name)
        )
    try:
        if suffix in (".parquet", ".pq"):
            handle = readers.parquet_file(path)
            names = handle.schema_arrow.names
            readers.check_width(len(names), path)
            known = [c for c in names if c in KNOWN_COLUMNS]
            schema = pa.schema([handle.schema_arrow.field(c) for c in known])
            batches: Iterator[pa.RecordBatch] = handle.iter_batches(
                batch_size=PARQUET_BATCH_ROWS, columns=known
            )
        else:
            header = readers.csv_header(path, "utf-8", ",")
            known = [c for c in header if c in KNOWN_COLUMNS]
            if not known:  # (and Arrow would read every column)
                raise EventFileError(
                    _(
                        "%(file)s: none of its columns is one a study reads (consignment_id, "
                        "stage, timestamp, the stage names, ...): not an event log",
                        file=path.name,
                    )
                )
            twice = sorted({c for c in known if known.count(c) > 1})
            if twice:
                raise EventFileError(
                    _(
                        "%(file)s: the column(s) %(columns)s appear twice",
                        file=path.name,
                        columns=", ".join(twice),
                    )
                )
            schema = pa.schema([(c, pa.string()) for c in known])
            # One thread: the threaded reader parses dozens of blocks ahead of the consumer.
            batches = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(
                    block_size=CSV_BLOCK_BYTES, column_names=header, skip_rows=1,
                    use_threads=False,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in known}, strings_can_be_null=False,
                    auto_dict_encode=False, include_columns=known,
                ),
            )  # fmt: skip
    except readers.FileError as exc:
        words = exc.args[0] if exc.args and isinstance(exc.args[0], Words) else str(exc)
        raise EventFileError(words) from None
    except (*readers.PARQUET_ERRORS, UnicodeDecodeError) as exc:
        raise EventFileError(_unreadable(path, exc)) from None
    return _Source(known, _tables(path, schema, batches))


def _unreadable(path: Path, exc: BaseException) -> Words:
    first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return _("%(file)s: cannot read the file (%(problem)s)", file=path.name, problem=first)


def _tables(path: Path, schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    """The file's blocks as tables; at least one (empty when the file has no rows)."""
    empty = True
    while True:
        try:
            batch = next(batches, None)
        except (*readers.PARQUET_ERRORS, UnicodeDecodeError) as exc:
            raise EventFileError(_unreadable(path, exc)) from None
        if batch is None:
            break
        empty = False
        yield pa.Table.from_batches([batch])
    if empty:
        yield schema.empty_table()


def _read_table(path: Path) -> pa.Table:
    """The known columns of an event log, whole (for inspection; studies read by the block)."""
    return pa.concat_tables(list(_open(path).blocks))


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
    # ISO 8601 as systems export it: fractions of a second are dropped, and a "Z" or an offset
    # (+09:00, +0900) places the time, which is then counted in UTC.
    iso = pc.replace_substring_regex(text, pattern=r"(:\d\d)\.\d+", replacement=r"\1")
    iso = pc.replace_substring_regex(iso, pattern=r"Z$", replacement="+0000")
    iso = pc.replace_substring_regex(iso, pattern=r"([+-]\d\d):(\d\d)$", replacement=r"\1\2")
    candidates = [
        pc.strptime(iso, format=layout, unit="s", error_is_null=True)
        for layout in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                       "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z")
    ]  # fmt: skip
    for candidate in candidates:
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
            checks.add(bad, _("%(column)s is not yes/no", column=name))
            out[name] = values
        elif kind == pa.float64():
            column = _array(table[name])
            if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
                out[name] = pc.cast(column, pa.float64())
            else:
                text = _text(table[name])
                ok = pc.match_substring_regex(text, r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
                bad = pc.and_(pc.not_equal(text, ""), pc.invert(ok))
                checks.add(
                    bad.to_numpy(zero_copy_only=False),
                    _("%(column)s is not a number", column=name),
                )
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
            np.ones(rows, dtype=bool) if values is None else np.isnan(values),
            _("no %(stage)s time", stage=name),
        )
    for first, then in ORDER:
        a, b = stages.get(first), stages.get(then)
        if a is None or b is None:
            continue
        with np.errstate(invalid="ignore"):
            wrong = b < a  # False where either is missing

        def message(
            i: int, a: np.ndarray = a, b: np.ndarray = b, first: str = first, then: str = then
        ) -> Words:
            return _(
                "%(stage)s (%(time)s) is before %(earlier_stage)s (%(earlier_time)s)",
                stage=then, time=_when(b[i]), earlier_stage=first, earlier_time=_when(a[i]),
            )  # fmt: skip

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


def _blocks_of(source: pa.Table | Iterable[pa.Table]) -> Iterable[pa.Table]:
    return [source] if isinstance(source, pa.Table) else source


def read_wide(source: pa.Table | Iterable[pa.Table]) -> EventLog:
    """Check a wide event log block by block. Every check but one looks at its row alone and
    is made on the block; a consignment met twice is found at the end, from the ids of every
    row (kept as one text column). Kept between blocks: the ids, the accepted rows (already in
    their final types) and the reasons of the rows that failed."""
    ids_seen: list[pa.Array] = []
    parts: list[pa.Table] = []
    # Rows that failed a check of their own: reasons before and after the duplicate check's
    # (the order in which they are reported), and the consignment named.
    failed: dict[int, tuple[list[Words], list[Words], str]] = {}
    n = 0
    for block in _blocks_of(source):
        if "consignment_id" not in block.column_names:
            raise EventFileError(_("the file has no consignment_id column"))
        rows = block.num_rows
        before = _Checks(rows)
        ids = _text(block["consignment_id"])
        stages: dict[str, np.ndarray] = {}
        for name in STAGE_NAMES:
            if name in block.column_names:
                values, bad = _timestamps(block[name])
                before.add(bad, _("%(column)s is not a date and time", column=name))
                stages[name] = values
        dims = _dimensions(block, before)
        present = pc.not_equal(ids, "").to_numpy(zero_copy_only=False)
        before.add(~present, _("consignment_id is missing"))
        after = _Checks(rows)
        _consignment_checks(stages, after, rows)
        wrong = before.failed | after.failed
        for i in np.flatnonzero(wrong).tolist():
            failed[n + i] = (before.reasons(i), after.reasons(i), ids[i].as_py())
        built = _build(ids, dims, stages)
        parts.append(built.filter(pa.array(~wrong)) if wrong.any() else built)
        ids_seen.append(ids)
        n += rows
    if not parts:
        raise EventFileError(_("no rows and no columns: not an event log"))
    # A consignment met twice: every row whose id an earlier row had (rejected or not).
    ids_all = pa.chunked_array(ids_seen, pa.string())
    codes, first_row = _codes(ids_all)
    repeated = codes >= 0
    repeated[first_row] = False
    again = np.flatnonzero(repeated)
    named = dict(zip(again.tolist(), pc.take(ids_all, pa.array(again)).to_pylist(), strict=True))
    rejected: list[Rejection] = []
    for i in sorted({*failed, *named}):
        head, tail, cid = failed.get(i) or ([], [], "")
        if i in named:
            cid = named[i]
            head = [
                *head,
                _(
                    "consignment %(consignment)s already appears in row %(row)s",
                    consignment=cid, row=int(first_row[codes[i]] + 1),
                ),
            ]  # fmt: skip
        rejected.append(Rejection(i + 1, (*head, *tail), cid))
    accepted = pa.concat_tables(parts)
    if repeated.any():
        survived = np.ones(n, dtype=bool)
        survived[list(failed)] = False
        accepted = accepted.filter(pa.array(~repeated[survived]))
    return EventLog("wide", accepted, rejected, n, n)


def _codes(ids: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A number for each row's id: 0, 1, ... in order of first appearance, -1 for an empty id;
    and the first row of each number. Found by a stable sort of the ids rather than a hash
    table of them: a million ids take about half the memory."""
    n = len(ids)
    order = pc.sort_indices(ids).to_numpy(zero_copy_only=False).astype(np.int64)
    ordered = _array(pc.take(ids, order))  # equal ids together, each group in row order
    start = np.ones(n, dtype=bool)
    if n > 1:
        start[1:] = pc.not_equal(ordered.slice(1), ordered.slice(0, n - 1)).to_numpy(
            zero_copy_only=False
        )
    del ordered
    first = np.empty(n, dtype=np.int64)  # the first row with the same id
    first[order] = order[start][np.cumsum(start) - 1]
    present = pc.not_equal(ids, "").to_numpy(zero_copy_only=False)
    heads = present & (first == np.arange(n))
    codes = np.where(present, (np.cumsum(heads) - 1)[first], -1)
    return codes, np.flatnonzero(heads)


def read_long(source: pa.Table | Iterable[pa.Table]) -> EventLog:
    """Check a long event log block by block. An event's own checks (its values, its stage)
    are made on its block; what needs a consignment's every event (an event met twice, the
    order of stages, the first value of each attribute) is done at the end on what was kept
    of each event: its consignment id, stage (a number), time and checked attributes."""
    ids_seen: list[pa.Array] = []
    stage_codes: list[np.ndarray] = []
    times: list[np.ndarray] = []
    dim_parts: dict[str, list[pa.Array]] = {}
    reasons: dict[int, list[Words]] = {}  # rows with a reason of their own, and those reasons
    n = 0
    known = pa.array(STAGE_NAMES)
    for block in _blocks_of(source):
        missing = [
            c for c in ("consignment_id", "stage", "timestamp") if c not in block.column_names
        ]
        if missing:
            raise EventFileError(
                _(
                    "a long event log needs the column(s) %(columns)s",
                    columns=", ".join(missing),
                )
            )
        size = block.num_rows
        row_checks = _Checks(size)
        dims = _dimensions(block, row_checks)
        ids = _text(block["consignment_id"])
        stage = pc.utf8_lower(_text(block["stage"]))
        code = pc.fill_null(pc.index_in(stage, value_set=known), -1).to_numpy(zero_copy_only=False)
        when, bad = _timestamps(block["timestamp"])
        no_id = pc.equal(ids, "").to_numpy(zero_copy_only=False)
        unknown = code < 0
        untimed = bad | np.isnan(when)
        for i in np.flatnonzero(row_checks.failed | no_id | unknown | untimed).tolist():
            why = row_checks.reasons(i) if row_checks.failed[i] else []
            if no_id[i]:
                why.append(_("consignment_id is missing"))
            if unknown[i]:
                names = ", ".join(STAGE_NAMES)
                why.append(
                    _(
                        "unknown stage %(stage)s (known: %(known)s)",
                        stage=repr(stage[i].as_py()), known=names,
                    )
                )  # fmt: skip
            if bad[i]:
                why.append(_("timestamp is not a date and time"))
            elif np.isnan(when[i]):
                why.append(_("timestamp is missing"))
            reasons[n + i] = why
        ids_seen.append(ids)
        stage_codes.append(code.astype(np.int8))
        times.append(when)
        for name, values in dims.items():
            dim_parts.setdefault(name, []).append(values)
        n += size
    if not ids_seen:
        raise EventFileError(_("no rows and no columns: not an event log"))
    ids_all = pa.chunked_array(ids_seen, pa.string())
    codes, heads = _codes(ids_all)  # the consignment of each row, -1 for none
    consignments = pc.cast(_array(pc.take(ids_all, pa.array(heads))), pa.string())
    count = len(consignments)
    stage_of = np.concatenate(stage_codes).astype(np.int64)
    when = np.concatenate(times)
    # An event met twice: among the events without a reason, the second of a consignment's
    # stage and every later one (named with the row of the first).
    clean = np.ones(n, dtype=bool)
    clean[list(reasons)] = False
    kept = np.flatnonzero(clean)
    key = codes[kept] * len(STAGE_NAMES) + stage_of[kept]
    _keys, first, which = np.unique(key, return_index=True, return_inverse=True)
    again = np.ones(len(kept), dtype=bool)
    again[first] = False
    for k in np.flatnonzero(again).tolist():
        i = int(kept[k])
        cid = consignments[codes[i]].as_py()
        reasons[i] = [
            _(
                "%(stage)s of consignment %(consignment)s already in row %(row)s",
                stage=STAGE_NAMES[stage_of[i]], consignment=cid,
                row=int(kept[first[which[k]]] + 1),
            )
        ]  # fmt: skip
    # Consignments are built from the rows that passed (a rejected row is reported, and its
    # consignment measured without it); a consignment failing its own checks (order, no
    # release) rejects every one of its remaining rows, each with the consignment's reason.
    used = kept[~again]
    stages = {name: np.full(count, np.nan) for name in STAGE_NAMES}
    for s, name in enumerate(STAGE_NAMES):
        at = used[stage_of[used] == s]
        stages[name][codes[at]] = when[at]
    consignment_checks = _Checks(count)
    _consignment_checks(stages, consignment_checks, count)
    rejected_rows = set(reasons)
    if consignment_checks.failed.any():
        with_id = codes >= 0
        rejected_rows.update(
            np.flatnonzero(with_id & consignment_checks.failed[np.maximum(codes, 0)]).tolist()
        )
    own: dict[int, tuple[Words, ...]] = {}
    rejected: list[Rejection] = []
    for i in sorted(rejected_rows):
        j = int(codes[i])
        cid = "" if j < 0 else consignments[j].as_py()
        if i in reasons:
            because = tuple(reasons[i])
        else:
            if j not in own:
                own[j] = tuple(consignment_checks.reasons(j))
            because = own[j]
        rejected.append(Rejection(i + 1, because, cid))
    # Dimensions: the first non-empty value among the consignment's rows.
    dim_arrays: dict[str, pa.Array] = {}
    for name, chunks in dim_parts.items():
        values = pa.chunked_array(chunks)
        valued = np.flatnonzero(values.is_valid().to_numpy(zero_copy_only=False) & (codes >= 0))
        present, first = np.unique(codes[valued], return_index=True)
        pick = np.full(count, -1, dtype=np.int64)
        pick[present] = valued[first]
        taken = pc.take(values, pa.array(pick, mask=pick < 0))
        dim_arrays[name] = pc.cast(_array(taken), DIMENSIONS[name])
    built = _build(consignments, dim_arrays, stages)
    return EventLog("long", built.filter(pa.array(~consignment_checks.failed)), rejected, n, count)


def read_events(path: Path, layout: str | None = None) -> EventLog:
    """Read an event log; the layout is told or recognised from the columns."""
    source = _open(path)
    layout = _layout(path, source, layout)
    return read_long(source.blocks) if layout == "long" else read_wide(source.blocks)


#: Rows of a wide event log checked when it is handed in.
SAMPLE_ROWS = 1_000


def check_sample(path: Path) -> EventLog | None:
    """What a study can know of ``path`` when it is handed in, without reading it whole: its
    columns (``EventFileError`` when it is not an event log) and, for a wide log (one row
    per consignment, each row judged alone), its first ``SAMPLE_ROWS`` rows read as the study
    will read them. None for a long log: its consignments' events may lie anywhere in the
    file, so a sample could reject what the whole file holds together."""
    source = _open(path)
    if _layout(path, source, None) == "long":
        return None
    first = next(iter(source.blocks), None)
    if first is None:
        return EventLog("wide", pa.table({}), rows_read=0)
    return read_wide(first.slice(0, SAMPLE_ROWS))


def _layout(path: Path, source: _Source, layout: str | None) -> str:
    if layout is None:
        layout = "long" if {"stage", "timestamp"} <= set(source.names) else "wide"
    if layout == "wide" and not set(STAGE_NAMES) & set(source.names):
        raise EventFileError(
            _(
                "%(file)s: no stage columns (%(stages)s) and no stage/timestamp columns: not an "
                "event log",
                file=path.name, stages=", ".join(STAGE_NAMES),
            )
        )  # fmt: skip
    if layout not in ("wide", "long"):
        raise EventFileError(_("unknown layout %(layout)s (wide or long)", layout=repr(layout)))
    return layout


def concat(logs: Sequence[EventLog]) -> pa.Table:
    return pa.concat_tables([log.consignments for log in logs], promote_options="default")
