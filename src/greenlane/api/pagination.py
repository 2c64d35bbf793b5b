"""Pages of a list: django-ninja's ``limit`` / ``offset``, bounded."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from greenlane.api.parser import MAX_INTEGER

MAX_LIMIT = 1000
# The databases take OFFSET as a signed 64-bit integer; a larger one was a 500 (found by
# tests/test_api_fuzz.py), now a 422.
MAX_OFFSET = MAX_INTEGER


class Pages(LimitOffsetPagination):
    """At most 1,000 items a page (default 100), from an offset that the database can take.
    A view that knows how many items its list holds without counting them (a running total,
    decision 0023) says so with ``known_count``; the list is then not counted."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        known = getattr(request, KNOWN_COUNT, None)
        if known is None:
            return super().paginate_queryset(queryset, pagination, request, **params)
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        return {self.items_attribute: queryset[offset : offset + limit], "count": known}


#: The request attribute through which a view gives its list's size (see ``Pages``).
KNOWN_COUNT = "greenlane_known_count"


def known_count(request: HttpRequest, count: int) -> None:
    setattr(request, KNOWN_COUNT, count)
