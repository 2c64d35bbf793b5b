from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from greenlane.core.trs import effect, metrics

START = datetime(2025, 3, 3, 8, 0)


def _table(frame: pd.DataFrame) -> pa.Table:
    arrival = [START] * len(frame)
    release = [START + timedelta(hours=float(h)) for h in frame["hours"]]
    return pa.table(
        {
            "consignment_id": [f"C{i}" for i in range(len(frame))],
            "office_code": frame["office"].tolist(),
            "transport_mode": ["1"] * len(frame),
            "channel": ["green"] * len(frame),
            "hs6": ["850440"] * len(frame),
            "aeo": frame["aeo"].tolist(),
            "customs_value": frame.get("value", pd.Series(1000.0, index=frame.index)).tolist(),
            "importer_code": frame.get("operator", pd.Series("X", index=frame.index)).tolist(),
            "arrival": pa.array(arrival, pa.timestamp("s")),
            "release": pa.array(release, pa.timestamp("s")),
        }
    )


def _estimate(frame: pd.DataFrame, **kw: object) -> effect.Effect:
    backend = metrics.connect("duckdb")
    settings = effect.EffectSettings(**kw)  # type: ignore[arg-type]
    return effect.estimate(backend, metrics.load(backend, _table(frame)), settings)


def test_the_like_for_like_estimate_weighs_strata_by_their_aeo_consignments() -> None:
    frame = pd.DataFrame(
        {
            # Office A: AEO 2 h vs others 6 h (4 h saved), two AEO consignments.
            # Office B: AEO 10 h vs others 12 h (2 h saved), one AEO consignment.
            # Office C: AEOs only, no peers to compare with.
            "office": ["A", "A", "A", "B", "B", "B", "C"],
            "aeo": [True, True, False, True, False, False, True],
            "hours": [2, 2, 6, 10, 12, 12, 30],
            "value": [24_000.0, 24_000.0, 1.0, 48_000.0, 1.0, 1.0, 0.0],
            "operator": ["P", "Q", "R", "Q", "S", "S", "P"],
        }
    )
    result = _estimate(frame, replicates=0, rates={"*": (1.0, 2.0, 3.0)})
    assert result.matched_hours == pytest.approx((2 * 4 + 1 * 2) / 3)
    assert result.strata == 2
    assert result.matched_share == pytest.approx(3 / 4)
    # Raw: others (6 + 12 + 12) / 3 = 10; AEOs (2 + 2 + 10 + 30) / 4 = 11.
    assert result.raw_hours == pytest.approx(10 - 11)
    # Value: every AEO consignment's value x rate per day x hours saved / 24.
    hours = (2 * 4 + 1 * 2) / 3
    goods = 24_000 + 24_000 + 48_000 + 0
    assert result.value["low"] == pytest.approx(goods * 0.01 * hours / 24)
    assert result.value["high"] == pytest.approx(goods * 0.03 * hours / 24)
    assert result.value_per_consignment["central"] == pytest.approx(goods * 0.02 * hours / 24 / 4)
    # Per AEO operator: P has 24,000 (and 0), Q 24,000 + 48,000 of goods.
    assert result.aeo_operators == 2
    assert result.value_per_operator["central"] == pytest.approx(goods * 0.02 * hours / 24 / 2)
    assert [t["operator"] for t in result.top_operators] == ["Q", "P"]
    assert result.top_operators[0]["high"] == pytest.approx(72_000 * 0.03 * hours / 24)


def test_a_planted_effect_is_recovered_within_its_confidence_interval() -> None:
    """AEOs cluster in the slow office: the raw difference hides the planted 5 hours."""
    rng = np.random.default_rng(7)
    rows = []
    for office, base, aeo_share, n in (("FAST", 10.0, 0.1, 3_000), ("SLOW", 40.0, 0.7, 3_000)):
        aeo = rng.random(n) < aeo_share
        hours = base + rng.gamma(2.0, 3.0, n) - np.where(aeo, 5.0, 0.0)
        rows.append(pd.DataFrame({"office": office, "aeo": aeo, "hours": np.maximum(hours, 0.1)}))
    result = _estimate(pd.concat(rows, ignore_index=True), replicates=300, seed=1)
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert result.ci_low <= 5.0 <= result.ci_high
    assert result.ci_high - result.ci_low < 1.5
    assert result.raw_hours is not None
    assert result.raw_hours < 0


def test_the_bootstrap_is_deterministic_for_a_seed() -> None:
    frame = pd.DataFrame(
        {"office": ["A"] * 6, "aeo": [True, False] * 3, "hours": [1, 5, 2, 6, 3, 7]}
    )
    a = _estimate(frame, replicates=50, seed=3)
    b = _estimate(frame, replicates=50, seed=3)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert a.ci_low is not None
    assert a.ci_low <= a.matched_hours <= (a.ci_high or 0)


def test_a_goods_category_can_have_rates_of_its_own() -> None:
    frame = pd.DataFrame(
        {"office": ["A", "A"], "aeo": [True, False], "hours": [2, 6], "value": [24_000.0, 1.0]}
    )
    # The table's goods are HS 850440: section XVI.
    general = _estimate(frame, replicates=0, rates={"*": (1.0, 2.0, 3.0)})
    machinery = _estimate(frame, replicates=0, rates={"*": (1.0, 2.0, 3.0), "XVI": (0.5, 0.5, 0.5)})
    assert general.value["central"] == pytest.approx(24_000 * 0.02 * 4 / 24)
    assert machinery.value["central"] == pytest.approx(24_000 * 0.005 * 4 / 24)
