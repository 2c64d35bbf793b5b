"""Pages of a long list found by where the page before ended (keyset paging), not by OFFSET
and COUNT: the tenth page of ten million scores costs what the first does.

A list is ordered by fields that end in a unique one (``("-probability", "id")``); the link to
the next page carries the last row's values of those fields (``?after=``), the link back the
first row's (``?before=``). The query asks for the rows beyond those values, with the first
field's bound written out on its own so that the index on the ordering starts there instead of
filtering from the top. There is no page count and no "page 7 of 9,000": a person reads the
first pages or narrows the filter, and the exports take the whole filtered list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    rows: list[M]
    #: Cursor to the page after (None: this is the last) and before (None: the first).
    after: str | None
    before: str | None

    def __iter__(self) -> Iterator[M]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def object_list(self) -> list[M]:
        return self.rows

    @property
    def has_other_pages(self) -> bool:
        return bool(self.after or self.before)


class Keyset:
    """Keyset paging over ``ordering``, whose last field must be unique."""

    def __init__(self, ordering: Sequence[str], size: int = 50) -> None:
        self.ordering = tuple(ordering)
        self.size = size

    def _fields(self) -> list[tuple[str, bool]]:
        return [(f.lstrip("-"), not f.startswith("-")) for f in self.ordering]

    def page(self, items: QuerySet[M], request: HttpRequest) -> KeysetPage[M]:
        after, before = request.GET.get("after"), request.GET.get("before")
        backwards = not after and bool(before)
        values = self._decode(items.model, before if backwards else after)
        if values is None:
            backwards = False
        ordering = self.ordering if not backwards else tuple(_flip(f) for f in self.ordering)
        chosen = items.order_by(*ordering)
        if values is not None:
            chosen = chosen.filter(self._beyond(values, backwards))
        rows = list(chosen[: self.size + 1])
        more = len(rows) > self.size
        rows = rows[: self.size]
        if backwards:
            rows.reverse()
        if not rows:
            return KeysetPage(rows, None, None)
        first, last = self._encode(rows[0]), self._encode(rows[-1])
        if backwards:
            return KeysetPage(rows, after=last, before=first if more else None)
        return KeysetPage(rows, after=last if more else None, before=first if values else None)

    def _beyond(self, values: list[Any], backwards: bool) -> Q:
        """Rows past ``values`` in the ordering (before them when ``backwards``)."""
        fields = self._fields()
        condition = Q()
        for k, (name, ascending) in enumerate(fields):
            forward = ascending != backwards
            step = Q(**{f"{name}__{'gt' if forward else 'lt'}": values[k]})
            for j in range(k):
                step &= Q(**{fields[j][0]: values[j]})
            condition |= step
        name, ascending = fields[0]
        bound = Q(**{f"{name}__{'gte' if ascending != backwards else 'lte'}": values[0]})
        return bound & condition

    def _encode(self, row: Model) -> str:
        values = [_text(getattr(row, name)) for name, _ in self._fields()]
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    def _decode(self, model: type[Model], cursor: str | None) -> list[Any] | None:
        """The values a cursor holds, each read by its field; None for anything unreadable
        (the list then starts at its first page)."""
        if not cursor or len(cursor) > 1000:
            return None
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            texts = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            fields = self._fields()
            if not isinstance(texts, list) or len(texts) != len(fields):
                return None
            values = [
                model._meta.get_field(name).to_python(text)
                for (name, _), text in zip(fields, texts, strict=True)
            ]
        except (ValueError, TypeError, ValidationError, binascii.Error, UnicodeError):
            return None
        # Beyond 64 bits the database refuses the comparison: an error, not a page.
        if any(isinstance(v, int) and not -(2**63) <= v < 2**63 for v in values):
            return None
        return values


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)  # round-trips exactly
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
