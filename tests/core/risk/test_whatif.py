from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenlane.core.risk import metrics, whatif

# As in test_metrics: frauds at ranks 1, 3 and 4; revenue on two of them, and revenue on a
# declaration without fraud, which does not count.
SCORES = [0.9, 0.1, 0.8, 0.7, 0.2, 0.3, 0.95, 0.05, 0.4, 0.6]
FRAUD = [0, 0, 1, 1, 0, 0, 1, 0, 0, 0]
REVENUE = [5.0, 0, 30.0, 0, 0, 0, 70.0, 0, 0, 0]


def test_the_value_at_a_rate_by_hand() -> None:
    ranking = whatif.Ranking(SCORES, FRAUD, REVENUE)
    assert (ranking.frauds, ranking.revenue) == (3, 100.0)
    point = ranking.at(20)  # rows 6 (fraud, 70) and 0 (no fraud: its 5 does not count)
    assert point == whatif.Point(
        percent=20, inspected=2, frauds_found=1, frauds_share=pytest.approx(1 / 3),
        revenue_found=70.0, revenue_share=0.7, hit_rate=0.5,
    )  # fmt: skip
    assert ranking.at(40).frauds_share == 1.0
    assert ranking.at(0.5).inspected == 1  # at least one declaration


def test_the_curve_agrees_with_the_selection_metrics() -> None:
    ranking = whatif.Ranking(SCORES, FRAUD, REVENUE)
    for point in ranking.curve((1, 10, 20, 30, 40, 50)):
        assert point.hit_rate == pytest.approx(metrics.precision_at(SCORES, FRAUD, point.percent))
        assert point.frauds_share == pytest.approx(metrics.recall_at(SCORES, FRAUD, point.percent))
        money = np.where(np.array(FRAUD) == 1, REVENUE, 0)
        assert point.revenue_share == pytest.approx(
            metrics.revenue_at(SCORES, money, point.percent)
        )


def test_nothing_to_rank_is_refused_and_nothing_found_is_zero() -> None:
    with pytest.raises(ValueError, match="no declarations"):
        whatif.Ranking([], [], []).at(5)
    clean = whatif.Ranking([0.2, 0.1], [0, 0], [0, 0]).at(50)
    assert (clean.frauds_share, clean.revenue_share, clean.hit_rate) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="one value per declaration"):
        whatif.Ranking([0.1], [0, 1], [0, 0])


declarations = st.integers(min_value=1, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.floats(0, 1e6) | st.just(float("nan")), min_size=n, max_size=n),
    )
)


@given(declarations)
def test_shares_stay_between_0_and_1_and_grow_with_the_rate(
    rows: tuple[list[float], list[bool], list[float]],
) -> None:
    ranking = whatif.Ranking(*rows)
    curve = ranking.curve((*whatif.RATES, 100.0))
    for point in curve:
        for share in (point.frauds_share, point.revenue_share, point.hit_rate):
            assert 0 <= share <= 1
    for earlier, later in itertools.pairwise(curve):
        assert later.inspected >= earlier.inspected
        assert later.frauds_share >= earlier.frauds_share
        assert later.revenue_share >= earlier.revenue_share
    everything = curve[-1]
    assert everything.inspected == ranking.n
    assert everything.frauds_share == (1.0 if ranking.frauds else 0.0)
    assert everything.revenue_share == (1.0 if ranking.revenue else 0.0)
