"""The lifecycle tables and the service-standard clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from greenlane.core.certification import lifecycle
from greenlane.core.certification.lifecycle import (
    APPLICATION,
    CERTIFICATE,
    Actor,
    NotAllowed,
    Stage,
)

T0 = datetime(2026, 1, 5, 9, 0)


def test_a_decision_is_only_possible_while_awaiting_it_and_only_for_a_decider() -> None:
    deciders = frozenset({Actor.DECIDER})
    assert lifecycle.check(APPLICATION, "approve", Stage.AWAITING_DECISION, deciders).target == (
        Stage.APPROVED
    )
    with pytest.raises(NotAllowed, match="not possible while the documents are under review"):
        lifecycle.check(APPLICATION, "approve", Stage.DOCUMENT_REVIEW, deciders)
    with pytest.raises(NotAllowed, match="is for the decider"):
        lifecycle.check(
            APPLICATION, "approve", Stage.AWAITING_DECISION, frozenset({Actor.VALIDATOR})
        )


def test_closed_applications_accept_no_transition() -> None:
    everyone = frozenset(Actor)
    for stage in (Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN):
        assert lifecycle.available(APPLICATION, stage, everyone) == []


def test_a_revoked_or_surrendered_certificate_is_final() -> None:
    everyone = frozenset(Actor)
    assert lifecycle.available(CERTIFICATE, "revoked", everyone) == []
    assert lifecycle.available(CERTIFICATE, "surrendered", everyone) == []
    names = {t.name for t in lifecycle.available(CERTIFICATE, "suspended", everyone)}
    assert names == {"reinstate", "revoke", "surrender"}


def test_the_clock_stops_while_information_is_requested() -> None:
    changes = [
        (T0, Stage.SUBMITTED),
        (T0 + timedelta(days=2), Stage.DOCUMENT_REVIEW),
        (T0 + timedelta(days=10), Stage.INFORMATION_REQUESTED),
        (T0 + timedelta(days=40), Stage.DOCUMENT_REVIEW),
        (T0 + timedelta(days=45), Stage.AWAITING_DECISION),
    ]
    assert lifecycle.service_days(changes, T0 + timedelta(days=50)) == pytest.approx(20)
    decided = [*changes, (T0 + timedelta(days=55), Stage.APPROVED)]
    assert lifecycle.service_days(decided, T0 + timedelta(days=400)) == pytest.approx(25)


def test_a_certificate_valid_for_five_years_ends_the_day_before_the_anniversary() -> None:
    assert lifecycle.validity_end(date(2026, 3, 1), 5) == date(2031, 2, 28)
    assert lifecycle.validity_end(date(2024, 2, 29), 3) == date(2027, 2, 27)
    assert lifecycle.validity_end(date(2026, 3, 1), None) is None


def test_korea_reviews_are_due_on_the_15th_of_the_month_after_each_anniversary() -> None:
    schedule = lifecycle.review_schedule(date(2026, 1, 31), date(2031, 1, 30), 12, 15, 60)
    assert [due for _, due in schedule] == [date(2027 + k, 2, 15) for k in range(4)]
    assert schedule[0][0] == date(2027, 1, 31) - timedelta(days=60)


def test_an_annual_review_on_the_anniversary_with_a_90_day_window() -> None:
    (first, *_rest) = lifecycle.review_schedule(date(2024, 2, 29), None, 12, None, 90)
    assert first == (date(2025, 2, 28) - timedelta(days=90), date(2025, 2, 28))
    assert len(lifecycle.review_schedule(date(2024, 2, 29), None, 12, None, 90)) == 3
