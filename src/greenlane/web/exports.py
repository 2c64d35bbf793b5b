"""What a list shows, as a file: CSV (streamed) or Excel, safe to open in a spreadsheet.

CSV cells go through ``core.csvsafe`` (a leading apostrophe on what would run as a formula);
in Excel every text cell is written as text, never as a formula, and numbers and dates keep
their types so the workbook sorts and sums.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from greenlane.web.csvfiles import streamed_csv

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_file(
    kind: str, header: Sequence[str], rows: Iterable[Sequence[Any]], name: str
) -> HttpResponse | StreamingHttpResponse:
    """``rows`` under ``header`` as ``name``.csv or ``name``.xlsx (``kind``)."""
    if kind == "csv":
        return streamed_csv(_with_header(header, rows), f"{name}.csv")
    return _workbook(header, rows, name)


def _with_header(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    yield header
    yield from rows


def _workbook(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> HttpResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(name[:31])
    sheet.freeze_panes = "A2"
    for i, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(title) + 2)
    sheet.append([_cell(sheet, title) for title in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _cell(sheet: Any, value: Any) -> WriteOnlyCell:
    if value is None or isinstance(value, bool):
        return WriteOnlyCell(sheet, value="" if value is None else str(value).lower())
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, str):
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
    return cell
