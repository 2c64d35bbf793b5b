"""Mutual recognition arrangements as cited, dated data: ``catalogue/mras.yaml``.

Each record is one arrangement (bilateral, or plurilateral such as the ASEAN AAMRA) with its
parties (an economy, and the catalogue programme when that programme is encoded), the dates a
source gives (as precisely as it gives them, or ``unknown``), which of each party's AEOs it
covers (tiers, operator roles), the benefits a source names, the sources and the day the
record was checked. Loading checks the file against the catalogue: a programme id must be
encoded, must be the party's economy's, and its tiers must exist; problems name the file and
line, as the catalogue loader does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import pycountry
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from greenlane.core.criteria.loader import (
    Catalogue,
    CatalogueError,
    Problem,
    read_document,
    shipped,
    shipped_root,
)
from greenlane.core.criteria.schema import Id, UniqueTypes
from greenlane.core.words import Words, _

#: What an MRA may grant partner AEOs at import (words from TFA 7.7.3 and MRA practice),
#: translated where they are shown (``str()``: English, the API's words).
BENEFITS: dict[str, Words] = {
    "reduced_inspection": _("Fewer physical and documentary inspections"),
    "risk_score_reduction": _("AEO status taken into account in risk scoring"),
    "priority_inspection": _("Priority when selected for inspection"),
    "faster_release": _("Faster release"),
    "reduced_data": _("Reduced data requirements"),
}
Benefit = Literal[
    "reduced_inspection", "risk_score_reduction", "priority_inspection", "faster_release",
    "reduced_data",
]  # fmt: skip
Kind = Literal["bilateral", "plurilateral"]
UNKNOWN = "unknown"
_WHEN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
#: A month of a year as a person reads it, one message per month ("June %(year)s").
_MONTH_WORDS = (
    _("January %(year)s"), _("February %(year)s"), _("March %(year)s"), _("April %(year)s"),
    _("May %(year)s"), _("June %(year)s"), _("July %(year)s"), _("August %(year)s"),
    _("September %(year)s"), _("October %(year)s"), _("November %(year)s"),
    _("December %(year)s"),
)  # fmt: skip


def _when(value: Any) -> str:
    """A date as a source gives it: ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or ``unknown``."""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip() if isinstance(value, str | int) else ""
    if text == UNKNOWN:
        return text
    found = _WHEN.match(text)
    if found is None:
        raise ValueError(f"'{value}' is not YYYY-MM-DD, YYYY-MM, YYYY or 'unknown'")
    year, month, day = (int(g) if g else None for g in found.groups())
    try:
        date(year or 1, month or 1, day or 1)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a date ({exc})") from None
    return text


When = Annotated[str, BeforeValidator(_when)]


def exact(when: str) -> date | None:
    """The day of ``when`` when the source gives the day, else None."""
    return date.fromisoformat(when) if when != UNKNOWN and len(when) == 10 else None


def spoken(when: str) -> str:
    """``2010-06`` as "June 2010"; a full date or a year as written; "unknown" as is."""
    if when != UNKNOWN and len(when) == 7:
        return f"{_MONTHS[int(when[5:]) - 1]} {when[:4]}"
    return when


def said(when: str) -> Words | str:
    """:func:`spoken` in words translated where they are shown: ``2010-06`` as "June 2010"
    (or the reader's way of writing it), "unknown" translated; a full date or a year as
    written."""
    if when == UNKNOWN:
        return _("unknown")
    if len(when) == 7:
        month = _MONTH_WORDS[int(when[5:]) - 1]
        return Words(month.message, {"year": when[:4]})  # the year as written, not grouped
    return when


def _bounds(when: str) -> tuple[str, str]:
    """The earliest and latest ISO day ``when`` may stand for, compared as text."""
    parts = when.split("-")
    missing = 3 - len(parts)
    return "-".join(parts + ["01"] * missing), "-".join(parts + ["99"] * missing)


def _economy(value: Any) -> str:
    text = str(value)
    if text == "EU" or (len(text) == 2 and pycountry.countries.get(alpha_2=text) is not None):
        return text
    raise ValueError(f"'{text}' is not an ISO 3166 country code (or EU)")


Economy = Annotated[str, BeforeValidator(_economy)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Strict):
    """A party: its economy, its catalogue programme (null when not encoded), and which of its
    AEOs the arrangement covers (empty lists: all of them)."""

    economy: Economy
    programme: Id | None
    tiers: list[str] = []
    roles: UniqueTypes = []


class Source(_Strict):
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")


class Arrangement(_Strict):
    """One MRA as its sources describe it."""

    id: Id
    kind: Kind
    name: str = ""
    parties: list[Party]
    signed: When
    in_effect: When
    benefits: list[Benefit] = []
    sources: list[Source] = Field(min_length=1)
    checked: date
    notes: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Arrangement:
        count = len(self.parties)
        if self.kind == "bilateral" and count != 2:
            raise ValueError(f"a bilateral arrangement has exactly 2 parties, not {count}")
        if self.kind == "plurilateral" and count < 3:
            raise ValueError(f"a plurilateral arrangement has at least 3 parties, not {count}")
        if self.kind == "plurilateral" and not self.name:
            raise ValueError("a plurilateral arrangement needs its name")
        economies = [p.economy for p in self.parties]
        if len(set(economies)) != count:
            raise ValueError("an economy is a party twice")
        if UNKNOWN not in (self.signed, self.in_effect) and (
            _bounds(self.in_effect)[1] < _bounds(self.signed)[0]
        ):
            raise ValueError(f"in effect ({self.in_effect}) before signed ({self.signed})")
        return self

    @property
    def signed_on(self) -> date | None:
        return exact(self.signed)

    @property
    def in_effect_from(self) -> date | None:
        return exact(self.in_effect)

    def party(self, economy: str) -> Party | None:
        return next((p for p in self.parties if p.economy == economy), None)

    def partners(self, economy: str) -> list[Party]:
        """The other parties, seen from ``economy``."""
        return [p for p in self.parties if p.economy != economy]

    def title(self, economy: str | None = None) -> str:
        """The name, or the parties joined: "KR-US"."""
        if self.name:
            return self.name
        ordered = sorted(p.economy for p in self.parties if p.economy != economy)
        return "-".join([economy, *ordered] if economy else ordered)


class MraFile(_Strict):
    mras: list[Arrangement]


def _catalogue_problems(
    mra: Arrangement, catalogue: Catalogue
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for i, party in enumerate(mra.parties):
        where = ("parties", i)
        programme = catalogue.programmes.get(party.programme or "")
        if party.programme is None:
            continue  # not encoded (``_resolved`` filled in those that are)
        if programme is None:
            known = ", ".join(sorted(catalogue.programmes))
            yield (
                (*where, "programme"),
                (
                    f"unknown programme '{party.programme}' (encoded: {known}); "
                    "null when the programme is not encoded"
                ),
            )
            continue
        if programme.jurisdiction != party.economy:
            yield (
                (*where, "economy"),
                (
                    f"{programme.id} is the programme of {programme.jurisdiction}, "
                    f"not {party.economy}"
                ),
            )
        tiers = {t.id for v in programme.versions for t in v.tiers}
        for tier in party.tiers:
            if tier not in tiers:
                yield (
                    (*where, "tiers"),
                    (f"'{tier}' is not a tier of {programme.id} ({', '.join(sorted(tiers))})"),
                )


def _file_problems(
    mras: list[Arrangement], catalogue: Catalogue
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    ids: set[str] = set()
    arrangements: set[tuple[str, frozenset[str], str]] = set()
    for i, mra in enumerate(mras):
        if mra.id in ids:
            yield ("mras", i, "id"), f"duplicate id '{mra.id}'"
        ids.add(mra.id)
        key = (mra.kind, frozenset(p.economy for p in mra.parties), mra.name)
        if key in arrangements:
            yield ("mras", i), "the same arrangement is recorded twice: one record each"
        arrangements.add(key)
        for path, reason in _catalogue_problems(mra, catalogue):
            yield ("mras", i, *path), reason


def load_mras(path: Path | None = None, catalogue: Catalogue | None = None) -> list[Arrangement]:
    """The arrangements in ``path`` (default: the shipped file), checked against
    ``catalogue`` (default: the shipped one). Raises :class:`CatalogueError`."""
    document = read_document(path or shipped_root() / "mras.yaml")
    parsed = document.validate(MraFile)
    catalogue = catalogue or shipped()
    problems = [document.problem(p, r) for p, r in _file_problems(parsed.mras, catalogue)]
    if problems:
        raise CatalogueError(problems)
    return [_resolved(mra, catalogue) for mra in parsed.mras]


def _resolved(mra: Arrangement, catalogue: Catalogue) -> Arrangement:
    """``mra`` with each party whose programme the file leaves empty linked to its economy's
    programme when the catalogue encodes one: the file stays true as programmes are added."""
    encoded = {p.jurisdiction: p.id for p in catalogue.programmes.values() if p.kind != "framework"}
    parties = [
        p.model_copy(update={"programme": encoded[p.economy]})
        if p.programme is None and p.economy in encoded
        else p
        for p in mra.parties
    ]
    return mra.model_copy(update={"parties": parties})


@functools.cache
def shipped_mras() -> tuple[Arrangement, ...]:
    """The shipped arrangements, loaded once per process."""
    return tuple(load_mras())


def of_economy(
    mras: tuple[Arrangement, ...] | list[Arrangement], economy: str
) -> list[Arrangement]:
    """The arrangements ``economy`` is a party to."""
    return [m for m in mras if m.party(economy) is not None]


@dataclass(frozen=True)
class Count:
    programme: str
    arrangements: int
    in_effect_known: int


def counts(mras: tuple[Arrangement, ...] | list[Arrangement]) -> list[Count]:
    """For each encoded programme that is a party: how many arrangements the file records,
    and for how many a day in effect is known."""
    by: dict[str, list[Arrangement]] = {}
    for mra in mras:
        for party in mra.parties:
            if party.programme:
                by.setdefault(party.programme, []).append(mra)
    return [
        Count(p, len(found), sum(1 for m in found if m.in_effect_from))
        for p, found in sorted(by.items())
    ]


__all__ = [
    "BENEFITS",
    "Arrangement",
    "CatalogueError",
    "Count",
    "Party",
    "Problem",
    "Source",
    "counts",
    "exact",
    "load_mras",
    "of_economy",
    "said",
    "shipped_mras",
    "spoken",
]
