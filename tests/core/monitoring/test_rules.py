from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from greenlane.core.monitoring import rules

RULE = rules.DetectionAbovePeers(
    id="d", kind="detection_above_peers", title="t", severity="high", window_days=365,
    min_inspections=10, alpha=0.01, min_ratio=1.5, min_peer_inspections=30,
)  # fmt: skip


def _row(detections: int, inspections: int, peer_d: int = 10, peer_n: int = 100) -> dict[str, Any]:
    return {
        "code": "A", "detections": detections, "inspections": inspections, "peers": 4,
        "peer_detections": peer_d, "peer_inspections": peer_n,
        "peer_detection_rate": peer_d / peer_n if peer_n else None, "last_detection": 77,
    }  # fmt: skip


def test_below_the_minimum_sample_there_is_no_alert_at_it_there_is() -> None:
    # 9 of 9 inspections found fraud against a peer rate of 10%: overwhelming, but too few.
    assert rules.detection_alert(RULE, _row(9, 9), 0.1) is None
    alert = rules.detection_alert(RULE, _row(10, 10), 0.1)
    assert alert is not None
    assert alert.cause == "last-detection:77"
    assert alert.details["p_value"] == pytest.approx(0.1**10)
    assert alert.details["reference"] == "peers"


def test_a_rate_exactly_at_the_ratio_threshold_alerts_just_below_it_does_not() -> None:
    # Reference 10%: 1.5 x is 15%. 60 of 400 is exactly 15% and significant (p = 0.001);
    # 59 of 400 is as significant (p = 0.0017) but 14.75%: below the ratio.
    at = rules.detection_alert(RULE, _row(60, 400), 0.1)
    assert at is not None
    assert rules.detection_p_value(59, 400, 0.1) < 0.01
    assert rules.detection_alert(RULE, _row(59, 400), 0.1) is None


def test_not_significant_is_no_alert_even_far_above_the_ratio() -> None:
    # 3 of 10 against 10%: rate 3x the peers, p = 0.07 > 0.01.
    assert rules.detection_p_value(3, 10, 0.1) == pytest.approx(0.0702, abs=1e-4)
    assert rules.detection_alert(RULE, _row(3, 10), 0.1) is None


def test_too_few_peer_inspections_fall_back_to_the_overall_rate() -> None:
    alert = rules.detection_alert(RULE, _row(10, 20, peer_d=0, peer_n=5), overall_rate=0.05)
    assert alert is not None
    assert alert.details["reference"] == "all operators"
    assert alert.details["reference_rate"] == 0.05


def test_expiry_with_an_overdue_review() -> None:
    rule = rules.ExpiryOverdueReview(
        id="e", kind="expiry_overdue_review", title="t", severity="medium", days_to_expiry=90
    )
    today = date(2026, 6, 30)
    due = date(2026, 5, 15)
    certificates = [
        {"operator": op, "number": n, "valid_to": today + timedelta(days=d), "overdue_since": o}
        for op, n, d, o in (("A", "N1", 90, due), ("B", "N2", 91, due), ("C", "N3", 10, None))
    ]
    found = rules.expiry_alerts(rule, certificates, today)
    assert [(a.operator, a.cause) for a in found] == [("A", "certificate:N1:review-due:2026-05-15")]


def test_the_rules_in_force_on_a_day_and_bad_files() -> None:
    shipped = rules.shipped()
    assert {r.id for r in shipped.on(date(2026, 12, 1)).rules} == {
        "detection-above-peers", "critical-finding", "expiry-overdue-review",
    }  # fmt: skip
    with pytest.raises(rules.RulesError, match="no alert rules in force"):
        shipped.on(date(2020, 1, 1))
    with pytest.raises(rules.RulesError, match="rules"):
        rules.parse("versions: [{valid_from: 2026-01-01, rules: [{id: x, kind: nope}]}]")


def test_an_alerts_title_and_summary_are_words_translated_when_read() -> None:
    from greenlane.core.words import Words

    alert = rules.detection_alert(RULE, _row(10, 20, peer_d=0, peer_n=5), overall_rate=0.05)
    assert alert is not None
    assert alert.title == Words("t")
    assert alert.summary is not None
    assert str(alert.summary) == (
        "10 detections in 20 inspections over the last 365 days (50.0%), against 5.0% for all "
        "operators."
    )
    one = rules.critical_alerts(
        rules.CriticalFinding(id="c", kind="critical_finding", title="t", severity="high",
                              window_days=90),
        [{"operator": "A", "declaration_id": 1, "number": "D1", "date": date(2026, 6, 1)}],
    )[0]  # fmt: skip
    assert (
        str(one.summary) == "A critical finding at the inspection of declaration D1 of 2026-06-01."
    )
    assert Words.from_json(one.summary.as_json()) == one.summary  # stored, read back
    title = rules.notice_title("medium", "Hanbit (OP1)", Words("Critical finding"))
    assert str(title) == "Medium-severity alert on Hanbit (OP1): Critical finding"
    shipped = {str(t) for t in rules.SHIPPED_TITLES}
    for version in rules.shipped().versions:  # every shipped title is a collected message
        assert {r.title for r in version.rules} <= shipped
