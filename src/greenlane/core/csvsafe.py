"""CSV a spreadsheet opens as data, not as formulas (CSV injection, OWASP).

A cell that starts with ``= + - @``, a tab or a carriage return is run as a formula by Excel,
LibreOffice and Google Sheets, and so is one whose sign comes after leading spaces (they trim
them: ``" =HYPERLINK(...)"``) or is the full-width form an East Asian keyboard types; such a
cell is written with a leading apostrophe, which they show as text. Plain numbers
(``-12.5``, ``+3``, ``1e-3``, `` -4``) are left alone: they are no formula, and a quote would
turn them into text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What starts a formula once leading whitespace is trimmed (with the full-width forms).
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def cell(value: Any) -> str:
    """``value`` as text a spreadsheet shows as it is."""
    text = "" if value is None else str(value)
    return "'" + text if runs_as_formula(text) else text


def runs_as_formula(text: str) -> bool:
    if text[:1] in ("\t", "\r"):
        return True
    trimmed = text.lstrip()
    return trimmed[:1] in FORMULA_SIGNS and not _NUMBER.fullmatch(trimmed)


class Writer:
    """``csv.writer`` whose every cell goes through ``cell``."""

    def __init__(self, handle: Any) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
