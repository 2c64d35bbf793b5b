"""A self-test written as a YAML file, for offline use (``greenlane assess``).

date: 2026-06-01          # optional: the assessment date (default: today)
profile:
  years_in_business: 4
  declarations_per_year: 120
  msme: true
  operator_types: [importer]
  scores: {kr-aeo: {legal_compliance: 91}}   # scores customs measured, if known
answers:
  COMP-RECORD: met        # met | partly | not_met | na; leave out what is not answered
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from greenlane.core.criteria.engine import Profile, validate_answers
from greenlane.core.criteria.loader import Catalogue, CatalogueError, read_document
from greenlane.core.criteria.schema import Answer, OperatorType

Score = Annotated[float, Field(ge=0, le=200)]


class _ProfileFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    years_in_business: float | None = Field(default=None, ge=0, le=500)
    declarations_per_year: int | None = Field(default=None, ge=0)
    years_since_serious_infringement: float | None = Field(default=None, ge=0)
    arrears: bool = False
    msme: bool = False
    operator_types: list[OperatorType] = Field(default_factory=list)
    scores: dict[str, dict[str, Score]] = Field(default_factory=dict)
    annual_turnover: float | None = Field(default=None, ge=0)
    paid_up_capital: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class _SelfTestFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = None
    profile: _ProfileFile = Field(default_factory=_ProfileFile)
    answers: dict[str, Answer | None] = Field(default_factory=dict)


@dataclass(frozen=True)
class SelfTest:
    answers: dict[str, str | None]
    profile: Profile
    on: date | None


def read(path: Path, catalogue: Catalogue) -> SelfTest:
    """The self-test in ``path``; problems raise :class:`CatalogueError` with file and line."""
    document = read_document(path)
    parsed = document.validate(_SelfTestFile)
    answers = {k: (v.value if v is not None else None) for k, v in parsed.answers.items()}
    errors = validate_answers(catalogue, answers)
    if errors:
        raise CatalogueError([document.problem(("answers", k), v) for k, v in errors.items()])
    p = parsed.profile
    profile = Profile(
        years_in_business=p.years_in_business,
        declarations_per_year=p.declarations_per_year,
        years_since_serious_infringement=p.years_since_serious_infringement,
        arrears=p.arrears,
        msme=p.msme,
        operator_types=frozenset(t.value for t in p.operator_types),
        scores=p.scores,
        annual_turnover=p.annual_turnover,
        paid_up_capital=p.paid_up_capital,
        currency=p.currency,
    )
    return SelfTest(answers, profile, parsed.date)
