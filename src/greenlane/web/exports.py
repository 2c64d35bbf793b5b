"""What a list shows, as a download: CSV (streamed) or Excel (``core.tables``); a stored file."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from greenlane.core.tables import write_xlsx
from greenlane.web.csvfiles import streamed_csv

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_file(
    kind: str, header: Sequence[str], rows: Iterable[Sequence[Any]], name: str
) -> HttpResponse | StreamingHttpResponse:
    """``rows`` under ``header`` as ``name``.csv or ``name``.xlsx (``kind``)."""
    if kind == "csv":
        return streamed_csv(_with_header(header, rows), f"{name}.csv")
    out = io.BytesIO()
    write_xlsx(header, rows, out, name)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _with_header(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    yield header
    yield from rows


def private_file(file: Any, filename: str, content_type: str) -> FileResponse:
    """A company's stored document as a download: never kept by a cache or a proxy."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
