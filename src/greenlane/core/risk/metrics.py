"""Selection metrics for risk targeting (names and definitions: shared/domain/risk-targeting.md).

For an inspection rate of n%, the selection is the k = max(1, floor(N * n / 100)) declarations
with the highest scores (ties: the earlier row first).
- precision@n: frauds found / declarations selected
- recall@n: frauds found / all frauds
- revenue@n: revenue at stake in the selection / all revenue at stake
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

RATES = (1, 2, 5, 10)
ArrayLike = npt.NDArray[np.float64] | Sequence[float]


def selected(scores: ArrayLike, rate: float) -> npt.NDArray[np.int64]:
    """Indices of the top ``rate`` % by score, highest first."""
    s = np.asarray(scores, dtype=float)
    k = max(1, int(np.floor(len(s) * rate / 100)))
    order: npt.NDArray[np.int64] = np.argsort(-s, kind="stable")[:k]
    return order


def precision_at(scores: ArrayLike, fraud: ArrayLike, rate: float) -> float:
    return float(np.asarray(fraud, dtype=float)[selected(scores, rate)].mean())


def recall_at(scores: ArrayLike, fraud: ArrayLike, rate: float) -> float:
    y = np.asarray(fraud, dtype=float)
    total = y.sum()
    return float(y[selected(scores, rate)].sum() / total) if total else 0.0


def revenue_at(scores: ArrayLike, revenue: ArrayLike, rate: float) -> float:
    r = np.asarray(revenue, dtype=float)
    total = r.sum()
    return float(r[selected(scores, rate)].sum() / total) if total else 0.0


def report(
    scores: ArrayLike, fraud: ArrayLike, revenue: ArrayLike | None = None
) -> dict[str, float]:
    """precision@n and recall@n for n in 1, 2, 5, 10; revenue@n when revenue is known; AUC."""
    out: dict[str, float] = {}
    for n in RATES:
        out[f"precision@{n}"] = round(precision_at(scores, fraud, n), 4)
    for n in RATES:
        out[f"recall@{n}"] = round(recall_at(scores, fraud, n), 4)
    if revenue is not None and np.nansum(np.asarray(revenue, dtype=float)) > 0:
        for n in RATES:
            out[f"revenue@{n}"] = round(revenue_at(scores, revenue, n), 4)
    y = np.asarray(fraud, dtype=float)
    out["auc"] = round(float(roc_auc_score(y, scores)), 4) if 0 < y.sum() < len(y) else float("nan")
    return out
