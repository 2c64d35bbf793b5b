"""What ``core`` says to a person, kept translatable without Django.

``core`` builds sentences a person reads (a score's reasons, a refusal, a chart's title) but
knows nothing of who reads them, nor in which language. It returns :class:`Words`: the English
message with ``%(name)s`` placeholders and the values to put in them. Whoever shows the words
to a person translates the message into that person's language and formats the values the
way that language writes numbers (``greenlane.apps.wording.translated``); the CLI, which stays
English, prints ``str(words)``.

``_``, ``ngettext`` and ``gettext_noop`` (``_`` again) here carry the names ``xgettext``
looks for, so ``make messages`` collects every message written with them into the
catalogues, as it does Django's own.
Words are plain data: they can be stored (``as_json`` / ``from_json``) and translated when
they are read, years later, in a language chosen then.

Values are kept as they are: codes and names (``str``) are never translated, numbers are
written with the reader's separators (:class:`Figure` says how many decimals, or a
percentage), dates (:class:`Day`) in the reader's way, and words inside words (a weekday,
"importer OP1 with seller S1") are translated in turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Figure:
    """A number to be written in the reader's way: ``places`` decimals, grouped thousands;
    ``percent`` writes a share (0.24) as a percentage ("24%")."""

    value: float
    places: int = 0
    percent: bool = False

    def __str__(self) -> str:
        if self.percent:
            return f"{self.value * 100:,.{self.places}f}%"
        return f"{self.value:,.{self.places}f}"


@dataclass(frozen=True)
class Day:
    """A date to be written in the reader's way (2026-12-07, 2026. 12. 7., 07/12/2026)."""

    value: date

    def __str__(self) -> str:
        return self.value.isoformat()


Value = Any  # str | int | Figure | Day | Words


@dataclass(frozen=True)
class Words:
    """A message and its values; ``str()`` gives the English sentence."""

    message: str
    params: Mapping[str, Value] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None

    def __str__(self) -> str:
        text = self.message
        if self.plural is not None and self.count != 1:
            text = self.plural
        return text % {k: _english(v) for k, v in self.params.items()} if self.params else text

    def as_json(self) -> dict[str, Any]:
        """The words as JSON-ready data, for storing them."""
        out: dict[str, Any] = {"message": self.message}
        if self.params:
            out["params"] = {k: _value_json(v) for k, v in self.params.items()}
        if self.plural is not None:
            out["plural"], out["count"] = self.plural, self.count
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Words:
        """Words stored with :meth:`as_json`."""
        params = {k: _value_from_json(v) for k, v in data.get("params", {}).items()}
        return cls(data["message"], params, data.get("plural"), data.get("count"))


def _(message: str, **params: Value) -> Words:
    """``message`` (English, with ``%(name)s`` placeholders) and its values, marked for
    translation and translated when a person reads it."""
    return Words(message, params)


#: ``_`` under a name ``xgettext`` also collects, for a module whose ``_`` is Django's
#: ``gettext`` (a text translated now) that also writes words to store and translate later.
gettext_noop = _


def ngettext(singular: str, plural: str, count: int, **params: Value) -> Words:
    """A message whose wording depends on ``count`` (which is also the ``count`` value)."""
    return Words(singular, {"count": count, **params}, plural, count)


def listed(reasons: list[Words]) -> Words:
    """Several reasons as one: "a; b; c" (each a sentence of its own)."""
    said = reasons[0]
    for reason in reasons[1:]:
        said = _("%(reasons)s; %(reason)s", reasons=said, reason=reason)
    return said


def stored(value: Any) -> Any:
    """``value`` as a JSON column keeps it: words as data (``as_json``), else its text."""
    return value.as_json() if isinstance(value, Words) else str(value)


def read(value: Any) -> Words | str:
    """What :func:`stored` kept, back: words, or the text."""
    if isinstance(value, Mapping) and "message" in value:
        return Words.from_json(value)
    return "" if value is None else str(value)


def english(value: Any) -> str:
    """``value`` as the English text (for the CLI, logs and stored English copies)."""
    return _english(value)


def _english(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _value_json(value: Value) -> Any:
    if isinstance(value, Words):
        return {"words": value.as_json()}
    if isinstance(value, Figure):
        return {"figure": value.value, "places": value.places, "percent": value.percent}
    if isinstance(value, Day):
        return {"day": value.value.isoformat()}
    if isinstance(value, str | int | float) or value is None:
        return value
    return str(value)


def _value_from_json(value: Any) -> Value:
    if isinstance(value, dict):
        if "words" in value:
            return Words.from_json(value["words"])
        if "figure" in value:
            return Figure(value["figure"], value.get("places", 0), value.get("percent", False))
        if "day" in value:
            return Day(date.fromisoformat(value["day"]))
    return value
