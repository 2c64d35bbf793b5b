"""Fit on training files, score a later test file, compare with the baselines (one run)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from greenlane.core.risk import metrics
from greenlane.core.risk.baselines import Baseline
from greenlane.core.risk.frames import read_frame
from greenlane.core.risk.mapping import ColumnMapping
from greenlane.core.risk.model import RiskModel

Step = Callable[[str], None]


def evaluate(
    mapping: ColumnMapping,
    train: Sequence[Path],
    test: Path,
    model: RiskModel | None = None,
    step: Step | None = None,
) -> dict[str, Any]:
    """The result object of ``greenlane evaluate --json``. The test period is used for
    scoring only: no fitted quantity (features, references, calibration) comes from it."""
    say = step or (lambda _: None)
    say("reading")
    train_frame, train_rejected = read_frame(train, mapping)
    test_frame, test_rejected = read_frame([test], mapping)
    labelled = test_frame[test_frame["fraud"].notna()].reset_index(drop=True)
    if labelled.empty:
        raise ValueError(f"{test.name}: no inspected declarations to evaluate against")
    if labelled["declaration_date"].min() <= train_frame["declaration_date"].max():
        raise ValueError("the test period must start after the training period (time-based split)")
    fraud = labelled["fraud"].astype(float).to_numpy()
    revenue = (
        labelled["revenue_recovered"].to_numpy(dtype=float)
        if "revenue_recovered" in labelled
        else None
    )
    say("fitting the model")
    fitted = (model or RiskModel()).fit(train_frame)
    result: dict[str, Any] = {
        "model": metrics.report(fitted.predict_proba(labelled)[:, 1], fraud, revenue)
    }
    result["baselines"] = {}
    for kind in ("lightgbm", "xgboost"):
        say(f"fitting the {kind} baseline")
        scores = Baseline(kind).fit(train_frame).predict_proba(labelled)[:, 1]
        result["baselines"][kind] = metrics.report(scores, fraud, revenue)
    result["rows"] = {
        "train": len(train_frame),
        "test": len(labelled),
        "rejected": train_rejected + test_rejected,
    }
    result["periods"] = {
        "train": [
            str(train_frame["declaration_date"].min().date()),
            str(train_frame["declaration_date"].max().date()),
        ],
        "test": [
            str(labelled["declaration_date"].min().date()),
            str(labelled["declaration_date"].max().date()),
        ],
    }
    result["base_rate"] = {
        "train": round(float(train_frame["fraud"].astype(float).mean()), 4),
        "test": round(float(np.mean(fraud)), 4),
    }
    return result
