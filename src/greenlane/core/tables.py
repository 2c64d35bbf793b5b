"""A table as a file a spreadsheet opens as data: CSV or Excel (.xlsx).

CSV cells go through ``csvsafe`` (a leading apostrophe on what would run as a formula); in
Excel every text cell is written as text, never as a formula, and numbers and dates keep their
types so the workbook sorts and sums. Used by the pages' downloads and the command line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from greenlane.core.csvsafe import Writer

Row = Sequence[Any]


def write_csv(header: Row, rows: Iterable[Row], handle: IO[str]) -> int:
    """``rows`` under ``header`` as CSV into a text ``handle``; returns the rows written."""
    writer = Writer(handle)
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n


def write_xlsx(header: Row, rows: Iterable[Row], handle: IO[bytes], sheet_name: str) -> int:
    """``rows`` under ``header`` as one worksheet into a binary ``handle``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    sheet.freeze_panes = "A2"
    for i, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(str(title)) + 2)
    sheet.append([cell(sheet, title) for title in header])
    n = 0
    for row in rows:
        sheet.append([cell(sheet, value) for value in row])
        n += 1
    book.save(handle)
    return n


def cell(sheet: Any, value: Any) -> WriteOnlyCell:
    """One value as an Excel cell: text as text, dates as dates, numbers as numbers."""
    if value is None or isinstance(value, bool):
        return WriteOnlyCell(sheet, value="" if value is None else str(value).lower())
    out = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        out.number_format = "yyyy-mm-dd"
    elif isinstance(value, str):
        out.data_type = "s"  # text, even when it starts with "=": never a formula
    return out
