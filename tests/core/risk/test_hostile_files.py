"""Hostile data files: each is refused with a message a person can act on, or read within
bounded memory; none crashes the reader or eats the machine."""

from __future__ import annotations

import itertools
import os
import random
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from greenlane.core.risk import excel, mapping, readers
from greenlane.core.risk.mapping import MappingError
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


STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def shared_strings_bomb(
    path: Path, entries: int = 2_100_000, header_index: int = 0, noise: int = 400_000
) -> Path:
    """A workbook whose header cell names shared string ``header_index`` ("No", first or
    last) among ``entries`` one-letter strings, padded with random bytes so that it stays
    under the expansion ratio (as the reviewer's 2.4 MB file did, 125 times)."""
    plain = _workbook(path.with_suffix(".plain.xlsx"), [good_row(0)])
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>'
                    "</Types>".encode(),
                )
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<c r="A1" t="inlineStr"><is><t>No</t></is></c>',
                    f'<c r="A1" t="s"><v>{header_index}</v></c>'.encode(),
                )
            out.writestr(item, data)
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            part.write(b"<si><t>No</t></si>" if header_index == 0 else b"")
            block = b"<si><t>a</t></si>" * 100_000
            for _ in range(entries // 100_000):
                part.write(block)
            part.write(b"<si><t>No</t></si></sst>" if header_index else b"</sst>")
        out.writestr(zipfile.ZipInfo("xl/media/noise.bin"), os.urandom(noise))
    plain.unlink()
    return path


def test_a_shared_strings_bomb_is_refused_before_openpyxl_loads_it(tmp_path: Path) -> None:
    """2.1 million entries (36 MB of XML in 0.5 MB, under the expansion ratio) took openpyxl
    25 s and 230 MB; the reviewer's 18 million held a web worker at 1.2 GB."""
    path = shared_strings_bomb(tmp_path / "strings.xlsx")
    assert path.stat().st_size * readers.MAX_EXPANSION > 36_000_000
    started = time.monotonic()
    with pytest.raises(FileError, match="more than 2,000,000 shared strings"):
        _drain(path)
    assert time.monotonic() - started < 10


def test_a_header_sample_reads_the_first_row_not_the_workbook(tmp_path: Path) -> None:
    """The mapping page reads a sample inside a web request: only the first row and the
    shared strings it names, in bounded memory."""
    path = shared_strings_bomb(tmp_path / "strings.xlsx", header_index=0)
    tracemalloc.start()
    try:
        header = read_header(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert header[:2] == ["No", "Date"]
    assert peak < 30 * 2**20, peak


def test_a_header_naming_a_shared_string_far_down_is_refused(tmp_path: Path) -> None:
    path = shared_strings_bomb(tmp_path / "late.xlsx", entries=200_000, header_index=200_000)
    with pytest.raises(FileError, match="not within the first 2 MB of the shared strings"):
        read_header(path)


def test_a_part_that_inflates_beyond_its_declared_size_is_refused(tmp_path: Path) -> None:
    """The zip directory's sizes are the file's word only: a part that holds more than it
    declares is not read past its declared size, and the mismatch refuses the file."""
    path = _workbook(tmp_path / "liar.xlsx", [good_row(i) for i in range(50)])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        item = archive.getinfo("xl/worksheets/sheet1.xml")
    declared = item.file_size.to_bytes(4, "little")
    smaller = (item.file_size // 2).to_bytes(4, "little")
    local = item.header_offset + 22
    assert data[local : local + 4] == declared
    data[local : local + 4] = smaller
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(b"xl/worksheets/sheet1.xml") + 1)
    assert data[central + 24 : central + 28] == declared
    data[central + 24 : central + 28] = smaller
    path.write_bytes(bytes(data))
    with pytest.raises(FileError, match="damaged"):
        _drain(path)


@pytest.mark.parametrize(
    ("cap", "value", "reason"),
    [
        ("MAX_UNPACKED_BYTES", 1 << 20, "its parts together inflate"),
        ("MAX_SHEET_BYTES", 1 << 16, "xl/worksheets/sheet1.xml inflate"),
        ("MAX_PART_BYTES", 1 << 10, "inflates to more than"),
    ],
)
def test_each_part_and_the_whole_are_capped_absolutely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: str, value: int, reason: str
) -> None:
    path = _workbook(tmp_path / "big.xlsx", [good_row(i) for i in range(2_000)])
    if cap == "MAX_UNPACKED_BYTES":
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(zipfile.ZipInfo("xl/media/noise.bin"), os.urandom(1 << 20))
    monkeypatch.setattr(excel, cap, value)
    with pytest.raises(FileError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        _drain(path)


def damaged_parquet(path: Path, shape: str, table: pa.Table | None = None) -> Path:
    """A Parquet file of ``table`` (declarations by default) damaged as the reviewer's were,
    or in its pages."""
    if table is None:
        table = pa.table({c: [good_row(i)[c] for i in range(2_000)] for c in HEADER})
    pq.write_table(table, path, row_group_size=500)
    good = path.read_bytes()
    noise = random.Random(16).randbytes
    damaged = {
        "random between the markers": b"PAR1" + noise(4_000) + b"PAR1",
        "truncated": good[: len(good) // 2],
        "footer length 2**31-1": good[:-8] + (2**31 - 1).to_bytes(4, "little") + b"PAR1",
        "footer of noise": good[: -8 - 300] + noise(300) + good[-8:],
        "pages of noise": good[:4] + noise(3_000) + good[3_004:],
    }[shape]
    path.write_bytes(damaged)
    return path


PARQUET_DAMAGE = [
    "random between the markers",
    "truncated",
    "footer length 2**31-1",
    "footer of noise",
    "pages of noise",
]


@pytest.mark.parametrize("shape", PARQUET_DAMAGE)
def test_a_damaged_parquet_file_is_refused_with_the_reason(tmp_path: Path, shape: str) -> None:
    path = damaged_parquet(tmp_path / "d.parquet", shape)
    with pytest.raises(FileError, match=r"d\.parquet: cannot read as Parquet .*\(.+\)"):
        _drain(path)
    if shape != "pages of noise":  # the footer is whole: the header and row count are there
        with pytest.raises(FileError, match="cannot read as Parquet"):
            read_header(path)
        with pytest.raises(FileError, match="cannot read as Parquet"):
            readers.parquet_rows(path)


# Hostile column mappings (an uploaded mapping file, a mapping name from a request).

MAPPING_TEXT = mapping.to_yaml(MAPPING)


def billion_laughs(levels: int = 9) -> str:
    """A few hundred bytes whose last alias stands for 9**9 values (the reviewer's 700 took
    81 s to validate in a web request)."""
    lines = ["name: bomb", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    names = "abcdefghijklmnop"[:levels]
    for previous, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join([*lines, "columns: {number: No}", f"attributes: *{names[-1]}", ""])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (billion_laughs(), "anchors and aliases"),
        (MAPPING_TEXT + "attributes: &keep [Note]\n", "anchors and aliases"),
        (
            MAPPING_TEXT + "labels: " + "[" * 10_000 + "]" * 10_000 + "\n",
            "nested deeper than 32 levels",
        ),
        (MAPPING_TEXT + "title: " + "x" * mapping.MAX_MAPPING_BYTES + "\n", "longer than 1,024 KB"),
    ],
)
def test_a_mapping_bomb_is_refused_before_it_is_validated(text: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(MappingError, match=reason):
        mapping.parse(text, "bomb.yaml")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "/etc/shadow", "../../../../etc/passwd", "mine.yaml", "nothing.yaml"]
)
def test_a_path_as_a_mapping_name_is_only_an_unknown_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(MAPPING_TEXT)
    with pytest.raises(MappingError, match=r"^no mapping named .* \(shipped: ") as refused:
        mapping.named(name)
    assert "Importer" not in str(refused.value)


def test_the_header_sample_reads_a_workbook_as_openpyxl_does(tmp_path: Path) -> None:
    """The header reader is Greenlane's own (so that it stops at the first row): it gives the
    names the ingest, which reads through openpyxl, will look for."""
    book = openpyxl.Workbook()
    book.active.append(["No", 2024, 1.5, True, None, "  Value ", "Ré"])
    book.active.append(["x"] * 7)
    book.active.cell(row=1, column=9).value = "After a gap"
    book.save(tmp_path / "mixed.xlsx")
    with readers._workbook(tmp_path / "mixed.xlsx") as opened:
        first = next(opened.worksheets[0].iter_rows(values_only=True))
    expected = [readers._cell(v) for v in first if v is not None]
    assert read_header(tmp_path / "mixed.xlsx") == expected
    assert expected == ["No", "2024", "1.5", "True", "Value", "Ré", "After a gap"]
