"""Request parsing that refuses NUL characters, which no text in Greenlane may hold.

PostgreSQL cannot store or compare text with a NUL (``\\x00``) character: a query string,
form field or JSON string holding one made the database raise, a 500 (found by
tests/test_api_fuzz.py). They are refused before any view runs: in a query or a form, 422
naming the field; in a JSON body, 400 like any body that cannot be read.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.errors import ValidationError
from ninja.parser import Parser

MESSAGE = "NUL characters (\\u0000) are not accepted"


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


class NulRefusingParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        # In JSON a NUL can only be written as the escape \u0000: look at the whole walk only
        # when the body holds one (a 10,000-declaration batch is otherwise walked for nothing).
        if b"\\u0000" in request.body and holds_nul(data):
            raise ValueError(MESSAGE)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        where = "query" if data is request.GET else "form"
        for key, values in data.lists():
            if holds_nul(key) or holds_nul(values):
                error = {"loc": [where, key], "msg": MESSAGE, "type": "value_error"}
                raise ValidationError([error])
        return super().parse_querydict(data, list_fields, request)
