from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.risk import drift

counts = st.lists(st.integers(0, 10_000), min_size=10, max_size=10).filter(lambda c: sum(c) > 0)


@settings(max_examples=200, deadline=None)
@given(expected=counts, actual=counts, scale=st.integers(1, 50))
def test_psi_is_zero_for_the_same_distribution_and_positive_otherwise(
    expected: list[int], actual: list[int], scale: int
) -> None:
    assert drift.psi(expected, [c * scale for c in expected]) == pytest.approx(0, abs=1e-12)
    value = drift.psi(expected, actual)
    assert value >= 0
    assert value == pytest.approx(drift.psi(actual, expected))  # symmetric by construction
    if np.allclose(drift.shares(expected), drift.shares(actual)):
        assert value == pytest.approx(0, abs=1e-9)


def test_psi_against_a_hand_computation() -> None:
    # Two bins, 50/50 then 80/20: (0.8-0.5)ln(0.8/0.5) + (0.2-0.5)ln(0.2/0.5)
    want = 0.3 * math.log(1.6) + (-0.3) * math.log(0.4)
    assert drift.psi([50, 50], [80, 20]) == pytest.approx(want)
    assert drift.psi_status(want) == "major shift"
    assert drift.psi_status(0.05) == "stable"
    assert drift.psi_status(0.2) == "moderate shift"
    assert drift.psi_status(None) == "no scores"


@settings(max_examples=100, deadline=None)
@given(scores=st.lists(st.floats(0, 1), min_size=50, max_size=500))
def test_reference_bins_hold_equal_shares_of_the_reference(scores: list[float]) -> None:
    edges = drift.reference_edges(scores)
    assert len(edges) == drift.BINS - 1
    assert edges == sorted(edges)
    bins = drift.bin_of(scores, edges)
    assert bins.min() >= 0
    assert bins.max() <= drift.BINS - 1
    if len(set(scores)) == len(scores):  # no ties: each bin holds about a tenth
        held = np.bincount(bins, minlength=drift.BINS) / len(scores)
        assert np.all(np.abs(held - 0.1) <= 2 / len(scores) + 1e-9)


def test_a_shifted_population_is_a_major_shift() -> None:
    rng = np.random.default_rng(0)
    reference = rng.beta(2, 8, 20_000)
    edges = drift.reference_edges(reference)
    same = np.bincount(drift.bin_of(rng.beta(2, 8, 5_000), edges), minlength=10)
    moved = np.bincount(drift.bin_of(rng.beta(4, 6, 5_000), edges), minlength=10)
    flat = [1] * 10
    assert drift.psi_status(drift.psi(flat, same)) == "stable"
    assert drift.psi_status(drift.psi(flat, moved)) == "major shift"


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5_000), data=st.data())
def test_the_wilson_interval_holds_the_observed_rate(n: int, data: st.DataObject) -> None:
    hits = data.draw(st.integers(0, n))
    interval = drift.wilson(hits, n)
    assert interval is not None
    low, high = interval
    assert 0 <= low <= hits / n <= high <= 1
    assert drift.wilson(0, 0) is None


def test_a_better_challenger_is_called_better_and_the_same_one_not_different() -> None:
    rng = np.random.default_rng(3)
    n = 4_000
    fraud = (rng.random(n) < 0.1).astype(float)
    revenue = np.where(fraud == 1, rng.gamma(2, 500, n), 0.0)
    good = fraud * 0.6 + rng.random(n) * 0.5  # separates well
    poor = fraud * 0.1 + rng.random(n) * 0.5  # barely
    better = drift.compare(poor, good, fraud, revenue)
    assert [d.verdict for d in better] == ["better"] * 3
    assert all(d.challenger > d.champion for d in better)
    worse = drift.compare(good, poor, fraud, revenue)
    assert [d.verdict for d in worse] == ["worse"] * 3
    same = drift.compare(good, good, fraud, revenue)
    assert [d.verdict for d in same] == ["no clear difference"] * 3
    assert drift.compare(poor, good, fraud, revenue) == better  # seeded: the same figures
