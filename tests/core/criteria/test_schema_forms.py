"""The catalogue forms that say when a status ends and when an operator reviews itself:
tiers without expiry, self-reviews in a calendar window or by anniversary, former names of
a version. A file that misuses them does not load, and says why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenlane.core.criteria.engine import Profile, Profiles, _eligible, _ineligible, assess
from greenlane.core.criteria.loader import CatalogueError, check
from greenlane.core.criteria.schema import Eligibility, Money, Ref

from .helpers import catalogue_of
from .test_loader import GOOD, SECOND_VERSION

TIER = "        reference: {source: law}\n"  # the last line of the 2020 version's tier
REVIEW = "    self_review: {%s, reference: {source: law}}\n"


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    (programme,) = check([path])
    return programme


def _refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError) as caught:
        check([path])
    return str(caught.value)


def _with_review(form: str) -> str:
    first, second = GOOD.split(TIER, 1)[0], SECOND_VERSION
    return first + TIER + REVIEW % form + second


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ("every_months: 12, window_opens: '10-01', window_due: '12-31'", "either"),
        ("window_opens: '10-01'", "needs both"),
        ("opens_days_before: 30", "either 'every_months' or a calendar window"),
        ("window_opens: '12-01', window_due: '01-31'", "cannot cross a year end"),
        ("window_opens: '02-30', window_due: '03-31'", "day is out of range"),
        ("window_opens: '13-01', window_due: '12-31'", "should match pattern"),
        ("window_opens: '10-01', window_due: '12-31', due_day_of_next_month: 15", "belongs to"),
        ("every_months: 12, tiers: [T9]", "unknown tier 'T9'"),
    ],
)
def test_a_self_review_rule_has_one_form(tmp_path: Path, form: str, reason: str) -> None:
    assert reason in _refused(tmp_path, GOOD.split(TIER, 1)[0] + TIER + REVIEW % form)


def test_a_calendar_window_for_one_tier_loads(tmp_path: Path) -> None:
    programme = _load(
        tmp_path, _with_review("window_opens: '10-01', window_due: '12-31', tiers: [T1]")
    )
    rule = programme.versions[0].self_review  # type: ignore[attr-defined]
    assert (rule.window_opens, rule.window_due, rule.applies_to("T1"), rule.applies_to("T2")) == (
        "10-01", "12-31", True, False,
    )  # fmt: skip


def test_a_tier_cannot_both_expire_and_not_expire(tmp_path: Path) -> None:
    text = GOOD.replace(TIER, "        validity_years: 3\n        no_expiry: true\n" + TIER)
    assert "'validity_years' or 'no_expiry', not both" in _refused(tmp_path, text)


def test_a_tier_without_expiry_says_so_in_the_readiness(tmp_path: Path) -> None:
    text = GOOD.replace("    valid_to: 2023-12-31\n", "").replace(
        TIER, "        no_expiry: true\n" + TIER
    )
    catalogue = catalogue_of(tmp_path, extra={"demo.yaml": text})
    answers = {r.id: "met" for r in catalogue.baseline.requirements}
    (tier,) = (
        assess(catalogue, answers, Profile(years_in_business=5), date(2026, 1, 1), ["demo"])
        .programme("demo")
        .tiers
    )
    assert (tier.no_expiry, tier.validity_years) == (True, None)


def test_a_version_is_found_by_a_former_name(tmp_path: Path) -> None:
    text = GOOD.replace('  - version: "2020"\n', '  - version: "2020"\n    aliases: [current]\n')
    programme = _load(tmp_path, text + SECOND_VERSION)
    assert programme.version_named("current").version == "2020"  # type: ignore[attr-defined]
    assert programme.version_named("2024").version == "2024"  # type: ignore[attr-defined]
    assert programme.version_named("1999") is None  # type: ignore[attr-defined]


def test_a_former_name_cannot_be_another_versions_name(tmp_path: Path) -> None:
    text = GOOD.replace('  - version: "2020"\n', '  - version: "2020"\n    aliases: ["2024"]\n')
    assert "duplicate version name id '2024'" in _refused(tmp_path, text + SECOND_VERSION)


# --- money thresholds: the barriers small companies meet (turnover, paid-up capital) -------

MONEY = st.builds(Money, amount=st.floats(1, 1e11), currency=st.sampled_from(["USD", "THB", "VND"]))


@given(
    turnover=st.none() | MONEY,
    capital=st.none() | MONEY,
    stated_turnover=st.none() | st.floats(0, 1e12),
    stated_capital=st.none() | st.floats(0, 1e12),
    currency=st.none() | st.sampled_from(["USD", "THB", "VND"]),
)
def test_money_eligibility_refuses_exactly_when_it_explains_why(
    turnover: Money | None,
    capital: Money | None,
    stated_turnover: float | None,
    stated_capital: float | None,
    currency: str | None,
) -> None:
    rule = Eligibility(
        min_annual_turnover=turnover, min_paid_up_capital=capital, reference=Ref(source="law")
    )
    profile = Profile(
        annual_turnover=stated_turnover, paid_up_capital=stated_capital, currency=currency
    )
    eligible = bool(_eligible(rule, Profiles.of([profile]))[0])
    reasons = _ineligible(rule, profile)
    assert eligible == (not reasons), reasons
    expected = all(
        t is None or (s is not None and currency == t.currency and s >= t.amount)
        for t, s in ((turnover, stated_turnover), (capital, stated_capital))
    )
    assert eligible == expected


@pytest.mark.parametrize(
    ("stated", "currency", "reason"),
    [
        (None, None, "annual turnover of at least USD 100,000,000 needed, not stated"),
        (
            2e8,
            "VND",
            "USD 100,000,000 needed; state it in USD (stated in VND, which is not converted)",
        ),
        (5e7, "USD", "annual turnover of at least USD 100,000,000 needed, USD 50,000,000 stated"),
    ],
)
def test_a_turnover_threshold_names_the_amount_the_currency_and_what_was_stated(
    tmp_path: Path, stated: float | None, currency: str | None, reason: str
) -> None:
    text = GOOD.replace(
        "      min_years_in_business: 3\n",
        "      min_years_in_business: 3\n"
        "      min_annual_turnover: {amount: 100000000, currency: USD}\n",
    )
    catalogue = catalogue_of(tmp_path, extra={"demo.yaml": text})
    answers = {r.id: "met" for r in catalogue.baseline.requirements}
    profile = Profile(years_in_business=5, annual_turnover=stated, currency=currency)
    (tier,) = (
        assess(catalogue, answers, profile, date(2021, 1, 1), ["demo"]).programme("demo").tiers
    )
    assert len(tier.eligibility) == 1
    assert reason in tier.eligibility[0]
    assert not tier.reachable
    rich = Profile(years_in_business=5, annual_turnover=1e8, currency="USD")
    (tier,) = assess(catalogue, answers, rich, date(2021, 1, 1), ["demo"]).programme("demo").tiers
    assert tier.reachable


@pytest.mark.parametrize("bad", ["{amount: 0, currency: USD}", "{amount: 5, currency: usd}"])
def test_a_money_threshold_is_a_positive_amount_in_an_iso_currency(
    tmp_path: Path, bad: str
) -> None:
    text = GOOD.replace(
        "      min_years_in_business: 3\n",
        f"      min_years_in_business: 3\n      min_paid_up_capital: {bad}\n",
    )
    assert "min_paid_up_capital" in _refused(tmp_path, text)
