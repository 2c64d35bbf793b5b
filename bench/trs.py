"""Benchmark: the Time Release Study's metric set on N consignments (default 10M), DuckDB.

Writes N synthetic consignments (wide event log, Parquet), then in one process:
- checks: reading and checking the event log (``core.trs.events``), reported apart;
- metrics: the full metric set (``core.trs.metrics.run``: every interval's statistics,
  targets, outlier rule, eight breakdowns, hour x weekday, release curves) on DuckDB;
- baseline: the same figures computed with pandas on the same in-memory table;
- AEO effect: stratified estimate and 200 bootstrap replicates, reported apart.
Asserts that DuckDB and pandas agree, reports seconds and the ratio pandas / DuckDB.

    python bench/trs.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from greenlane.core.trs import effect, events, metrics
from synth import cli

MARK = "bench/trs.py"
HOUR = 3600


def consignments(rows: int, seed: int = 0) -> pa.Table:
    """Consignments with the stages and attributes of a real event log, drawn with numpy."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00:00", "s").astype(np.int64)
    office = rng.integers(0, 12, rows)
    aeo = rng.random(rows) < 0.25
    channel = rng.choice(3, rows, p=[0.7, 0.2, 0.1])
    speed = 0.6 + office / 10
    arrival = start + rng.integers(0, 365 * 24 * HOUR, rows)
    unloaded = arrival + (rng.gamma(2, 2, rows) * HOUR).astype(np.int64)
    lodged = arrival + (rng.normal(2, 8, rows) * HOUR).astype(np.int64)
    registered = lodged + (rng.uniform(0.05, 1, rows) * HOUR).astype(np.int64)
    doc = rng.gamma(2, 3, rows) * speed * np.where(aeo, 0.5, 1.0)
    red = channel == 2
    exam_start = registered + (doc * HOUR).astype(np.int64)
    exam_end = exam_start + (rng.gamma(3, 1.3, rows) * HOUR).astype(np.int64)
    ready = np.maximum(np.where(red, exam_end, exam_start), np.maximum(unloaded, registered))
    release = ready + (rng.uniform(0.1, 2, rows) * HOUR).astype(np.int64)
    exit_ = release + (rng.gamma(2, 6, rows) * HOUR).astype(np.int64)

    def ts(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        return pa.array(values, pa.timestamp("s"), mask=mask)

    def codes(values: np.ndarray, names: list[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(values, pa.int32()), pa.array(names))

    hs = [f"{c:02d}{i:04d}" for c in (3, 8, 39, 61, 62, 84, 85, 87, 90, 94) for i in range(10, 20)]
    return pa.table(
        {
            "consignment_id": pa.array(np.char.add("C", np.arange(rows).astype(str))),
            "office_code": codes(office, [f"OF{i:02d}" for i in range(12)]),
            "transport_mode": codes(office % 4, ["1", "3", "4", "5"]),
            "channel": codes(channel, ["green", "yellow", "red"]),
            "aeo": pa.array(aeo),
            "pre_arrival": pa.array(lodged < arrival),
            "other_agency": pa.array(rng.random(rows) < 0.15),
            "hs6": codes(rng.integers(0, len(hs), rows), hs),
            "customs_value": pa.array(np.round(rng.lognormal(9, 1.2, rows), 2)),
            "arrival": ts(arrival),
            "unloaded": ts(unloaded),
            "lodged": ts(lodged),
            "registered": ts(registered),
            "exam_start": ts(exam_start, ~red),
            "exam_end": ts(exam_end, ~red),
            "release": ts(release),
            "exit": ts(exit_),
        }
    )


def with_pandas(table: pa.Table, settings: metrics.Settings) -> dict[str, Any]:
    """The metric set, computed with pandas (the baseline)."""
    frame = table.to_pandas()
    seconds = {}
    for c in events.STAGE_NAMES:
        if c in frame:
            values = frame[c].to_numpy(dtype="datetime64[s]")
            seconds[c] = pd.Series(
                np.where(np.isnat(values), np.nan, values.astype("int64")), index=frame.index
            )
    hours = {}
    for interval in metrics.INTERVALS:
        if interval.start in seconds and interval.end in seconds:
            value = (seconds[interval.end] - seconds[interval.start]) / 3600
            hours[interval.name] = value.clip(lower=0) if interval.floor_zero else value
    data = pd.DataFrame(hours)
    total = data["total"]
    q1, q3 = total.quantile([0.25, 0.75])
    limit = q3 + (settings.iqr_factor or 0) * (q3 - q1)
    keep = (total <= (settings.max_hours or np.inf)) & (total <= limit)
    data = data[keep]
    frame = frame[keep.to_numpy()]
    out: dict[str, Any] = {"consignments": int(keep.sum()), "intervals": {}}
    for name in data:
        column = data[name].dropna()
        out["intervals"][name] = {
            "n": len(column),
            "mean": column.mean(),
            "median": column.median(),
            "p90": column.quantile(0.9),
            "std": column.std(),
        }
    out["targets"] = [float((data["total"] <= h).mean()) for h in settings.targets_hours]
    chapters = frame["hs6"].astype(str).str[:2].astype(int)
    starts = [first for first, _ in metrics.HS_SECTIONS]
    names = [name for _, name in metrics.HS_SECTIONS]
    section = pd.Series(
        np.array(names)[np.searchsorted(starts, chapters.to_numpy(), side="right") - 1],
        index=frame.index,
    )
    keys = {**{c: frame[c].astype(str) for c in metrics.BREAKDOWNS if c in frame}}
    keys["hs_section"] = section
    out["breakdowns"] = {}
    for name, key in keys.items():
        grouped = data["total"].groupby(key.to_numpy())
        out["breakdowns"][name] = grouped.agg(["count", "mean", "median", "std"]).assign(
            p90=grouped.quantile(0.9)
        )
    arrival = frame["arrival"]
    out["pattern"] = (
        data["total"].groupby([arrival.dt.dayofweek, arrival.dt.hour]).agg(["count", "mean"])
    )
    buckets = np.ceil(data["total"] / settings.curve_step_hours).astype(int).value_counts()
    out["curve"] = buckets.sort_index().cumsum() / len(data)
    return out


def run(rows: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="greenlane-trs-"))
    path = tmp / "consignments.parquet"
    pq.write_table(consignments(rows), path)
    settings = metrics.Settings()

    started = time.perf_counter()
    log = events.read_events(path)
    checks = time.perf_counter() - started
    assert log.consignments.num_rows == rows, log.rejected[:3]

    backend = metrics.connect("duckdb")
    table = metrics.load(backend, log.consignments)
    started = time.perf_counter()
    result = metrics.run(backend, table, settings)
    duck = time.perf_counter() - started

    started = time.perf_counter()
    baseline = with_pandas(log.consignments, settings)
    pandas_s = time.perf_counter() - started

    total = next(i for i in result.intervals if i["name"] == "total")
    assert result.consignments == baseline["consignments"]
    for key in ("mean", "median", "p90", "std"):
        assert np.isclose(total[key], baseline["intervals"]["total"][key], rtol=1e-9), key

    started = time.perf_counter()
    aeo = effect.estimate(backend, table, effect.EffectSettings(replicates=200))
    effect_s = time.perf_counter() - started
    assert aeo.matched_hours is not None
    assert aeo.matched_hours > 0
    return {
        "rows": rows,
        "checks_s": checks,
        "duckdb_s": duck,
        "pandas_s": pandas_s,
        "ratio": pandas_s / duck,
        "effect_s": effect_s,
    }


def report(r: dict[str, float]) -> str:
    verdict = "meets" if r["duckdb_s"] < 60 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Time Release Study metrics (`bench/trs.py`)",
            "",
            f"{int(r['rows']):,} synthetic consignments (wide event log, Parquet); "
            f"{os.cpu_count()} cores. The full metric set: every interval's n, mean, median, "
            "P90, standard deviation, min and max; targets; the outlier rule; eight "
            "breakdowns; hour x weekday; release curves (all, AEO, other).",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| full metric set on DuckDB | {r['duckdb_s']:.1f} s | < 60 s ({verdict}) |",
            f"| the same figures with pandas (baseline) | {r['pandas_s']:.1f} s | |",
            f"| ratio pandas / DuckDB | {r['ratio']:.2f} | |",
            f"| reading and checking the event log | {r['checks_s']:.1f} s | |",
            f"| AEO effect (strata, 200 bootstrap replicates) | {r['effect_s']:.1f} s | |",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=10_000_000)

    return cli(__doc__ or "", MARK, options, lambda a: report(run(a.rows)), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
