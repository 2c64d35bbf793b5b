"""CSV downloads: streamed, every cell one a spreadsheet will not run as a formula."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse

from greenlane.core.csvsafe import Writer


class _Echo:
    def write(self, value: str) -> str:
        return value


def streamed_csv(rows: Iterable[Iterable[Any]], filename: str) -> StreamingHttpResponse:
    """Rows written as CSV while they are sent, as an attachment named ``filename``; formula
    signs neutralised in every cell (``core.csvsafe``)."""
    writer = Writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
