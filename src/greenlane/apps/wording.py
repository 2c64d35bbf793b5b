"""Words from ``core`` in the reader's language.

``core`` returns :class:`~greenlane.core.words.Words` (an English message and its values);
here they are translated into the active language (the request's, or the addressee's for an
e-mail) and their numbers written in that language's way. Anything that is not ``Words``
(user data, a text stored before words were kept as data) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext

from greenlane.core.errors import Refused
from greenlane.core.words import Day, Figure, Words


def localised(value: float, places: int, grouping: bool = True) -> str:
    """``value`` rounded to ``places`` decimals as Python rounds it (so the page says what the
    browser's own figures say), written with the reader's separators. Django's
    ``number_format`` cuts a float's digits instead of rounding them (0.9166 -> "91.6")."""
    return number_format(
        Decimal(f"{value:.{places}f}"), decimal_pos=places, force_grouping=grouping
    )


def translated(value: Any) -> str:
    """``value`` in the active language: ``Words`` translated with their values written in
    its way, stored words (a mapping with a ``message``) likewise, a stored record with its
    words under ``words`` (or only an English ``text``, from before words were kept), and
    anything else as text."""
    if isinstance(value, Mapping) and "message" not in value:
        # A stored record: its words, or (stored before words were kept) its English text.
        value = value.get("words") or value.get("text", "")
    if isinstance(value, Mapping):
        value = Words.from_json(value)
    if isinstance(value, Words):
        if value.plural is not None:
            text = ngettext(value.message, value.plural, value.count or 0)
        else:
            text = gettext(value.message)
        if not value.params:
            return text
        return text % {k: _value(v) for k, v in value.params.items()}
    return _value(value)


def said(refused: Refused) -> str:
    """A refusal's reason in the reader's language: its words translated (a refusal from core
    carries ``Words``), or the text a service gave, which is already in that language."""
    return translated(refused.words)


def all_translated(values: Iterable[Any]) -> list[str]:
    """Each of ``values`` in the active language."""
    return [translated(v) for v in values]


def _value(value: Any) -> str:
    if isinstance(value, Words):
        return translated(value)
    if isinstance(value, Figure):
        if value.percent:
            return f"{localised(value.value * 100, value.places, grouping=False)}%"
        return localised(value.value, value.places)
    if isinstance(value, Day):
        return date_format(value.value, "DATE_FORMAT")
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return str(value)
