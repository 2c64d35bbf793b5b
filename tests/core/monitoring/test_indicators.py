from __future__ import annotations

from typing import Any

import ibis
import pytest

from greenlane.core.monitoring import indicators
from tests.core.monitoring.cases import AS_OF, tables


def _rows(days: int) -> dict[str, dict[str, Any]]:
    backend = ibis.duckdb.connect()
    t = {name: ibis.memtable(table) for name, table in tables().items()}
    rows = indicators.compute(
        backend, t["declarations"], t["inspections"], t["operators"], AS_OF, days
    )
    return {r["code"]: r for r in rows}


def test_an_operators_counts_and_rates_in_the_window() -> None:
    a = _rows(90)["A"]
    assert (a["declarations"], a["inspections"], a["detections"], a["critical"]) == (10, 4, 2, 1)
    assert a["inspection_rate"] == pytest.approx(0.4)
    assert a["detection_rate"] == pytest.approx(0.5)
    assert a["revenue"] == pytest.approx(1000.0)
    assert a["chapter"] == "85"
    assert a["size_class"] == "small"
    year = _rows(365)["A"]
    assert (year["declarations"], year["inspections"], year["detections"]) == (12, 5, 2)


def test_peers_share_chapter_and_size_and_never_include_the_operator() -> None:
    rows = _rows(90)
    a = rows["A"]
    # A's peers: B and C (small, chapter 85); D is large, E trades in chapter 62.
    assert a["peers"] == 2
    assert (a["peer_declarations"], a["peer_inspections"], a["peer_detections"]) == (10, 5, 1)
    assert a["peer_detection_rate"] == pytest.approx(1 / 5)
    assert rows["D"]["peers"] == 0
    assert rows["D"]["peer_detection_rate"] is None
    assert rows["E"]["detection_rate"] is None  # never inspected: no rate, not zero
    assert rows["E"]["chapter"] == "62"
