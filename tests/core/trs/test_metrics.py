from __future__ import annotations

import math

import pytest

from greenlane.core.trs import metrics
from greenlane.core.words import Words
from tests.core.trs.cases import consignments

SETTINGS = metrics.Settings(
    targets_hours=(3.0, 6.0), max_hours=50.0, iqr_factor=None, curve_max_hours=10.0
)


def _run(settings: metrics.Settings = SETTINGS) -> metrics.Results:
    backend = metrics.connect("duckdb")
    return metrics.run(backend, metrics.load(backend, consignments()), settings)


def test_the_headline_figures_match_the_hand_computed_ones() -> None:
    results = _run()
    total = next(i for i in results.intervals if i["name"] == "total")
    assert results.consignments == 4
    assert total["n"] == 4
    assert total["mean"] == pytest.approx(5.0)
    assert total["median"] == pytest.approx(5.0)
    assert total["p90"] == pytest.approx(7.4)  # 6 + 0.7 x (8 - 6), linear interpolation
    assert total["std"] == pytest.approx(math.sqrt(20 / 3))  # sample standard deviation
    assert (total["min"], total["max"]) == (pytest.approx(2.0), pytest.approx(8.0))
    assert results.targets == [
        {"hours": 3.0, "share": pytest.approx(0.25)},
        {"hours": 6.0, "share": pytest.approx(0.75)},
    ]


def test_the_outlier_rule_excludes_and_says_why() -> None:
    results = _run()
    assert results.excluded == [
        {
            "consignment_id": "C4",
            "total_hours": pytest.approx(100.0),
            "reason": {
                "message": "arrival to release over %(hours)s h",
                "params": {"hours": {"figure": 50.0, "places": 0, "percent": False}},
            },
        }
    ]
    assert str(Words.from_json(results.excluded[0]["reason"])) == "arrival to release over 50 h"
    by_iqr = _run(metrics.Settings(max_hours=None, iqr_factor=1.5, targets_hours=(3.0,)))
    # Q1 = 4, Q3 = 8 over all five: the limit is 8 + 1.5 x 4 = 14 hours.
    assert by_iqr.thresholds["iqr_limit"] == pytest.approx(14.0)
    assert [e["consignment_id"] for e in by_iqr.excluded] == ["C4"]
    assert "Q3 + 1.5 x IQR (14.0 h)" in str(Words.from_json(by_iqr.excluded[0]["reason"]))
    kept_all = _run(metrics.Settings(max_hours=None, iqr_factor=None))
    assert kept_all.consignments == 5
    assert kept_all.excluded == []


def test_a_declaration_lodged_before_arrival_waited_zero_hours() -> None:
    waiting = next(i for i in _run().intervals if i["name"] == "awaiting_declaration")
    assert waiting["min"] == 0.0
    assert waiting["mean"] == pytest.approx((0 + 1 + 1 + 1) / 4)


def test_breakdowns_pattern_and_curve() -> None:
    results = _run()
    aeo = {row["group"]: row for row in results.breakdowns["aeo"]}
    assert aeo["true"]["mean"] == pytest.approx(3.0)
    assert aeo["false"]["mean"] == pytest.approx(7.0)
    assert aeo["true"]["within_0"] == pytest.approx(0.5)  # 2 h of 2 h and 4 h within 3 h
    sections = {row["group"]: row["n"] for row in results.breakdowns["hs_section"]}
    assert sections == {"I": 1, "XI": 1, "XVI": 2}  # live animals, apparel, electrical
    assert results.pattern == [{"hour": 8, "weekday": 0, "n": 4, "mean": pytest.approx(5.0)}]
    curve = {point["hours"]: point["share"] for point in results.curve}
    assert curve[1.0] == 0.0
    assert curve[2.0] == pytest.approx(0.25)
    assert curve[7.0] == pytest.approx(0.75)
    assert curve[8.0] == pytest.approx(1.0)


def test_other_agencies_group_by_the_flag_not_by_their_hours_and_groups_read_in_words() -> None:
    from datetime import timedelta

    import pyarrow as pa
    import pyarrow.compute as pc

    from tests.core.trs.cases import MONDAY_8

    table = consignments()
    oga = [MONDAY_8 + timedelta(minutes=10 * i) for i in range(5)]
    table = table.set_column(
        table.schema.get_field_index("other_agency"),
        "other_agency",
        pa.array([True, True, False, True, False]),
    )
    table = table.append_column("oga_start", pa.array([MONDAY_8] * 5, pa.timestamp("s")))
    table = table.append_column("oga_end", pc.cast(pa.array(oga), pa.timestamp("s")))
    backend = metrics.connect("duckdb")
    results = metrics.run(backend, metrics.load(backend, table), SETTINGS)
    groups = {row["group"] for row in results.breakdowns["other_agency"]}
    assert groups == {"true", "false"}  # two groups, whatever the agencies' hours
    assert any(i["name"] == "other_agencies" for i in results.intervals)
    labels = [str(metrics.group_label("other_agency", g)) for g in sorted(groups)]
    assert labels == ["Customs only", "Another agency involved"]
    assert str(metrics.group_label("transport_mode", "1")) == "Sea"
    assert str(metrics.group_label("pre_arrival", "true")) == "Declared before arrival"
    assert metrics.group_label("office_code", "OF1") == "OF1"
    assert str(metrics.group_label("channel", None)) == "(not recorded)"
