"""The lifecycle tables and the service-standard clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenlane.core.certification import lifecycle
from greenlane.core.certification.lifecycle import (
    APPLICATION,
    CERTIFICATE,
    Actor,
    NotAllowed,
    Stage,
)
from greenlane.core.words import Words

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


# --- self-reviews in a fixed calendar window (India's AEO-T1: 1 October to 31 December) ----


def test_a_window_review_starts_with_the_first_window_after_the_start_and_ends_with_the_term() -> (
    None
):
    schedule = lifecycle.window_schedule(date(2025, 11, 15), date(2030, 11, 14), "10-01", "12-31")
    assert schedule == [(date(y, 10, 1), date(y, 12, 31)) for y in range(2026, 2030)]


def test_a_certificate_granted_before_the_window_opens_reviews_the_same_year() -> None:
    (first, *_rest) = lifecycle.window_schedule(date(2025, 9, 30), None, "10-01", "12-31")
    assert first == (date(2025, 10, 1), date(2025, 12, 31))
    assert len(lifecycle.window_schedule(date(2025, 9, 30), None, "10-01", "12-31")) == 3


def test_a_window_on_29_february_closes_on_the_28th_in_other_years() -> None:
    schedule = lifecycle.window_schedule(date(2023, 1, 1), date(2024, 12, 31), "02-01", "02-29")
    assert schedule == [
        (date(2023, 2, 1), date(2023, 2, 28)),
        (date(2024, 2, 1), date(2024, 2, 29)),
    ]


def _day(year: int, month_day: str) -> date:
    month, day = (int(x) for x in month_day.split("-"))
    return date(year, month, day) if (month, day) != (2, 29) or year % 4 == 0 else date(year, 2, 28)


@given(
    start=st.dates(date(2000, 1, 1), date(2090, 12, 31)),
    years=st.one_of(st.none(), st.integers(1, 10)),
    opens=st.dates(date(2024, 1, 1), date(2024, 12, 31)),
    length=st.integers(0, 120),
)
def test_window_reviews_are_every_window_inside_the_term_after_the_start(
    start: date, years: int | None, opens: date, length: int
) -> None:
    window = f"{opens:%m-%d}", f"{min(opens + timedelta(days=length), date(2024, 12, 31)):%m-%d}"
    end = lifecycle.validity_end(start, years)
    schedule = lifecycle.window_schedule(start, end, *window)
    last = end.year if end is not None else start.year + 3
    expected = []
    for y in range(start.year, last + 1):
        o, d = _day(y, window[0]), _day(y, window[1])
        if o > start and (end is None or d <= end):
            expected.append((o, d))
    assert schedule == (expected if end is not None else expected[:3])


def test_a_refusal_says_why_in_words_translated_where_shown() -> None:
    with pytest.raises(NotAllowed) as caught:
        lifecycle.check(APPLICATION, "approve", Stage.DOCUMENT_REVIEW, frozenset({Actor.DECIDER}))
    words = caught.value.words
    assert isinstance(words, Words)
    assert words.message == "'%(step)s' is not possible while the documents are under review"
    assert words.params["step"] == APPLICATION["approve"].label  # words inside words
    assert str(caught.value) == str(words)  # the English sentence, as the CLI says it
    with pytest.raises(NotAllowed) as caught:
        lifecycle.check(CERTIFICATE, "surrender", "active", frozenset({Actor.DECIDER}))
    assert caught.value.words == Words(
        "'%(step)s' is for the operator, not for you",
        {"step": CERTIFICATE["surrender"].label},
    )
    assert str(caught.value) == "'Surrender voluntarily' is for the operator, not for you"
    with pytest.raises(NotAllowed) as caught:
        lifecycle.check(CERTIFICATE, "fly", "active", frozenset({Actor.DECIDER}))
    assert str(caught.value) == "there is no transition 'fly'"


def test_a_refusal_given_as_text_keeps_it() -> None:
    refused = NotAllowed("déjà fait", "tier")
    assert (str(refused), refused.words, refused.field) == ("déjà fait", "déjà fait", "tier")
