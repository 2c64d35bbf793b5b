from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.risk.selectivity import Day, Policy, PolicyError, Used, assign, certified_on
from greenlane.core.words import _

from .selectivity_before import assign_before


@st.composite
def office_days(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(1, 120))
    rate = draw(st.sampled_from([0.0, 0.01, 0.05, 0.1]))
    capacity = draw(st.integers(math.ceil(rate * n), n + 5))
    forced = draw(
        st.lists(
            st.sampled_from([None, None, None, None, "red", "green", "yellow"]),
            min_size=n,
            max_size=n,
        )
    )
    return {
        "policy": Policy(
            office="O1",
            capacity=capacity,
            documentary_capacity=draw(st.integers(0, n)),
            expected_daily=n,
            min_random_rate=rate,
            exploration_share=draw(st.sampled_from([0.0, 0.1, 0.5])),
            aeo_reduction=draw(st.sampled_from([0.0, 0.2, 0.5])),
            partner_reduction=draw(st.sampled_from([0.0, 0.1, 0.3])),
            red_threshold=draw(st.sampled_from([0.0, 0.3])),
            blue_revenue=draw(st.sampled_from([None, 500.0])),
        ),
        "probability": np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))),
        "revenue": np.array(draw(st.lists(st.floats(0, 1000), min_size=n, max_size=n))),
        "aeo": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
        "partner": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
        "forced": forced,
        "shift": np.array(
            draw(st.lists(st.sampled_from([0.0, 0.0, 0.1, -0.1]), min_size=n, max_size=n))
        ),
        "seed": draw(st.integers(0, 2**16)),
    }


def _day(case: dict[str, object]) -> Day:
    forced = case["forced"]
    return Day(
        case["probability"], case["revenue"], case["aeo"], forced,  # type: ignore[arg-type]
        [_("rule") if f else None for f in forced], case["shift"],  # type: ignore[union-attr,arg-type]
        partner_valid=case["partner"],  # type: ignore[arg-type]
    )  # fmt: skip


def _assign(case: dict[str, object]):  # type: ignore[no-untyped-def]
    return assign(case["policy"], _day(case), rng=np.random.default_rng(case["seed"]))  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(case=office_days())
def test_capacity_random_rate_rules_and_aeo_benefit(case: dict[str, object]) -> None:
    policy: Policy = case["policy"]  # type: ignore[assignment]
    policy.validate()
    decision = _assign(case)
    forced: list[object] = case["forced"]  # type: ignore[assignment]
    n = len(forced)
    forced_red = sum(f == "red" for f in forced)
    red = decision.channel.count("red")
    # Capacity never exceeded, except by what hard rules alone force.
    assert red <= max(policy.capacity, forced_red)
    assert decision.channel.count("yellow") <= policy.documentary_capacity + sum(
        f == "yellow" for f in forced
    )
    # Hard rules always win.
    for got, want in zip(decision.channel, forced, strict=True):
        if want is not None:
            assert got == want
    # The random quota is met whenever the capacity left by the hard rules allows it.
    free = sum(f is None for f in forced)
    quota = min(math.ceil(policy.min_random_rate * n), max(policy.capacity - forced_red, 0), free)
    assert decision.random is not None
    assert int(decision.random.sum()) == quota
    assert all(decision.channel[i] == "red" for i in np.flatnonzero(decision.random))
    # The AEO reduction applies to certificate holders only, the MRA reduction to partner
    # AEOs' goods only, and when both hold the larger one applies once.
    aeo, partner = case["aeo"], case["partner"]
    cut = np.where(aeo, policy.aeo_reduction, 0.0)
    cut = np.maximum(cut, np.where(partner, policy.partner_reduction, 0.0))  # type: ignore[arg-type]
    expected = np.clip(case["probability"] * (1 - cut) + case["shift"], 0, 1)  # type: ignore[operator]
    np.testing.assert_allclose(decision.score, expected)
    for i, words in enumerate(decision.reasons):
        benefits = [w for w in words if "benefit" in str(w)]
        assert len(benefits) == int(bool(aeo[i] or partner[i])), words  # type: ignore[index]
    assert _assign(case).channel == decision.channel  # the same seed, the same day


def test_no_benefit_exempts_from_random_sampling() -> None:
    n = 200
    policy = Policy(
        "O1",
        capacity=10,
        documentary_capacity=0,
        expected_daily=n,
        min_random_rate=0.05,
        exploration_share=0,
    )
    day = Day(np.zeros(n), np.zeros(n), np.ones(n, dtype=bool), [None] * n, [None] * n, np.zeros(n))
    decision = assign(policy, day, rng=np.random.default_rng(1))
    assert decision.random is not None
    assert int(decision.random.sum()) == 10  # every declaration is an AEO's: still sampled
    assert decision.channel.count("red") == 10


def test_a_policy_whose_random_rate_exceeds_its_capacity_is_refused() -> None:
    with pytest.raises(
        PolicyError,
        match=r"random rate 5\.0% of 1,000 declarations a day is 50 examinations, more than "
        r"the capacity of 20",
    ):
        Policy(
            "O1", capacity=20, documentary_capacity=5, expected_daily=1000, min_random_rate=0.05
        ).validate()


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(0, 100),
    length=st.one_of(st.none(), st.integers(0, 100)),
    day=st.integers(-10, 220),
)
def test_the_benefit_needs_a_certificate_valid_on_the_declarations_date(
    start: int, length: int | None, day: int
) -> None:
    base = date(2026, 1, 1)
    valid_from = base + timedelta(days=start)
    valid_to = None if length is None else valid_from + timedelta(days=length)
    when = base + timedelta(days=day)
    held = certified_on(["A", "B"], [when, when], {"A": [(valid_from, valid_to)]})
    inside = valid_from <= when and (valid_to is None or when <= valid_to)
    assert held.tolist() == [inside, False]


def test_rules_in_force_force_or_shift_and_the_most_severe_force_wins() -> None:
    import pandas as pd

    from greenlane.core.risk.rulelang import parse
    from greenlane.core.risk.selectivity import ProfileRule, apply_rules

    frame = pd.DataFrame(
        {"hs6": ["930100", "930100", "851712"], "origin_country": ["XX", "CN", "CN"]}
    )
    day = date(2026, 6, 1)
    rules = [
        ProfileRule("arms", parse('hs6 startswith "93"'), "weapons: always examined", force="red"),
        ProfileRule(
            "cn", parse('origin_country == "CN"'), "trade facilitation pilot", force="green"
        ),
        ProfileRule(
            "old", parse('hs6 == "851712"'), "expired", force="red", valid_to=date(2026, 1, 1)
        ),
        ProfileRule("tel", parse('hs6 startswith "8517"'), "phones mis-declared", shift=0.2),
    ]
    out = apply_rules(rules, frame, day)
    assert out.forced == ["red", "red", "green"]
    assert str(out.why[1]) == "rule arms: weapons: always examined"
    assert out.shift.tolist() == [0.0, 0.0, 0.2]
    assert out.hits == {"arms": 2, "cn": 2, "tel": 1}  # "old" is not in force: not evaluated
    assert out.matched == [["arms"], ["arms", "cn"], ["cn", "tel"]]


@settings(max_examples=200, deadline=None)
@given(case=office_days(), used=st.integers(0, 30), chance=st.floats(0, 1))
def test_in_real_time_the_days_earlier_decisions_count_against_the_capacity(
    case: dict[str, object], used: int, chance: float
) -> None:
    policy: Policy = case["policy"]  # type: ignore[assignment]
    forced: list[object] = case["forced"]  # type: ignore[assignment]
    n = len(forced)
    sampled = np.random.default_rng(0).random(n) < chance
    decision = assign(policy, _day(case), Used(red=used, sampled=sampled))
    forced_red = sum(f == "red" for f in forced)
    assert decision.channel.count("red") <= max(policy.capacity - used, 0) + forced_red
    assert decision.random is not None
    assert not (decision.random & ~sampled).any()  # only the drawn ones are random samples
    room = max(policy.capacity - used - forced_red, 0)
    drawn_free = int((sampled & np.array([f is None for f in forced])).sum())
    assert int(decision.random.sum()) == min(drawn_free, room)


@settings(max_examples=400, deadline=None)
@given(
    case=office_days(),
    yellow_threshold=st.sampled_from([0.0, 0.2, 0.6]),
    real_time=st.booleans(),
    used_red=st.integers(0, 30),
    used_yellow=st.integers(0, 30),
    chance=st.floats(0, 1),
)
def test_the_staged_decision_is_the_decision_before_it_was_split(
    case: dict[str, object],
    yellow_threshold: float,
    real_time: bool,
    used_red: int,
    used_yellow: int,
    chance: float,
) -> None:
    """The same seed and the same day give the same channels, scores, reasons, random
    sample and exploration as the single function the stages replaced (kept verbatim in
    ``selectivity_before``), for a whole day and in real time."""
    policy = dataclasses.replace(case["policy"], yellow_threshold=yellow_threshold)  # type: ignore[type-var]
    forced: list[object] = case["forced"]  # type: ignore[assignment]
    n = len(forced)
    sampled = np.random.default_rng(case["seed"]).random(n) < chance if real_time else None  # type: ignore[arg-type]
    used = Used(used_red, used_yellow, sampled) if real_time else Used()
    after = assign(policy, _day(case), used, np.random.default_rng(case["seed"]))  # type: ignore[arg-type]
    before = assign_before(
        policy, case["probability"], case["revenue"], case["aeo"], forced,  # type: ignore[arg-type]
        ["rule" if f else None for f in forced], case["shift"],  # type: ignore[arg-type]
        np.random.default_rng(case["seed"]),  # type: ignore[arg-type]
        used_red=used.red, used_yellow=used.yellow, sampled=sampled,
        partner_valid=case["partner"],  # type: ignore[arg-type]
    )  # fmt: skip
    assert after.channel == before.channel
    np.testing.assert_array_equal(after.score, before.score)
    assert [[str(w) for w in r] for r in after.reasons] == before.reasons
    np.testing.assert_array_equal(after.random, before.random)  # type: ignore[arg-type]
    np.testing.assert_array_equal(after.explored, before.explored)  # type: ignore[arg-type]


def test_a_whole_day_without_a_generator_is_refused_only_when_it_must_sample() -> None:
    policy = Policy("O1", capacity=5, documentary_capacity=0, expected_daily=100)
    day = Day(np.full(100, 0.5), np.zeros(100), np.zeros(100, bool), [None] * 100, [None] * 100,
              np.zeros(100))  # fmt: skip
    with pytest.raises(ValueError, match="random generator"):
        assign(policy, day)
    unsampled = dataclasses.replace(policy, min_random_rate=0.0)
    assert assign(unsampled, day).channel.count("red") == 5
