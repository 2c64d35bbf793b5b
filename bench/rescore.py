"""Benchmark: scoring the declarations stored in PostgreSQL, as after a promotion.

Generates a training year and N other declarations (default 1M) with the synthetic economy,
ingests both into a scratch PostgreSQL database, trains a model on the training year (not
active), then in one process:
- baseline: what `bench/score.py` measures on the same N declarations: read and validate
  the Parquet file, build the features, predict with the compiled booster;
- stored: `greenlane.apps.targeting.scoring.score_stored` with that version: read the
  declarations it has not scored from the database chunk by chunk, score them, write the
  scores back, each chunk committed, then reasons for the version's top scores.
Reports rows/s and the ratio stored / baseline (the daily-loop issue asks for ≥ 0.5).

    python bench/rescore.py [--rows 1000000] [--training 200000] [--server postgres://...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import scratch_database
from synth import cli

MARK = "bench/rescore.py"


def run(rows: int, server: str, training: int) -> dict[str, float]:
    from greenlane.core.synth import SynthConfig, generate

    tmp = Path(tempfile.mkdtemp(prefix="greenlane-rescore-"))
    for seed, n, start, folder in ((31, training, 2025, "train"), (32, rows, 2026, "test")):
        config = SynthConfig(
            seed=seed, declarations=n, start=date(start, 1, 1), operators=5_000, consignments=False
        )
        generate(config, tmp / folder)
    with scratch_database(server, f"greenlane_rescore_{os.getpid()}", tmp / "var"):
        version = _load_and_train(tmp)
        baseline = _baseline(version, tmp / "test" / "declarations.parquet")
        stored, scored = _stored(version)
    return {
        "rows": rows,
        "training": training,
        "scored": scored,
        "baseline_s": baseline,
        "stored_s": stored,
        "rows_per_s": scored / stored,
        "baseline_rows_per_s": rows / baseline,
        "ratio": (scored / stored) / (rows / baseline),
    }


def _load_and_train(tmp: Path) -> object:
    """The training year with its inspection results and the N declarations, ingested as any
    file is; a version trained on the year, left inactive (so nothing is scored yet)."""
    from greenlane.apps.declarations import ingest
    from greenlane.apps.targeting import services
    from greenlane.core.risk import mapping

    for folder in ("train", "test"):
        ingest.ingest(tmp / folder / "declarations.parquet", mapping.named("greenlane"))
    ingest.ingest(tmp / "train" / "inspections.parquet", mapping.named("greenlane-inspections"))
    return services.train(activate=False)


def _baseline(version: object, path: Path) -> float:
    """Score the Parquet file as `bench/score.py` does, with the same fitted model."""
    from greenlane.apps.targeting import services
    from greenlane.core.risk import mapping
    from greenlane.core.risk.frames import read_frame

    model = services.load(version)  # type: ignore[arg-type]
    model.compiled()  # compiled once per model, before either side is timed
    model.predict_proba(read_frame([path], mapping.named("greenlane"))[0].head(1000))  # warm-up
    started = time.perf_counter()
    frame, rejected = read_frame([path], mapping.named("greenlane"))
    assert rejected == 0
    model.predict_proba(frame)
    return time.perf_counter() - started


def _stored(version: object) -> tuple[float, int]:
    from greenlane.apps.declarations.models import Declaration
    from greenlane.apps.targeting import scoring

    started = time.perf_counter()
    result = scoring.score_stored(version)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert result.scored == Declaration.objects.count()
    return elapsed, result.scored


def report(r: dict[str, float]) -> str:
    verdict = "meets" if r["ratio"] >= 0.5 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Scoring the declarations on record (`bench/rescore.py`)",
            "",
            f"A version trained on a synthetic year of {int(r['training']):,} declarations "
            f"scores what it has not scored: those and {int(r['rows']):,} others "
            f"({int(r['scored']):,} in all), in PostgreSQL, as after a promotion; on "
            f"{os.cpu_count()} cores shared with the PostgreSQL server.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| stored, rows per second | {r['rows_per_s']:,.0f} | |",
            f"| stored, time | {r['stored_s']:.1f} s | |",
            f"| baseline: `bench/score.py`'s scoring from Parquet, rows per second | "
            f"{r['baseline_rows_per_s']:,.0f} | |",
            f"| ratio stored / baseline | {r['ratio']:.2f} | ≥ 0.5 ({verdict}) |",
            "",
            "Stored scoring reads each chunk of 100,000 declarations with `COPY ... TO STDOUT` "
            "into Arrow, builds the features, predicts fraud and revenue with both boosters "
            "compiled by lleaves (the revenue model compiled during the run, counted), writes "
            "the scores with `COPY ... FROM STDIN` and commits each chunk (a worker thread "
            "predicts the next chunk meanwhile), then gives reasons "
            "to the version's top 500; the baseline reads the same declarations from Parquet "
            "and predicts the fraud probability with the same compiled model, without the "
            "revenue model, reasons or writing. Decision 0021 says where the rest of the time "
            "goes.",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--training", type=int, default=200_000)
        parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")

    return cli(
        __doc__ or "", MARK, options, lambda a: report(run(a.rows, a.server, a.training)), argv
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
