"""Preferential trade agreements as cited, dated data: ``catalogue/agreements.yaml``.

Each record gives what a source read says about an agreement's origin procedures: parties,
entry into force, who makes the proof of origin, how long it is valid, retroactive issue,
third-country invoicing, verification times. What no source read says is ``unknown``, and
an unknown term never refuses a claim (``terms``: None, a remark in ``claims``). Problems
name the file and line, as the catalogue's loader does.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from greenlane.core.certification.mras import UNKNOWN, Economy, When, exact
from greenlane.core.criteria.loader import CatalogueError, read_document, shipped_root
from greenlane.core.origin.claims import Terms

Maker = Literal["authority", "approved_exporter", "exporter", "producer", "importer"]


def _known(value: Any) -> Any:
    """``unknown`` as None: the field's type then says what a known value looks like."""
    return None if value == UNKNOWN else value


UnknownInt = Annotated[int | None, BeforeValidator(_known)]
UnknownBool = Annotated[bool | None, BeforeValidator(_known)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retroactive(_Strict):
    allowed: UnknownBool
    within_months: UnknownInt
    counted_from: Literal["shipment", "issue"] = "shipment"

    @model_validator(mode="after")
    def _limit_only_when_allowed(self) -> Retroactive:
        if self.allowed is False and self.within_months is not None:
            raise ValueError("retroactive issue is not allowed, yet has a time limit")
        return self


class Days(_Strict):
    min: int = Field(ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Days:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) below min ({self.min})")
        return self


class Verification(_Strict):
    reply_within_months: UnknownInt
    reply_within_days: Days | None = None
    deny_without_reply: UnknownBool


class Source(_Strict):
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")
    kind: Literal["official", "mirror", "secondary"]
    articles: list[str] = []


class Agreement(_Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]{1,31}$")
    title: str = Field(min_length=3)
    parties: list[Economy] = Field(min_length=2)
    in_force: When
    in_force_notes: str = ""
    proof_of_origin: list[Maker] = Field(min_length=1)
    validity_months: UnknownInt
    retroactive: Retroactive
    third_country_invoicing: UnknownBool
    verification: Verification
    exchange: str
    notes: str = ""
    sources: list[Source] = Field(min_length=1)
    checked: date

    @field_validator("parties")
    @classmethod
    def _each_party_once(cls, parties: list[str]) -> list[str]:
        if len(set(parties)) != len(parties):
            raise ValueError("a party is listed twice")
        return parties

    @property
    def in_force_from(self) -> date | None:
        return exact(self.in_force)

    @property
    def terms(self) -> Terms:
        """What the claim match applies (None where the sources read do not say)."""
        return Terms(
            validity_months=self.validity_months,
            retroactive_allowed=self.retroactive.allowed,
            third_country_invoicing=self.third_country_invoicing,
        )


class AgreementFile(_Strict):
    agreements: list[Agreement]


def _file_problems(agreements: list[Agreement]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    seen: set[str] = set()
    for i, agreement in enumerate(agreements):
        if agreement.id in seen:
            yield ("agreements", i, "id"), f"duplicate id '{agreement.id}'"
        seen.add(agreement.id)


def load_agreements(path: Path | None = None) -> list[Agreement]:
    """The agreements in ``path`` (default: the shipped file). Raises ``CatalogueError``."""
    document = read_document(path or shipped_root() / "agreements.yaml")
    parsed = document.validate(AgreementFile)
    problems = [document.problem(p, r) for p, r in _file_problems(parsed.agreements)]
    if problems:
        raise CatalogueError(problems)
    return parsed.agreements


@functools.cache
def shipped_agreements() -> tuple[Agreement, ...]:
    return tuple(load_agreements())


def terms() -> dict[str, Terms]:
    """The shipped agreements' terms by id, for ``claims.match``."""
    return {a.id: a.terms for a in shipped_agreements()}
