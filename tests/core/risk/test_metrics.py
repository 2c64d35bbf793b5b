from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenlane.core.risk import metrics

# Ten declarations, scored; frauds at ranks 1, 3 and 4; revenue on two of them.
SCORES = [0.9, 0.1, 0.8, 0.7, 0.2, 0.3, 0.95, 0.05, 0.4, 0.6]
FRAUD = [0, 0, 1, 1, 0, 0, 1, 0, 0, 0]
REVENUE = [0, 0, 30.0, 0, 0, 0, 70.0, 0, 0, 0]


def test_the_selection_is_the_top_share_by_score() -> None:
    assert metrics.selected(SCORES, 20).tolist() == [6, 0]
    assert metrics.selected(SCORES, 1).tolist() == [6]  # at least one declaration


def test_precision_recall_and_revenue_by_hand() -> None:
    # Top 40%: rows 6 (fraud), 0, 2 (fraud), 3 (fraud) -> 3 of 4 selected are frauds.
    assert metrics.precision_at(SCORES, FRAUD, 40) == 0.75
    assert metrics.recall_at(SCORES, FRAUD, 40) == 1.0
    assert metrics.recall_at(SCORES, FRAUD, 20) == pytest.approx(1 / 3)
    assert metrics.revenue_at(SCORES, REVENUE, 20) == 0.7
    assert metrics.revenue_at(SCORES, REVENUE, 40) == 1.0


def test_the_report_names_every_rate_and_the_auc() -> None:
    report = metrics.report(SCORES, FRAUD, REVENUE)
    assert set(report) == {
        *(f"{m}@{n}" for m in ("precision", "recall", "revenue") for n in (1, 2, 5, 10)),
        "auc",
    }
    # 3 frauds x 7 others = 21 pairs; the frauds outrank the others in 19 of them.
    assert report["auc"] == pytest.approx(round(19 / 21, 4))
    assert "revenue@1" not in metrics.report(SCORES, FRAUD)


@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=200),
    st.sampled_from([1, 2, 5, 10]),
)
def test_metrics_stay_between_zero_and_one_and_an_oracle_is_best(
    rows: list[tuple[float, bool]], rate: int
) -> None:
    scores = [s for s, _ in rows]
    fraud = [float(f) for _, f in rows]
    p = metrics.precision_at(scores, fraud, rate)
    assert 0 <= p <= 1
    assert 0 <= metrics.recall_at(scores, fraud, rate) <= 1
    assert p <= metrics.precision_at(np.asarray(fraud), fraud, rate)
