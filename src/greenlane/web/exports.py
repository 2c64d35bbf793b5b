"""What a list shows, as a download: CSV (streamed) or Excel (``core.tables``); a stored file."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from greenlane.core.tables import write_xlsx
from greenlane.web.csvfiles import streamed_csv

log = logging.getLogger(__name__)
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


def private_file(file: Any, filename: str, content_type: str) -> HttpResponse:
    """A company's stored document as a download: never kept by a cache or a proxy."""
    try:
        opened = file.open("rb")
    except FileNotFoundError:
        return file_missing(filename)
    response = FileResponse(
        opened, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


def file_missing(filename: str) -> HttpResponse:
    """A stored file the database names but the server's files lack (a database restored
    without its media folder): said plainly, and logged for the administrator."""
    log.error("stored file missing: %s", filename)
    return HttpResponse(
        f"The file {filename} is missing from the server's stored files. The administrator "
        "restores them from the backup (docs/operations.md, 'Backup and restore').",
        status=404,
        content_type="text/plain; charset=utf-8",
    )
