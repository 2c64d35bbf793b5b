"""Hostile data files: each is refused with a message a person can act on, or read within
bounded memory; none crashes the reader or eats the machine."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from greenlane.core.risk import readers
from greenlane.core.risk.readers import FileError, read_batches, read_header
from tests.core.risk.rows import HEADER, MAPPING, good_row, write_csv


def _drain(path: Path) -> int:
    return sum(batch.table.num_rows for batch in read_batches(path, MAPPING))


def _workbook(path: Path, rows: list[dict[str, object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row[c] for c in HEADER])
    book.save(path)
    return path


def test_a_header_line_of_millions_of_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    with path.open("w") as handle:
        handle.write(",".join(HEADER) + "," + ",".join(f"c{i}" for i in range(1_000_000)) + "\n")
        handle.write("x\n")
    with pytest.raises(FileError, match="header line is longer than"):
        _drain(path)
    with pytest.raises(FileError, match="header line is longer than"):
        read_header(path)


def test_more_columns_than_any_declaration_file_has_are_refused(tmp_path: Path) -> None:
    extra = [f"c{i}" for i in range(readers.MAX_COLUMNS)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join([*HEADER, *extra]) + "\n")
    with pytest.raises(FileError, match=f"more than {readers.MAX_COLUMNS:,} columns"):
        _drain(path)
    book = openpyxl.Workbook()
    book.active.append([*HEADER, *extra])
    book.save(tmp_path / "wide.xlsx")
    with pytest.raises(FileError, match=f"more than {readers.MAX_COLUMNS:,} columns"):
        _drain(tmp_path / "wide.xlsx")


def test_an_excel_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "bomb.xlsx", [good_row(0)])
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as member,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(64):  # 64 MB of zeros in about 64 KB
            member.write(block)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(FileError, match=r"expands to .* times its size"):
        _drain(path)
    with pytest.raises(FileError, match=r"expands to .* times its size"):
        read_header(path)


def test_a_workbook_whose_sheet_lies_about_its_size_is_refused_not_crashed(
    tmp_path: Path,
) -> None:
    path = _workbook(tmp_path / "liar.xlsx", [good_row(0), good_row(1)])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of the XML
            target.writestr(item, data)
    with pytest.raises(FileError, match="cannot read as an Excel workbook"):
        _drain(broken)


def test_not_a_workbook_at_all_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(FileError, match="cannot read as an Excel workbook"):
        _drain(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xff\xfe" + ",".join(HEADER).encode("utf-16-le"), "encoded in UTF-16"),
        # A short row that is not UTF-8 either: pyarrow cannot even hand it to the row
        # handler (it reports that as an ignored exception), and the file is refused whole.
        pytest.param(
            ",".join(HEADER).encode("utf-8") + b"\n\xff\xfe\x00bad,row\n",
            "cannot read as CSV in its first rows",
            marks=pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
        ),
        (b"", "the file is empty"),
        (b"\x00" * 5000, "not a text file"),
    ],
)
def test_binary_or_wrongly_encoded_text_is_refused(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(FileError, match=reason):
        _drain(path)


def _peak_while_reading(path: Path) -> tuple[int, int]:
    pool = pa.default_memory_pool()
    start = pool.bytes_allocated()
    peak, rows = 0, 0
    for batch in read_batches(path, MAPPING):
        rows += batch.table.num_rows
        peak = max(peak, pool.bytes_allocated() - start)
    return rows, peak


def test_memory_follows_the_block_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow's allocations while reading 400,000 rows stay those of reading 100,000: the
    reader holds a bounded number of blocks ahead, whatever the file's size. (Small blocks
    here, so that both files are far beyond what the reader holds.)"""
    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 1 << 16)
    path = write_csv(tmp_path / "long.csv", [good_row(i) for i in range(2_000)])
    body = path.read_bytes().split(b"\n", 1)[1]
    with path.open("ab") as handle:
        for _ in range(49):
            handle.write(body)  # 100,000 rows (numbers repeat: the reader does not care)
    short_rows, short_peak = _peak_while_reading(path)
    with path.open("ab") as handle:
        for _ in range(150):
            handle.write(body)  # 400,000 rows
    long_rows, long_peak = _peak_while_reading(path)
    assert (short_rows, long_rows) == (100_000, 400_000)
    assert long_peak < 1.5 * short_peak, (short_peak, long_peak)
