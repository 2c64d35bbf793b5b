"""The AEO application and certificate lifecycles as explicit state machines.

Every transition names the stages it may start from, the stage it leads to and the kind of
actor who may take it. The workflow shell (``greenlane.apps.certification``) checks a
transition here, then applies it with a conditional UPDATE so that two officers acting at once
cannot both succeed. Stages follow the WCO validator workflow: document review, on-site
validation, report, decision (by an officer who is not the validator), then follow-up.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from greenlane.core import errors
from greenlane.core.words import Words, _


class Stage(StrEnum):
    SUBMITTED = "submitted"
    DOCUMENT_REVIEW = "document_review"
    INFORMATION_REQUESTED = "information_requested"
    SITE_VALIDATION = "site_validation"
    AWAITING_DECISION = "awaiting_decision"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Actor(StrEnum):
    """Who takes a transition; the shell maps people onto these."""

    OPERATOR = "operator"  # the applicant's trader or consultant
    SUPERVISOR = "supervisor"  # assigns validators (decision officers, administrators)
    VALIDATOR = "validator"  # the validator assigned to the application
    DECIDER = "decider"  # a decision officer who is not the assigned validator


OPEN_STAGES = frozenset(
    {
        Stage.SUBMITTED,
        Stage.DOCUMENT_REVIEW,
        Stage.INFORMATION_REQUESTED,
        Stage.SITE_VALIDATION,
        Stage.AWAITING_DECISION,
    }
)
#: The clock of the service standard stops while the operator is asked for information.
CLOCK_STOPPED = frozenset({Stage.INFORMATION_REQUESTED})

RESUME = "resume"  # target: the stage the application was in before information was requested


@dataclass(frozen=True)
class Transition:
    name: str
    label: Words  # the step's name on a button, translated where it is shown
    sources: frozenset[str]
    target: str
    actor: Actor


def _t(name: str, label: Words, sources: Iterable[str], target: str, actor: Actor) -> Transition:
    return Transition(name, label, frozenset(sources), target, actor)


APPLICATION: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("assign", _("Assign a validator"), {Stage.SUBMITTED, Stage.DOCUMENT_REVIEW,
           Stage.SITE_VALIDATION, Stage.INFORMATION_REQUESTED}, Stage.DOCUMENT_REVIEW,
           Actor.SUPERVISOR),
        _t("request_information", _("Request information"), {Stage.DOCUMENT_REVIEW,
           Stage.SITE_VALIDATION}, Stage.INFORMATION_REQUESTED, Actor.VALIDATOR),
        _t("provide_information", _("Answer the request"), {Stage.INFORMATION_REQUESTED}, RESUME,
           Actor.OPERATOR),
        _t("plan_site_visit", _("Plan the on-site validation"), {Stage.DOCUMENT_REVIEW},
           Stage.SITE_VALIDATION, Actor.VALIDATOR),
        _t("recommend", _("Send to decision"), {Stage.DOCUMENT_REVIEW, Stage.SITE_VALIDATION},
           Stage.AWAITING_DECISION, Actor.VALIDATOR),
        _t("return_to_validator", _("Return to the validator"), {Stage.AWAITING_DECISION},
           Stage.DOCUMENT_REVIEW, Actor.DECIDER),
        _t("approve", _("Approve and issue the certificate"), {Stage.AWAITING_DECISION},
           Stage.APPROVED, Actor.DECIDER),
        _t("reject", _("Reject"), {Stage.AWAITING_DECISION}, Stage.REJECTED, Actor.DECIDER),
        _t("withdraw", _("Withdraw the application"), OPEN_STAGES - {Stage.AWAITING_DECISION},
           Stage.WITHDRAWN, Actor.OPERATOR),
    )
}  # fmt: skip


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SURRENDERED = "surrendered"
    SUPERSEDED = "superseded"  # replaced by the certificate of a renewal or reassessment


CERTIFICATE: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("suspend", _("Suspend"), {CertificateStatus.ACTIVE}, CertificateStatus.SUSPENDED,
           Actor.DECIDER),
        _t("reinstate", _("Reinstate"), {CertificateStatus.SUSPENDED}, CertificateStatus.ACTIVE,
           Actor.DECIDER),
        _t("revoke", _("Revoke"), {CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED},
           CertificateStatus.REVOKED, Actor.DECIDER),
        _t("surrender", _("Surrender voluntarily"), {CertificateStatus.ACTIVE,
           CertificateStatus.SUSPENDED}, CertificateStatus.SURRENDERED, Actor.OPERATOR),
    )
}  # fmt: skip


class NotAllowed(errors.NotAllowed):
    """A transition that cannot be taken now; the message says why (HTTP 409). Like the
    certification services' ``Refused`` it names a field, "" when none: the API's answers
    about certification have always carried ``field``.

    ``words`` is the reason as :class:`~greenlane.core.words.Words` (translated where it is
    shown, ``apps.wording.translated``), or the text a caller gave (already in the reader's
    language); ``str()`` of the refusal is the English sentence."""

    field: str
    words: Words | str

    def __init__(self, message: Words | str, field: str = "") -> None:
        super().__init__(message, field)


def check(
    table: dict[str, Transition], name: str, current: str, actors: frozenset[Actor]
) -> Transition:
    """The transition ``name`` if ``actors`` may take it from ``current``; else NotAllowed."""
    transition = table.get(name)
    if transition is None:
        raise NotAllowed(_("there is no transition '%(name)s'", name=name))
    if current not in transition.sources:
        raise NotAllowed(_not_while(transition.label, current))
    if transition.actor not in actors:
        raise NotAllowed(_not_yours(transition.label, transition.actor))
    return transition


def available(
    table: dict[str, Transition], current: str, actors: frozenset[Actor]
) -> list[Transition]:
    return [t for t in table.values() if current in t.sources and t.actor in actors]


def _not_while(step: Words, stage: str) -> Words:
    """Why ``step`` cannot be taken in ``stage``: one whole sentence per stage."""
    if stage == Stage.SUBMITTED:
        return _("'%(step)s' is not possible while the application waits for a validator",
                 step=step)  # fmt: skip
    if stage == Stage.DOCUMENT_REVIEW:
        return _("'%(step)s' is not possible while the documents are under review", step=step)
    if stage == Stage.INFORMATION_REQUESTED:
        return _("'%(step)s' is not possible while information is requested from the operator",
                 step=step)  # fmt: skip
    if stage == Stage.SITE_VALIDATION:
        return _("'%(step)s' is not possible while the on-site validation is under way",
                 step=step)  # fmt: skip
    if stage == Stage.AWAITING_DECISION:
        return _("'%(step)s' is not possible while the application waits for a decision",
                 step=step)  # fmt: skip
    if stage == Stage.APPROVED:
        return _("'%(step)s' is not possible while the application is approved", step=step)
    if stage == Stage.REJECTED:
        return _("'%(step)s' is not possible while the application is rejected", step=step)
    if stage == Stage.WITHDRAWN:
        return _("'%(step)s' is not possible while the application is withdrawn", step=step)
    if stage == CertificateStatus.ACTIVE:
        return _("'%(step)s' is not possible while the certificate is active", step=step)
    if stage == CertificateStatus.SUSPENDED:
        return _("'%(step)s' is not possible while the certificate is suspended", step=step)
    if stage == CertificateStatus.REVOKED:
        return _("'%(step)s' is not possible while the certificate is revoked", step=step)
    if stage == CertificateStatus.SURRENDERED:
        return _("'%(step)s' is not possible while the certificate is surrendered", step=step)
    if stage == CertificateStatus.SUPERSEDED:
        return _("'%(step)s' is not possible while the certificate has been replaced by a "
                 "newer one", step=step)  # fmt: skip
    return _("'%(step)s' is not possible while in state '%(state)s'", step=step, state=stage)


def _not_yours(step: Words, actor: Actor) -> Words:
    """Why ``step`` is not for the person: it is for ``actor``."""
    if actor == Actor.OPERATOR:
        return _("'%(step)s' is for the operator, not for you", step=step)
    if actor == Actor.SUPERVISOR:
        return _("'%(step)s' is for the supervisor, not for you", step=step)
    if actor == Actor.VALIDATOR:
        return _("'%(step)s' is for the validator, not for you", step=step)
    return _("'%(step)s' is for the decider, not for you", step=step)


def service_days(changes: Iterable[tuple[datetime, str]], until: datetime) -> float:
    """Days counted against the service standard: from submission to ``until`` (or the end of
    the procedure), without the time spent waiting for the operator's information.

    ``changes`` are (moment, stage entered) in time order, the first being the submission.
    """
    total = 0.0
    previous: tuple[datetime, str] | None = None
    for moment, stage in changes:
        if previous is not None and previous[1] not in CLOCK_STOPPED:
            total += (moment - previous[0]).total_seconds()
        previous = (moment, stage)
        if stage not in OPEN_STAGES:
            return total / 86400
    if previous is not None and previous[1] not in CLOCK_STOPPED:
        total += (until - previous[0]).total_seconds()
    return total / 86400


def validity_end(start: date, years: int | None) -> date | None:
    """The last day of a certificate valid for ``years`` from ``start`` (None: no fixed term)."""
    if years is None:
        return None
    return add_months(start, 12 * years) - timedelta(days=1)


def stage_days(changes: Iterable[tuple[datetime, str]], until: datetime) -> dict[str, float]:
    """Days spent in each stage, from (moment, stage entered) pairs in time order; the last
    stage runs until ``until`` if it is still open."""
    spent: dict[str, float] = {}
    ordered = list(changes)
    for (start, stage), (end, _next) in zip(ordered, [*ordered[1:], (until, "")], strict=True):
        if stage not in OPEN_STAGES:
            break
        spent[stage] = spent.get(stage, 0.0) + (end - start).total_seconds() / 86400
    return spent


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_schedule(
    start: date,
    end: date | None,
    window_opens: str,
    window_due: str,
    open_ended_count: int = 3,
) -> list[tuple[date, date]]:
    """(opens on, due on) of each yearly self-review held in a fixed calendar window
    ("MM-DD" to "MM-DD", India's AEO-T1: 10-01 to 12-31) of a certificate valid from
    ``start`` to ``end``: every window that opens after the start and closes by the end (the
    first ``open_ended_count`` when the certificate has no fixed term). 29 February falls
    back to the 28th in other years."""

    def on(year: int, month_day: str) -> date:
        month, day = (int(x) for x in month_day.split("-"))
        return date(year, month, min(day, calendar.monthrange(year, month)[1]))

    out: list[tuple[date, date]] = []
    year = start.year
    while end is None or year <= end.year:
        opens, due = on(year, window_opens), on(year, window_due)
        if opens > start and (end is None or due <= end):
            out.append((opens, due))
            if end is None and len(out) == open_ended_count:
                break
        year += 1
    return out


def review_schedule(
    start: date,
    end: date | None,
    every_months: int,
    due_day_of_next_month: int | None = None,
    opens_days_before: int = 60,
    open_ended_count: int = 3,
) -> list[tuple[date, date]]:
    """(opens on, due on) of each periodic self-review of a certificate valid from ``start``
    to ``end``: one per ``every_months`` anniversary before the end (the first
    ``open_ended_count`` when the certificate has no fixed term). With
    ``due_day_of_next_month`` the review is due on that day of the month after the
    anniversary month (Korea: the 15th); otherwise on the anniversary itself."""
    out: list[tuple[date, date]] = []
    k = 1
    while True:
        anniversary = add_months(start, every_months * k)
        if (end is not None and anniversary > end) or (end is None and k > open_ended_count):
            return out
        if due_day_of_next_month is not None:
            following = add_months(anniversary.replace(day=1), 1)
            due = following.replace(day=due_day_of_next_month)
        else:
            due = anniversary
        out.append((date.fromordinal(anniversary.toordinal() - opens_days_before), due))
        k += 1
