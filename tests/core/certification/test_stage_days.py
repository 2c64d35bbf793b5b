from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from greenlane.core.certification.lifecycle import Stage, stage_days

T0 = datetime(2026, 3, 2, 8, 0)


def test_days_per_stage_add_up_and_stop_at_the_decision() -> None:
    changes = [
        (T0, Stage.SUBMITTED),
        (T0 + timedelta(days=3), Stage.DOCUMENT_REVIEW),
        (T0 + timedelta(days=13), Stage.INFORMATION_REQUESTED),
        (T0 + timedelta(days=20), Stage.DOCUMENT_REVIEW),
        (T0 + timedelta(days=30), Stage.AWAITING_DECISION),
        (T0 + timedelta(days=36), Stage.APPROVED),
    ]
    spent = stage_days(changes, T0 + timedelta(days=500))
    assert spent == pytest.approx(
        {"submitted": 3, "document_review": 20, "information_requested": 7, "awaiting_decision": 6}
    )


def test_an_open_stage_runs_until_now() -> None:
    assert stage_days([(T0, Stage.SUBMITTED)], T0 + timedelta(days=2)) == {"submitted": 2.0}
