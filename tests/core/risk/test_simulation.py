from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from greenlane.core.risk.simulation import Scenario, from_synthetic, simulate, summary
from greenlane.core.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def economy(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, np.ndarray]:
    out = tmp_path_factory.mktemp("sim")
    generate(
        SynthConfig(seed=4, operators=300, declarations=8_000, start=date(2025, 1, 1), days=56,
                    consignments=False),
        out,
    )  # fmt: skip
    return from_synthetic(out)


SCENARIO = Scenario(inspection_rate=0.05, warmup_weeks=2, seed=3, n_estimators=30)


def test_the_same_seed_replays_the_same_weeks(economy: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, aeo = economy
    first = simulate(frame, aeo, SCENARIO)
    again = simulate(frame, aeo, SCENARIO)
    assert [dataclasses.asdict(w) for w in first] == [dataclasses.asdict(w) for w in again]
    other = simulate(frame, aeo, dataclasses.replace(SCENARIO, seed=4))
    assert [w.inspections for w in other] == [w.inspections for w in first]  # capacity alike


def test_weeks_stay_within_capacity_and_the_model_beats_chance(
    economy: tuple[pd.DataFrame, np.ndarray],
) -> None:
    frame, aeo = economy
    weeks = simulate(frame, aeo, SCENARIO)
    assert len(weeks) == 8
    for week in weeks:
        assert week.inspections <= int(np.ceil(0.05 * week.declarations))
        assert week.random >= 1  # compliance sampling in every week, model or not
    base = frame["fraud"].mean()
    learned = [w for w in weeks if w.week >= 2]
    hits = sum(w.frauds_found for w in learned) / sum(w.inspections for w in learned)
    assert hits > 2 * base
    assert learned[-1].what_if[0]["rate"] == 0.01
    overall = summary(weeks)
    assert overall["inspections"] == sum(w.inspections for w in weeks)
    assert 0 < overall["revenue_caught"] <= 1


def test_the_aeo_reduction_lowers_aeo_inspection_rates(
    economy: tuple[pd.DataFrame, np.ndarray], tmp_path: Path
) -> None:
    frame, aeo = economy
    assert aeo.any()
    none = simulate(frame, aeo, dataclasses.replace(SCENARIO, aeo_reduction=0.0))
    strong = simulate(frame, aeo, dataclasses.replace(SCENARIO, aeo_reduction=0.9))
    rate = lambda weeks: np.mean([w.aeo_rate for w in weeks[2:] if w.aeo_rate is not None])  # noqa: E731
    assert rate(strong) < rate(none)


def test_greenlane_simulate_prints_the_weeks(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from greenlane.cli import app

    generate(
        SynthConfig(seed=5, operators=200, declarations=3_000, start=date(2025, 1, 1), days=28,
                    consignments=False),
        tmp_path,
    )  # fmt: skip
    result = CliRunner().invoke(app, ["simulate", str(tmp_path), "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["summary"]["weeks"] == 4
    assert len(document["weeks"]) == 4
    refused = CliRunner().invoke(app, ["simulate", str(tmp_path / "none")])
    assert "no synthetic economy here" in str(refused.exception)
