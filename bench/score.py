"""Benchmark: scoring declarations from Parquet, features included.

Fits the risk model once on a synthetic training year (its inspection results), then, in the
same process, times on N other declarations (default 1M):
- baseline: bare LightGBM prediction on the prepared feature matrix (a float matrix in memory);
- scoring: read and validate the Parquet file, build the features, predict (the compiled
  booster, as the product scores; compiling is done once per model and reported apart).
Reports rows/s and the ratio scoring / bare prediction.

    python bench/score.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from greenlane.core.risk import mapping
from greenlane.core.risk.frames import read_frame
from greenlane.core.risk.model import COMPILE_ROWS, THREADS, RiskModel
from greenlane.core.synth import SynthConfig, generate
from synth import cli

MARK = "bench/score.py"
RUNS = 3  # timed runs after one warm-up; the median is reported


def run(rows: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="greenlane-score-"))
    layout = mapping.named("greenlane")
    train_dir, test_dir = tmp / "train", tmp / "test"
    year = {"operators": 5_000, "consignments": False}
    generate(SynthConfig(seed=21, declarations=200_000, start=date(2025, 1, 1), **year), train_dir)  # type: ignore[arg-type]
    generate(SynthConfig(seed=22, declarations=rows, start=date(2026, 1, 1), **year), test_dir)  # type: ignore[arg-type]
    train, _ = read_frame([train_dir / "declarations.parquet"], layout)
    results = pd.read_parquet(train_dir / "inspections.parquet")[
        ["declaration_number", "fraud_found"]
    ]
    train = train.merge(results, how="left", left_on="number", right_on="declaration_number")
    model = RiskModel().fit(train.rename(columns={"fraud_found": "fraud"}))

    started = time.perf_counter()
    compiled = model.compiled(cache=tmp / "compiled")
    compile_s = time.perf_counter() - started

    def score() -> tuple[pd.DataFrame, np.ndarray]:
        frame, rejected = read_frame([test_dir / "declarations.parquet"], layout)
        assert rejected == 0
        return frame, model.predict_proba(frame)[:, 1]

    started = time.perf_counter()
    frame, scores = score()  # warm-up: the process's memory pools, the file in page cache
    cold = time.perf_counter() - started
    assert len(scores) == rows
    scoring = _median_time(score)

    matrix = model.features_.matrix(frame)
    baseline = _median_time(lambda: model.booster_.booster_.predict(matrix, num_threads=THREADS))
    bare = np.asarray(model.booster_.booster_.predict(matrix, num_threads=THREADS))
    raw = compiled.predict(matrix, n_jobs=THREADS) if compiled is not None else bare
    assert np.allclose(raw, bare, rtol=0, atol=1e-9)  # the same model, whichever runs it
    return {
        "rows": rows,
        "scoring_s": scoring,
        "baseline_s": baseline,
        "compile_s": compile_s,
        "cold_rows_per_s": rows / cold,
        "rows_per_s": rows / scoring,
        "ratio": scoring / baseline,
        "compiled": compiled is not None and rows >= COMPILE_ROWS,
    }


def _median_time(work: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(r: dict[str, float]) -> str:
    verdict = "meets" if r["rows_per_s"] >= 300_000 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Scoring from Parquet (`bench/score.py`)",
            "",
            f"{int(r['rows']):,} synthetic declarations read, validated, featurised and scored "
            f"by a model trained on a synthetic year; {os.cpu_count()} cores. Times are the "
            f"median of {RUNS} runs after a warm-up run in the same process.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| scoring, rows per second | {r['rows_per_s']:,.0f} | ≥ 300,000 ({verdict}) |",
            f"| scoring time | {r['scoring_s']:.2f} s | |",
            "| first run in a fresh process (memory pools cold), rows per second | "
            f"{r['cold_rows_per_s']:,.0f} | |",
            "| baseline: bare LightGBM prediction on the prepared matrix | "
            f"{r['baseline_s']:.2f} s | |",
            f"| ratio scoring / bare prediction | {r['ratio']:.2f} | |",
            f"| compiling the booster (once per model, cached) | {r['compile_s']:.2f} s | |",
            f"| compiled prediction used | {'yes' if r['compiled'] else 'no'} | |",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=1_000_000)

    return cli(__doc__ or "", MARK, options, lambda a: report(run(a.rows)), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
