"""What an inspection rate would have caught: the declarations ranked by their risk score,
the top n% inspected, and the frauds and revenue found among them.

The selection follows ``core.risk.metrics`` (names and definitions:
shared/domain/risk-targeting.md): at n% the k = max(1, floor(N * n / 100)) highest scores,
ties broken by the earlier row. Revenue counts only where there was a fraud, and never
below zero; a share of nothing (no fraud, no revenue) is 0, as in ``metrics``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from greenlane.core.risk.metrics import ArrayLike

#: The rates an analyst can choose on the what-if page: 0.5% to 50% in steps of 0.5%.
STEP = 0.5
RATES = tuple(STEP * i for i in range(1, 101))


@dataclass(frozen=True)
class Point:
    percent: float  # inspection rate, in %
    inspected: int  # declarations in the selection
    frauds_found: int
    frauds_share: float  # of all frauds
    revenue_found: float
    revenue_share: float  # of all revenue at stake
    hit_rate: float  # frauds found / inspected


class Ranking:
    """Declarations ordered by score once, to read any rate off cumulative sums."""

    def __init__(self, scores: ArrayLike, fraud: ArrayLike, revenue: ArrayLike) -> None:
        s = np.asarray(scores, dtype=float)
        y = np.asarray(fraud, dtype=bool)
        r = np.nan_to_num(np.asarray(revenue, dtype=float), nan=0.0)
        if not len(s) == len(y) == len(r):
            raise ValueError("scores, fraud and revenue must have one value per declaration")
        order = np.argsort(-s, kind="stable")
        self.n = len(s)
        self._frauds: npt.NDArray[np.int64] = np.cumsum(y[order], dtype=np.int64)
        self._revenue: npt.NDArray[np.float64] = np.cumsum(
            np.where(y, np.clip(r, 0, None), 0)[order]
        )

    @property
    def frauds(self) -> int:
        return int(self._frauds[-1]) if self.n else 0

    @property
    def revenue(self) -> float:
        return float(self._revenue[-1]) if self.n else 0.0

    def size(self, percent: float) -> int:
        """Declarations inspected at ``percent`` % (the rule of ``metrics.selected``)."""
        return min(self.n, max(1, math.floor(self.n * percent / 100)))

    def at(self, percent: float) -> Point:
        if not self.n:
            raise ValueError("no declarations to rank")
        k = self.size(percent)
        found, money = int(self._frauds[k - 1]), float(self._revenue[k - 1])
        return Point(
            percent=percent,
            inspected=k,
            frauds_found=found,
            frauds_share=found / self.frauds if self.frauds else 0.0,
            revenue_found=money,
            revenue_share=min(money / self.revenue, 1.0) if self.revenue else 0.0,
            hit_rate=found / k,
        )

    def curve(self, rates: tuple[float, ...] = RATES) -> list[Point]:
        return [self.at(p) for p in rates]
