"""Pages of a list: django-ninja's ``limit`` / ``offset``, bounded."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from greenlane.api.parser import MAX_INTEGER

MAX_LIMIT = 1000
# The databases take OFFSET as a signed 64-bit integer; a larger one was a 500 (found by
# tests/test_api_fuzz.py), now a 422.
MAX_OFFSET = MAX_INTEGER


class Pages(LimitOffsetPagination):
    """At most 1,000 items a page (default 100), from an offset that the database can take."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
