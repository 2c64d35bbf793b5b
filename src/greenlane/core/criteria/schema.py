"""The catalogue's data model: baseline requirements, AEO programmes, dated versions, tiers.

Every model forbids unknown fields, so a typo in a catalogue file is an error at load time
rather than a silently ignored rule. Cross-references (criterion → baseline requirement, gate →
group, reference → source) are checked by :mod:`greenlane.core.criteria.loader`, which knows
the file and line of every value.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=40)]


class OperatorType(StrEnum):
    """Kinds of economic operator that programmes certify (Japan and CTPAT certify by type;
    Korea's nine kinds add the bonded-goods transporter, the air carrier and the ground
    handler to the common ones; ``carrier`` is a carrier by sea or road)."""

    IMPORTER = "importer"
    EXPORTER = "exporter"
    MANUFACTURER = "manufacturer"
    CUSTOMS_BROKER = "customs_broker"
    WAREHOUSE_OPERATOR = "warehouse_operator"
    CARRIER = "carrier"
    FREIGHT_FORWARDER = "freight_forwarder"
    PORT_OPERATOR = "port_operator"
    BONDED_TRANSPORTER = "bonded_transporter"
    AIR_CARRIER = "air_carrier"
    GROUND_HANDLER = "ground_handler"


class Answer(StrEnum):
    """A self-test answer to one baseline requirement."""

    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "na"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique_types(value: list[OperatorType]) -> list[OperatorType]:
    if len(set(value)) != len(value):
        raise ValueError("an operator type is listed twice")
    return value


UniqueTypes = Annotated[list[OperatorType], AfterValidator(_unique_types)]


class Source(_Strict):
    """A public document the catalogue cites."""

    id: Id
    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")


class Ref(_Strict):
    """A citation: a source id and where in it (article, section, page)."""

    source: Id
    locator: str = ""


class Provision(_Strict):
    """A piece of programme text that is explained, not scored (MSME relief, review cycle)."""

    text: str = Field(min_length=3)
    reference: Ref


class Requirement(_Strict):
    """One baseline requirement: what every programme's criteria are mapped onto."""

    id: Id
    group: Id
    title: str = Field(min_length=3)
    practice: str = Field(min_length=10, description="what it means in practice")
    evidence: list[str] = Field(min_length=1, description="what usually shows it is met")
    na_allowed: bool = Field(
        default=False, description="whether an operator may answer 'not applicable'"
    )
    reference: list[Ref] = Field(min_length=1)


class RequirementGroup(_Strict):
    id: Id
    title: str


class Baseline(_Strict):
    id: Literal["baseline"]
    title: str
    version: date
    sources: list[Source] = Field(min_length=1)
    groups: list[RequirementGroup] = Field(min_length=1)
    requirements: list[Requirement] = Field(min_length=1)


class Group(_Strict):
    """A criteria group of a programme; each gets a score in the self-test.

    ``percent``: weighted share of the group's applicable criteria met (partly met counts half).
    ``deduction``: a base of 100, minus ``deduct_partly`` / ``deduct_not_met`` per criterion,
    plus ``bonus`` per bonus criterion met (China's 2014 rules).
    ``measured``: customs measures this score itself (e.g. Korea's legal-compliance rating);
    the self-test estimates it from answers unless the operator enters the measured value.
    """

    id: Id
    title: str
    scoring: Literal["percent", "deduction"] = "percent"
    deduct_partly: float = Field(default=1, ge=0, le=100)
    deduct_not_met: float = Field(default=2, ge=0, le=100)
    bonus: float = Field(default=2, ge=0, le=100)
    measured: bool = False
    reference: Ref | None = None


class Criterion(_Strict):
    """A programme criterion, mapped onto one or more baseline requirements."""

    id: Id
    group: Id
    title: str = Field(min_length=3)
    text: str = Field(min_length=10)
    level: Literal["must", "should"] = "must"
    weight: float = Field(default=1, gt=0, le=10)
    bonus: bool = False
    operator_types: UniqueTypes = Field(
        default_factory=list, description="empty: applies to every operator type"
    )
    maps_to: list[Id] = Field(min_length=1)
    reference: Ref


class Selector(_Strict):
    """Which criteria a gate looks at; every given filter must hold (empty selects all)."""

    ids: list[Id] = Field(default_factory=list)
    groups: list[Id] = Field(default_factory=list)
    level: Literal["must", "should"] | None = None

    def matches(self, criterion: Criterion) -> bool:
        return (
            (not self.ids or criterion.id in self.ids)
            and (not self.groups or criterion.group in self.groups)
            and (self.level is None or criterion.level == self.level)
        )


class Gate(_Strict):
    """One condition of a tier. Exactly one form:

    - ``score: GROUP`` with ``min``: the group's score is at least ``min``;
    - ``criteria: SELECTOR`` (``at_least: met|partly``): every selected applicable criterion is
      met (or at least partly met);
    - ``share: SELECTOR`` with ``min``: at least ``min`` percent of the selected applicable
      criteria are met.
    """

    score: Id | None = None
    criteria: Selector | None = None
    share: Selector | None = None
    min: float | None = None
    at_least: Literal["met", "partly"] = "met"
    note: str = ""
    reference: Ref

    @model_validator(mode="after")
    def _one_form(self) -> Gate:
        forms = [f for f in ("score", "criteria", "share") if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("a gate has exactly one of 'score', 'criteria' or 'share'")
        if forms[0] in ("score", "share") and self.min is None:
            raise ValueError(f"a '{forms[0]}' gate needs 'min'")
        if forms[0] == "criteria" and self.min is not None:
            raise ValueError("a 'criteria' gate takes no 'min'")
        if forms[0] == "share" and not 0 <= (self.min or 0) <= 100:
            raise ValueError("a share is a percentage between 0 and 100")
        return self


class Money(_Strict):
    """An amount in a currency (ISO 4217 code), as a programme's threshold states it."""

    amount: float = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,.0f}"


class Eligibility(_Strict):
    """Conditions on the operator itself, checked before any criterion. Thresholds in money
    (turnover, paid-up capital: the barriers small companies meet) are compared with what
    the operator states in the same currency; Greenlane converts no currency."""

    min_years_in_business: int | None = Field(default=None, ge=0, le=50)
    min_declarations_per_year: int | None = Field(default=None, ge=0, le=1_000_000)
    compliance_lookback_years: int | None = Field(
        default=None, ge=0, le=20, description="no serious infringement in this many years"
    )
    no_arrears: bool = False
    min_annual_turnover: Money | None = None
    min_paid_up_capital: Money | None = None
    operator_types: UniqueTypes = Field(
        default_factory=list, description="empty: any operator type may apply"
    )
    reference: Ref

    def merged(self, override: Eligibility | None) -> Eligibility:
        """This eligibility with the fields ``override`` sets explicitly replaced."""
        if override is None:
            return self
        return self.model_copy(update={k: getattr(override, k) for k in override.model_fields_set})


class Msme(_Strict):
    """What changes for micro, small and medium-sized operators."""

    eligibility: Eligibility | None = None
    provisions: list[Provision] = Field(default_factory=list)


MonthDay = Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]


class SelfReviewRule(_Strict):
    """When a certified operator must review itself (e.g. Korea's annual self-assessment).

    Either every ``every_months`` from the certificate's start: due on the anniversary, or,
    with ``due_day_of_next_month``, on that day of the month after the anniversary month;
    ``opens_days_before`` is how early it may be handed in (CTPAT: 90 days). Or in a fixed
    calendar window each year, ``window_opens`` to ``window_due`` ("MM-DD"; India's AEO-T1
    self-declaration: 1 October to 31 December), from the first window that opens after the
    certificate's start. ``tiers``: the tiers it applies to (empty: every tier).
    """

    every_months: int | None = Field(default=None, ge=1, le=60)
    due_day_of_next_month: int | None = Field(default=None, ge=1, le=28)
    opens_days_before: int = Field(default=60, ge=0, le=365)
    window_opens: MonthDay | None = None
    window_due: MonthDay | None = None
    tiers: list[Id] = Field(default_factory=list)
    reference: Ref

    @model_validator(mode="after")
    def _one_form(self) -> SelfReviewRule:
        window = self.window_opens is not None or self.window_due is not None
        if window and (self.window_opens is None or self.window_due is None):
            raise ValueError("a calendar window needs both 'window_opens' and 'window_due'")
        if window == (self.every_months is not None):
            raise ValueError("a self-review has either 'every_months' or a calendar window")
        if window and self.due_day_of_next_month is not None:
            raise ValueError("'due_day_of_next_month' belongs to 'every_months'")
        if window:
            for value in (self.window_opens, self.window_due):
                month, day = (int(x) for x in str(value).split("-"))
                date(2024, month, day)  # a leap year: 02-29 is a real day
            if str(self.window_due) < str(self.window_opens):
                raise ValueError("the window closes before it opens (it cannot cross a year end)")
        return self

    def applies_to(self, tier: str) -> bool:
        return not self.tiers or tier in self.tiers


class Tier(_Strict):
    """A tier, grade or authorisation type; tiers are listed from the lowest to the highest."""

    id: Id
    title: str
    gates: list[Gate] = Field(default_factory=list)
    eligibility: Eligibility | None = None
    procedure: list[str] = Field(
        default_factory=list, description="steps a self-test cannot show, e.g. on-site validation"
    )
    validity_years: int | None = Field(
        default=None, ge=1, le=20, description="empty: not stated, or no expiry (see no_expiry)"
    )
    no_expiry: bool = Field(
        default=False, description="the status does not expire (e.g. EU: UCC Art. 22(5))"
    )
    reference: Ref

    @model_validator(mode="after")
    def _one_term(self) -> Tier:
        if self.no_expiry and self.validity_years is not None:
            raise ValueError("a tier has 'validity_years' or 'no_expiry', not both")
        return self


class Version(_Strict):
    """A dated version of a programme's rules; ``valid_to`` is inclusive, empty = open-ended."""

    version: str = Field(min_length=1, max_length=40)
    aliases: list[str] = Field(
        default_factory=list,
        description="former names of this version: records made under them still find it",
    )
    valid_from: date
    valid_to: date | None = None
    coverage: Literal["complete", "partial"]
    missing: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    eligibility: Eligibility
    msme: Msme | None = None
    tiers: list[Tier] = Field(min_length=1)
    follow_up: list[Provision] = Field(default_factory=list)
    self_review: SelfReviewRule | None = None

    @model_validator(mode="after")
    def _dates_and_coverage(self) -> Version:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if self.coverage == "partial" and not self.missing:
            raise ValueError("a partial version must say what is 'missing'")
        return self

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Programme(_Strict):
    id: Id
    title: str
    authority: str
    jurisdiction: str = Field(description="ISO 3166 code, 'EU' or 'international'")
    kind: Literal["framework", "national", "regional"]
    versions: list[Version] = Field(min_length=1)

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        if value != "international" and not (len(value) == 2 and value.isupper()):
            raise ValueError("a two-letter code in capitals, or 'international'")
        return value

    def version_named(self, name: str) -> Version | None:
        """The version called ``name``, or formerly called so (``aliases``)."""
        return next((v for v in self.versions if name == v.version or name in v.aliases), None)

    def version_on(self, day: date) -> Version | None:
        """The version in force on ``day`` (versions never overlap: the loader checks)."""
        return next((v for v in self.versions if v.in_force(day)), None)
