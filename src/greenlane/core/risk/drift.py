"""Is a risk model still fit? Score drift, hit-rate checks and champion/challenger figures.

- **Score distribution.** At training, the scores the new model gives to the last weeks of
  declarations are cut into ten equal-count bins (the reference). Each later week's scores
  are counted in the same bins and compared with the reference by the population stability
  index, PSI = sum over bins of (a - e) * ln(a / e), with a and e the week's and the
  reference's shares. The usual reading in credit and fraud scoring: below 0.1 stable, 0.1 to
  0.25 a moderate shift, above 0.25 a major one (the model no longer sees the population it
  learned from).
- **Hit rate.** A week's inspections and irregularities found give a hit rate with its Wilson
  95% interval; a week whose interval lies wholly below the reference hit rate is flagged.
- **Champion and challenger.** Both models score the same held-out inspected declarations;
  the difference of each metric (challenger minus champion) gets a paired bootstrap
  interval, so an analyst sees whether the newcomer is better, worse, or not clearly
  different before promoting it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from greenlane.core.risk import metrics

BINS = 10
STABLE, MODERATE = 0.1, 0.25
#: Shares below this count as this much, so that an empty bin does not make the PSI infinite.
FLOOR = 1e-4
FloatArray = npt.NDArray[np.float64]


def reference_edges(scores: Sequence[float] | FloatArray, bins: int = BINS) -> list[float]:
    """The inner edges (``bins - 1`` of them) cutting ``scores`` into equal-count bins.

    Repeated edges (many equal scores) are kept: the bins they delimit are empty, and
    ``shares`` gives the reference its true shares."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        raise ValueError("a reference needs at least one score")
    return [float(q) for q in np.quantile(values, np.arange(1, bins) / bins)]


def bin_of(scores: Sequence[float] | FloatArray, edges: Sequence[float]) -> npt.NDArray[np.int64]:
    """The bin of each score: bin i holds edges[i-1] <= score < edges[i]."""
    out: npt.NDArray[np.int64] = np.searchsorted(
        np.asarray(edges, dtype=float), np.asarray(scores, dtype=float), side="right"
    )
    return out


def shares(counts: Sequence[float] | FloatArray) -> FloatArray:
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    return c / total if total else np.zeros_like(c)


def psi(expected: Sequence[float] | FloatArray, actual: Sequence[float] | FloatArray) -> float:
    """Population stability index of ``actual`` against ``expected`` (counts or shares, bin by
    bin); 0 when the two are the same, larger the more they differ."""
    e = np.maximum(shares(expected), FLOOR)
    a = np.maximum(shares(actual), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_status(value: float | None) -> str:
    if value is None:
        return "no scores"
    if value < STABLE:
        return "stable"
    return "moderate shift" if value < MODERATE else "major shift"


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95% by default); None without trials."""
    if n <= 0:
        return None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if hits == 0 else max(0.0, min(p, centre - half))  # exact at the ends, and
    high = 1.0 if hits == n else min(1.0, max(p, centre + half))  # never past p by rounding
    return low, high


@dataclass(frozen=True)
class Difference:
    metric: str
    champion: float
    challenger: float
    low: float  # the bootstrap interval of challenger - champion
    high: float

    @property
    def verdict(self) -> str:
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "no clear difference"


def _metric(name: str) -> Callable[[FloatArray, FloatArray, FloatArray], float]:
    kind, _, rate = name.partition("@")
    if kind == "precision":
        return lambda s, y, r: metrics.precision_at(s, y, float(rate))
    if kind == "recall":
        return lambda s, y, r: metrics.recall_at(s, y, float(rate))
    if kind == "revenue":
        return lambda s, y, r: metrics.revenue_at(s, r, float(rate))
    raise ValueError(f"unknown metric {name}")


def compare(
    champion: FloatArray,
    challenger: FloatArray,
    fraud: FloatArray,
    revenue: FloatArray,
    names: Sequence[str] = ("precision@5", "recall@5", "revenue@5"),
    resamples: int = 300,
    level: float = 0.9,
    seed: int = 0,
) -> list[Difference]:
    """Each metric for both models on the same declarations, with a paired bootstrap interval
    of the difference (the same resampled declarations score both models)."""
    y = np.asarray(fraud, dtype=float)
    r = np.asarray(revenue, dtype=float)
    a = np.asarray(champion, dtype=float)
    b = np.asarray(challenger, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(y), size=(resamples, len(y)))
    out = []
    for name in names:
        f = _metric(name)
        diffs = np.array([f(b[i], y[i], r[i]) - f(a[i], y[i], r[i]) for i in draws])
        low, high = np.quantile(diffs, [(1 - level) / 2, (1 + level) / 2])
        out.append(Difference(name, f(a, y, r), f(b, y, r), float(low), float(high)))
    return out
