"""Read CSV, Parquet and Excel files as batches of columns, with each row's position.

CSV and Excel values arrive as text (numbers and dates included), so that validation sees what
the file said and can name the row and the value when it rejects one. Parquet columns keep the
types the file declares: numbers and dates typed as such are checked as such (range, nulls)
without a detour through text; other columns are read as text. Batches keep memory bounded
whatever the file's size.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from greenlane.core.risk import excel
from greenlane.core.risk.mapping import ColumnMapping, MappingError
from greenlane.core.words import Words, _

BATCH_ROWS = 50_000
#: No declaration layout comes near these: a file beyond them is refused before it is read.
MAX_COLUMNS = 10_000
HEADER_BYTES = 1 << 20
#: Arrow's streaming CSV reader parses blocks of this size and reads a few dozen ahead
#: (measured: about 32), so a CSV file of any size takes about 130 MB while it is read.
CSV_BLOCK_BYTES = 1 << 22
#: An Excel file is a zip archive; one that inflates beyond this many times its size is a
#: zip bomb (a real workbook's XML compresses ten to fifty times).
MAX_EXPANSION = 200
FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}


class FileError(ValueError):
    """The file cannot be read at all (format, encoding, missing columns): ``words`` for a
    person (in their language), ``str()`` in English."""

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


@dataclass
class Malformed:
    row: int  # 1-based data row (the header is not counted)
    reason: Words
    raw: str


@dataclass
class Batch:
    table: pa.Table  # text columns named as in the file
    rows: npt.NDArray[np.int64]  # 1-based data row of each table row
    malformed: list[Malformed] = field(default_factory=list)  # rows that could not be parsed


def detect_format(path: PurePath) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileError(
            _("%(file)s: unsupported file type (use .csv, .parquet or .xlsx)", file=path.name)
        )
    return fmt


def read_header(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[str]:
    """The column names of a file, for building a mapping from a sample."""
    fmt = detect_format(path)
    if fmt == "csv":
        return csv_header(path, encoding, delimiter)
    if fmt == "parquet":
        names = list(parquet_file(path).schema_arrow.names)
        check_width(len(names), path)
        return names
    # Inside a web request: the first row only, never the whole workbook (``excel.header``).
    with _archive(path) as archive:
        try:
            first = excel.header(archive)
        except excel.Refused as exc:
            raise _not_excel(path, exc.words) from None
    check_width(len(first), path)
    return [_cell(v) for v in first if v is not None]


#: What a damaged workbook raises while it is read (XML parse errors are SyntaxErrors).
EXCEL_ERRORS = (SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError,
                OSError)  # fmt: skip


@contextmanager
def _archive(path: Path) -> Iterator[zipfile.ZipFile]:
    """The workbook's zip archive, after checking its directory's sizes are not a zip bomb's."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_excel(path, _short(exc)) from None
    with archive:
        inflated = sum(item.file_size for item in archive.infolist())
        size = max(path.stat().st_size, 1)
        if inflated > MAX_EXPANSION * size:
            raise FileError(
                _(
                    "%(file)s: expands to %(times)s times its size (%(size)s MB), far beyond "
                    "any workbook: refused as a zip bomb",
                    file=path.name, times=inflated // size, size=round(inflated / 1e6),
                )
            )  # fmt: skip
        yield archive


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    """The workbook, read-only and streamed, after checking it is not a zip bomb: neither by
    its directory nor by what its parts really inflate to (``excel.check``)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with _archive(path) as archive:
        try:
            excel.check(archive)
        except excel.Refused as exc:
            raise _not_excel(path, exc.words) from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *EXCEL_ERRORS) as exc:
        raise _not_excel(path, _short(exc)) from None
    try:
        yield book
    finally:
        book.close()


def _not_excel(path: Path, problem: str | Words) -> FileError:
    return FileError(
        _(
            "%(file)s: cannot read as an Excel workbook (%(problem)s)",
            file=path.name, problem=problem,
        )
    )  # fmt: skip


def _unreadable(path: Path, kind: str, after: int, problem: str) -> FileError:
    """The file stopped being readable after data row ``after`` (0: in its first rows)."""
    if kind == "csv":
        if after:
            said = _(
                "%(file)s: cannot read as CSV after row %(row)s (%(problem)s)",
                file=path.name, row=str(after), problem=problem,
            )  # fmt: skip
        else:
            said = _(
                "%(file)s: cannot read as CSV in its first rows (%(problem)s)",
                file=path.name, problem=problem,
            )  # fmt: skip
    elif kind == "parquet":
        if after:
            said = _(
                "%(file)s: cannot read as Parquet after row %(row)s (%(problem)s)",
                file=path.name, row=str(after), problem=problem,
            )  # fmt: skip
        else:
            said = _(
                "%(file)s: cannot read as Parquet in its first rows (%(problem)s)",
                file=path.name, problem=problem,
            )  # fmt: skip
    elif after:
        said = _(
            "%(file)s: cannot read as an Excel workbook after row %(row)s (%(problem)s)",
            file=path.name, row=str(after), problem=problem,
        )  # fmt: skip
    else:
        said = _(
            "%(file)s: cannot read as an Excel workbook in its first rows (%(problem)s)",
            file=path.name, problem=problem,
        )  # fmt: skip
    return FileError(said)


def check_width(columns: int | None, path: Path) -> None:
    if columns is not None and columns > MAX_COLUMNS:
        raise FileError(
            _(
                "%(file)s: more than %(limit)s columns (%(columns)s); no layout Greenlane reads "
                "has that many",
                file=path.name, limit=MAX_COLUMNS, columns=columns,
            )
        )  # fmt: skip


def read_batches(path: Path, mapping: ColumnMapping) -> Iterator[Batch]:
    fmt = detect_format(path)
    needed = mapping.source_columns()
    reader = {"csv": _csv, "parquet": _parquet, "excel": _excel}[fmt]
    yield from reader(path, mapping, needed)


def _check_header(header: list[str], needed: list[str], path: Path) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise MappingError(
            _(
                "%(file)s: the mapping needs column(s) missing from the file: %(columns)s",
                file=path.name, columns=", ".join(missing),
            )
        )  # fmt: skip


def is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def plain(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column without dictionary encoding."""
    if pa.types.is_dictionary(column.type):
        return pc.cast(column, column.type.value_type)
    return column


def as_text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Any column as text, "" for missing; dates as YYYY-MM-DD."""
    column = plain(column)
    if pa.types.is_timestamp(column.type):
        column = pc.strftime(column, format="%Y-%m-%d")
    elif pa.types.is_date(column.type):
        column = pc.strftime(pc.cast(column, pa.timestamp("s")), format="%Y-%m-%d")
    if not is_text(column.type):
        column = pc.cast(column, pa.string())
    return pc.fill_null(column, "")


class _Positions:
    """Data-row numbers of the rows a reader yields, skipping rows it reported as malformed."""

    def __init__(self) -> None:
        self.next = 1
        self.skip: set[int] = set()
        self.reported: list[int] = []

    def take(self, n: int) -> npt.NDArray[np.int64]:
        if not self.skip:
            out = np.arange(self.next, self.next + n, dtype=np.int64)
            self.next += n
            return out
        out = np.empty(n, dtype=np.int64)
        i = 0
        while i < n:
            if self.next not in self.skip:
                out[i] = self.next
                i += 1
            self.next += 1
        return out


def _csv(path: Path, mapping: ColumnMapping, needed: list[str]) -> Iterator[Batch]:
    malformed: list[Malformed] = []
    positions = _Positions()

    bad_rows: list[int] = []  # data-row numbers of malformed rows, found on the first one

    def on_invalid(row: Any) -> str:
        # Arrow does not number the rows it cannot parse; one pass with the csv module finds
        # them all (only ever paid for a file that has such rows).
        if not bad_rows and not malformed and not positions.skip:
            bad_rows.extend(
                _rows_with_wrong_width(path, mapping.options.encoding, mapping.options.delimiter)
            )
            positions.skip.update(bad_rows)
        number = bad_rows[len(positions.reported)] if len(positions.reported) < len(bad_rows) else 0
        positions.reported.append(number)
        reason = _(
            "row has %(actual)s columns, the header has %(expected)s",
            actual=row.actual_columns, expected=row.expected_columns,
        )  # fmt: skip
        malformed.append(Malformed(number, reason, row.text))
        return "skip"

    options = mapping.options
    header = csv_header(path, options.encoding, options.delimiter)
    _check_header(header, needed, path)
    try:
        stream = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=options.encoding, block_size=CSV_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=options.delimiter, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                include_columns=needed,
                strings_can_be_null=False,
            ),
        )
        for record_batch in stream:
            table = pa.Table.from_batches([record_batch])
            found, malformed[:] = list(malformed), []
            yield Batch(table, positions.take(table.num_rows), found)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _unreadable(path, "csv", positions.next - 1, _short(exc)) from None
    if malformed:
        yield Batch(
            pa.table({c: pa.array([], pa.string()) for c in needed}),
            np.empty(0, dtype=np.int64),
            malformed,
        )


def _rows_with_wrong_width(path: Path, encoding: str, delimiter: str) -> list[int]:
    with path.open(encoding=encoding, newline="", errors="replace") as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        width = len(next(rows, []))
        # Blank lines are not rows, for Arrow as for us.
        return [n for n, row in enumerate((r for r in rows if r), start=1) if len(row) != width]


def csv_header(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header line alone, parsed by the csv module (the data rows are Arrow's job)."""
    try:
        with path.open("rb") as handle:
            raw = handle.readline(HEADER_BYTES)
            if len(raw) == HEADER_BYTES and not raw.endswith(b"\n") and handle.read(1):
                raise FileError(
                    _(
                        "%(file)s: the header line is longer than %(size)s MB; no layout "
                        "Greenlane reads has one that long",
                        file=path.name, size=HEADER_BYTES // 2**20,
                    )
                )  # fmt: skip
        utf16 = encoding.lower().replace("-", "").replace("_", "").startswith("utf16")
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and not utf16:
            raise FileError(
                _(
                    "%(file)s: the file is encoded in UTF-16; save it as UTF-8 or set "
                    "`encoding: utf-16` in the mapping's options",
                    file=path.name,
                )
            )
        if b"\0" in raw and not utf16:
            raise FileError(
                _(
                    "%(file)s: not a text file (it holds NUL bytes); save it as CSV",
                    file=path.name,
                )
            )
        first = raw.decode(encoding)
        header = next(csv.reader([first], delimiter=delimiter), [])
    except (UnicodeDecodeError, LookupError, csv.Error) as exc:
        raise FileError(
            _(
                "%(file)s: cannot read the header line (%(problem)s)",
                file=path.name, problem=_short(exc),
            )
        ) from None  # fmt: skip
    if not header:
        raise FileError(_("%(file)s: the file is empty", file=path.name))
    check_width(len(header), path)
    return [h.strip().lstrip("\ufeff") for h in header]


#: What a damaged Parquet file raises (every Arrow error, I/O errors, Thrift decoding).
PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError, EOFError, IndexError)


def parquet_file(path: Path) -> pq.ParquetFile:
    """The file's footer read and checked: a damaged one is a FileError naming the problem."""
    try:
        return pq.ParquetFile(path)
    except PARQUET_ERRORS as exc:
        raise FileError(
            _("%(file)s: cannot read as Parquet (%(problem)s)", file=path.name, problem=_short(exc))
        ) from None


def parquet_rows(path: Path) -> int:
    """The number of rows the file's footer declares."""
    return int(parquet_file(path).metadata.num_rows)


def _parquet(path: Path, mapping: ColumnMapping, needed: list[str]) -> Iterator[Batch]:
    handle = parquet_file(path)
    _check_header(handle.schema_arrow.names, needed, path)
    positions = _Positions()
    batches = handle.iter_batches(batch_size=BATCH_ROWS, columns=needed)
    while True:
        try:
            record_batch = next(batches, None)
        except PARQUET_ERRORS as exc:
            raise _unreadable(path, "parquet", positions.next - 1, _short(exc)) from None
        if record_batch is None:
            return
        table = pa.table({c: plain(record_batch.column(c)) for c in needed})
        yield Batch(table, positions.take(table.num_rows))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _excel(path: Path, mapping: ColumnMapping, needed: list[str]) -> Iterator[Batch]:
    with _workbook(path) as book:
        sheet_name = mapping.options.sheet
        if sheet_name is not None and sheet_name not in book.sheetnames:
            raise FileError(
                _("%(file)s: no sheet named %(sheet)s", file=path.name, sheet=repr(sheet_name))
            )
        sheet = book[sheet_name] if sheet_name else book.worksheets[0]
        check_width(sheet.max_column, path)
        number = 0
        try:
            rows = sheet.iter_rows(values_only=True)
            first = next(rows, ())
            check_width(len(first), path)
            header = [_cell(v) for v in first]
            _check_header(header, needed, path)
            index = [header.index(c) for c in needed]
            buffer: list[tuple[int, tuple[Any, ...]]] = []
            for number, row in enumerate(rows, start=1):
                if all(v is None for v in row):
                    continue  # a blank line is not a row
                buffer.append((number, row))
                if len(buffer) >= BATCH_ROWS:
                    yield _excel_batch(buffer, index, needed)
                    buffer = []
            if buffer:
                yield _excel_batch(buffer, index, needed)
        except (FileError, MappingError):
            raise
        except EXCEL_ERRORS as exc:
            raise _unreadable(path, "excel", number, _short(exc)) from None


def _excel_batch(
    buffer: list[tuple[int, tuple[Any, ...]]], index: list[int], needed: list[str]
) -> Batch:
    columns = {
        name: pa.array(
            [_cell(row[i]) if i < len(row) else "" for _number, row in buffer], pa.string()
        )
        for name, i in zip(needed, index, strict=True)
    }
    return Batch(pa.table(columns), np.array([n for n, _row in buffer], dtype=np.int64))


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
