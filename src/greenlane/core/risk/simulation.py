"""Replaying a period week by week: what a selectivity policy would have found.

As in the published online-selection studies (Kim et al., "Take a Chance"), the model of
week *w* is trained only on what was inspected before week *w* (the labels a customs
service really has), scores week *w*, and the policy picks the week's inspections under the
capacity; the picked declarations' true outcomes then join the training set. The first
``warmup_weeks`` are inspected at random (a service starting without a model).

Every week reports the inspections, the frauds found (hit rate), the share of all frauds and
of all revenue at stake caught, and the inspection rates of AEO and other declarations. The
same seed gives the same run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from greenlane.core.risk.model import RiskModel
from greenlane.core.risk.selectivity import Day, Policy, assign

RATES_WHAT_IF = (0.01, 0.02, 0.05, 0.1, 0.2)


@dataclass(frozen=True)
class Scenario:
    inspection_rate: float = 0.05  # share of each week's declarations examined
    min_random_rate: float = 0.005
    exploration_share: float = 0.1
    aeo_reduction: float = 0.2
    warmup_weeks: int = 2
    seed: int = 0
    n_estimators: int = 60


@dataclass
class Week:
    week: int
    start: str
    declarations: int
    inspections: int
    frauds_found: int
    frauds: int
    revenue_found: float
    revenue: float
    aeo_rate: float | None
    other_rate: float | None
    random: int
    explored: int
    what_if: list[dict[str, float]] = field(default_factory=list)

    @property
    def hit_rate(self) -> float | None:
        return self.frauds_found / self.inspections if self.inspections else None


def _what_if(scores: np.ndarray, fraud: np.ndarray, revenue: np.ndarray) -> list[dict[str, float]]:
    """Frauds and revenue captured had the week's top scores been inspected at each rate."""
    order = np.argsort(-scores, kind="stable")
    out = []
    for rate in RATES_WHAT_IF:
        top = order[: max(1, math.ceil(rate * len(scores)))]
        out.append(
            {
                "rate": rate,
                "frauds_share": float(fraud[top].sum() / fraud.sum()) if fraud.sum() else 0.0,
                "revenue_share": float(revenue[top].sum() / revenue.sum())
                if revenue.sum()
                else 0.0,
                "hit_rate": float(fraud[top].mean()),
            }
        )
    return out


def simulate(
    frame: pd.DataFrame,
    aeo: np.ndarray,
    scenario: Scenario,
    progress: Callable[[int, int], None] | None = None,
) -> list[Week]:
    """``frame``: declarations with their true ``fraud`` (bool) and ``revenue_at_stake``;
    ``aeo``: whether each declaration's importer held a certificate valid on its date;
    ``progress``, if given, is told (weeks done, weeks in all) after each week."""
    rng = np.random.default_rng(scenario.seed)
    frame = frame.reset_index(drop=True)
    truth = frame["fraud"].astype(bool).to_numpy()
    stake = frame["revenue_at_stake"].fillna(0).to_numpy(dtype=float)
    week_of = (
        (frame["declaration_date"] - frame["declaration_date"].min()).dt.days // 7
    ).to_numpy()
    inspected = np.zeros(len(frame), dtype=bool)
    weeks: list[Week] = []
    numbers = np.unique(week_of).tolist()
    for w in numbers:
        rows = np.flatnonzero(week_of == w)
        n = len(rows)
        capacity = max(1, math.ceil(scenario.inspection_rate * n))
        policy = Policy(
            office="sim", capacity=capacity, documentary_capacity=0, expected_daily=n,
            min_random_rate=scenario.min_random_rate, exploration_share=scenario.exploration_share,
            aeo_reduction=scenario.aeo_reduction,
        )  # fmt: skip
        labelled = frame[inspected].assign(fraud=truth[inspected])
        if w < scenario.warmup_weeks or labelled["fraud"].nunique() < 2:
            probability = rng.random(n)  # no model yet: a random order
            what_if: list[dict[str, float]] = []
        else:
            model = RiskModel(n_estimators=scenario.n_estimators, random_state=scenario.seed)
            history = frame.assign(fraud=np.where(inspected, truth, None))
            model.fit(
                history[frame["declaration_date"] < frame["declaration_date"].iloc[rows].min()]
            )
            probability = model.predict_proba(frame.iloc[rows])[:, 1]
            what_if = _what_if(probability, truth[rows], stake[rows])
        day = Day(probability, stake[rows], aeo[rows], [None] * n, [None] * n, np.zeros(n))
        decision = assign(policy, day, rng=rng)
        picked = np.array([c == "red" for c in decision.channel])
        inspected[rows[picked]] = True
        week_aeo = aeo[rows]
        weeks.append(
            Week(
                week=w,
                start=str(frame["declaration_date"].iloc[rows].min().date()),
                declarations=n,
                inspections=int(picked.sum()),
                frauds_found=int(truth[rows][picked].sum()),
                frauds=int(truth[rows].sum()),
                revenue_found=float(stake[rows][picked & truth[rows]].sum()),
                revenue=float(stake[rows][truth[rows]].sum()),
                aeo_rate=float(picked[week_aeo].mean()) if week_aeo.any() else None,
                other_rate=float(picked[~week_aeo].mean()) if (~week_aeo).any() else None,
                random=int(decision.random.sum()) if decision.random is not None else 0,
                explored=int(decision.explored.sum()) if decision.explored is not None else 0,
                what_if=what_if,
            )
        )
        if progress is not None:
            progress(len(weeks), len(numbers))
    return weeks


def summary(weeks: list[Week]) -> dict[str, Any]:
    inspections = sum(w.inspections for w in weeks)
    found = sum(w.frauds_found for w in weeks)
    frauds = sum(w.frauds for w in weeks)
    revenue = sum(w.revenue for w in weeks)
    return {
        "weeks": len(weeks),
        "inspections": inspections,
        "hit_rate": found / inspections if inspections else None,
        "frauds_caught": found / frauds if frauds else None,
        "revenue_caught": sum(w.revenue_found for w in weeks) / revenue if revenue else None,
    }


def from_synthetic(folder: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The synthetic economy's declarations with their ground truth, and AEO status on each
    declaration's date, as ``simulate`` takes them."""
    from greenlane.core.risk import mapping
    from greenlane.core.risk.frames import read_frame
    from greenlane.core.risk.selectivity import certified_on

    frame, _ = read_frame([folder / "declarations.parquet"], mapping.named("greenlane"))
    truth = pd.read_parquet(folder / "truth.parquet")[
        ["declaration_number", "fraud", "revenue_at_stake"]
    ]
    frame = frame.merge(truth, left_on="number", right_on="declaration_number", how="left")
    periods: dict[str, list[tuple[object, object | None]]] = {}
    for row in pd.read_parquet(folder / "aeo_authorisations.parquet").itertuples():
        end = None if pd.isna(row.valid_to) else row.valid_to
        periods.setdefault(row.operator_code, []).append((row.valid_from, end))
    dates = [d.date() for d in frame["declaration_date"]]
    return frame, certified_on(frame["importer_code"].astype(str).tolist(), dates, periods)
