"""Request parsing that refuses text no string in Greenlane may hold, and the integers that
bound ids and counts to what the database can take.

PostgreSQL cannot store or compare text with a NUL (``\\x00``) character: a query string,
form field or JSON string holding one made the database raise, a 500 (found by
tests/test_api_fuzz.py). A lone surrogate (``"\\ud800"`` in JSON: half of a UTF-16 pair) is
not a character at all and cannot be encoded as UTF-8 to be stored, logged or answered: a 500
too (issue 16). Both are refused before any view runs: in a query or a form, 422 naming the
field; in a JSON body, 400 like any body that cannot be read, naming the field.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from ninja.errors import ValidationError
from ninja.parser import Parser
from pydantic_core import CoreSchema, core_schema

MESSAGE = _("NUL characters (\\u0000) are not accepted")
SURROGATE_MESSAGE = _(
    "lone surrogates (\\ud800 to \\udfff) are not characters and are not accepted"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
#: In JSON, a surrogate can only be written as an escape (UTF-8 cannot hold one).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

#: The largest integer the databases store (a signed 64-bit integer); a larger id or filter
#: made SQLite raise OverflowError, a 500 (issue 16).
MAX_INTEGER = 2**63 - 1


class Id(int):
    """The id of a stored object, in a path, a query or a body: 1 to ``MAX_INTEGER``."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> CoreSchema:
        return core_schema.int_schema(ge=1, le=MAX_INTEGER)


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


def refusal(text: str) -> str | None:
    """Why ``text`` cannot be taken, or None."""
    if "\x00" in text:
        return str(MESSAGE)
    if _SURROGATE.search(text):
        return str(SURROGATE_MESSAGE)
    return None


def _first_refused(value: Any, where: tuple[str | int, ...]) -> tuple[tuple[Any, ...], str]:
    """The location of the first string (key or value) that cannot be taken, and why."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            reason = refusal(item)
            if reason:
                return at, reason
        elif isinstance(item, dict):
            for key, inner in item.items():
                reason = refusal(key)
                if reason:
                    return (*at, key), reason
                stack.append((inner, (*at, key)))
        elif isinstance(item, list):
            stack.extend((inner, (*at, i)) for i, inner in enumerate(item))
    return (), ""


class BodyRefused(ValueError):
    """A JSON body holding text that cannot be taken, with where it is
    (``GreenlaneAPI.on_exception`` answers 400 naming it)."""

    def __init__(self, loc: tuple[Any, ...], reason: str) -> None:
        super().__init__(f"{'.'.join(str(p) for p in loc)}: {reason}")
        self.loc, self.reason = loc, reason


class NulRefusingParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        # In JSON a NUL or a lone surrogate can only be written as an escape: look at the whole
        # walk only when the body holds one (a 10,000-declaration batch is otherwise walked for
        # nothing).
        if b"\\u0000" in request.body or _SURROGATE_ESCAPE.search(request.body):
            loc, reason = _first_refused(data, ("body",))
            if reason:
                raise BodyRefused(loc, reason)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        where = "query" if data is request.GET else "form"
        for key, values in data.lists():
            reason = refusal(key) or next(
                (r for r in map(refusal, (v for v in values if isinstance(v, str))) if r), None
            )
            if reason:
                error = {"loc": [where, key], "msg": reason, "type": "value_error"}
                raise ValidationError([error])
        return super().parse_querydict(data, list_fields, request)
