"""Benchmark: AEO monitoring indicators for N operators over M declarations (default 10,000
operators, 10M declarations), on DuckDB and on PostgreSQL.

Synthetic declarations (a year; one in twenty inspected, a tenth of those with a finding)
go into each engine as plain tables; the timed part is ``core.monitoring.indicators`` for
the 90- and 365-day windows, the same expressions the application runs on its database.
Baseline in the same process: the same counts per operator with pandas ``groupby`` (without
peers), to give the engines' figures a scale. Both engines must agree.

    python bench/monitoring.py [--rows 10000000] [--operators 10000] [--pg-rows 10000000]
        [--server postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from greenlane.core.monitoring import indicators
from synth import cli

MARK = "bench/monitoring.py"
AS_OF = date(2026, 6, 30)
WINDOWS = (90, 365)


def tables(rows: int, operators: int, seed: int = 0) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    importer = rng.zipf(1.3, rows) % operators  # a few big importers, many small ones
    day = rng.integers(0, 365, rows)
    chapter = (importer * 7 + rng.integers(0, 3, rows)) % 97 + 1
    hs6 = np.char.add(np.char.zfill(chapter.astype(str), 2), "0000")
    ids = np.arange(1, rows + 1)
    inspected = rng.random(rows) < 0.05
    fraud = rng.random(int(inspected.sum())) < 0.1
    codes = np.char.add("OP", np.char.zfill(np.arange(operators).astype(str), 7))
    return {
        "declarations": pa.table(
            {
                "id": ids,
                "number": np.char.add("D", ids.astype(str)),
                "importer_code": codes[importer],
                "declaration_date": pa.array(
                    (np.datetime64(AS_OF) - day.astype("timedelta64[D]")), pa.date32()
                ),
                "hs6": hs6,
                "customs_value": np.round(rng.lognormal(8, 1, rows), 2),
            }
        ),
        "inspections": pa.table(
            {
                "declaration_id": ids[inspected],
                "fraud_found": fraud,
                "critical": fraud & (rng.random(len(fraud)) < 0.1),
                "revenue_recovered": np.where(fraud, 500.0, 0.0),
            }
        ),
        "operators": pa.table(
            {
                "code": codes,
                "size_class": rng.choice(["micro", "small", "medium", "large"], operators),
            }
        ),
    }


def _timed(backend: object, t: dict[str, object]) -> tuple[float, dict[int, list[dict]]]:
    started = time.perf_counter()
    out = {
        days: indicators.compute(
            backend, t["declarations"], t["inspections"], t["operators"], AS_OF, days
        )
        for days in WINDOWS
    }
    return time.perf_counter() - started, out


def on_duckdb(data: dict[str, pa.Table]) -> tuple[float, dict[int, list[dict]]]:
    backend = ibis.duckdb.connect()
    t = {name: backend.create_table(name, table) for name, table in data.items()}
    return _timed(backend, t)


def on_postgres(data: dict[str, pa.Table], server: str) -> tuple[float, dict[int, list[dict]]]:
    name = f"greenlane_bench_monitoring_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(f"{server}/{name}", autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE declarations (id bigint primary key, number text, importer_code "
                "text, declaration_date date, hs6 text, customs_value numeric(18,2));"
                "CREATE TABLE inspections (declaration_id bigint, fraud_found boolean, "
                "critical boolean, revenue_recovered numeric(16,2));"
                "CREATE TABLE operators (code text primary key, size_class text);"
            )
            for table_name, table in data.items():
                buffer = io.BytesIO()
                pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
                with conn.cursor().copy(f"COPY {table_name} FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
            conn.execute(
                "CREATE INDEX ON declarations (declaration_date); "
                "CREATE INDEX ON declarations (importer_code); "
                "CREATE INDEX ON inspections (declaration_id); ANALYZE"
            )
        backend = ibis.connect(f"{server}/{name}")
        try:
            t = {n: backend.table(n) for n in data}
            return _timed(backend, t)
        finally:
            backend.disconnect()
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")


def with_pandas(data: dict[str, pa.Table]) -> float:
    started = time.perf_counter()
    d = data["declarations"].to_pandas()
    i = data["inspections"].to_pandas().set_index("declaration_id")
    for days in WINDOWS:
        window = d[d["declaration_date"] >= pd.Timestamp(AS_OF - timedelta(days=days - 1)).date()]
        joined = window.join(i, on="id")
        joined["inspected"] = joined["fraud_found"].notna()
        joined["detected"] = joined["fraud_found"].eq(True)
        joined.groupby("importer_code").agg(
            declarations=("id", "size"),
            inspections=("inspected", "sum"),
            detections=("detected", "sum"),
        )
    return time.perf_counter() - started


def run(rows: int, operators: int, pg_rows: int, server: str) -> dict[str, float]:
    data = tables(rows, operators)
    duck_s, duck = on_duckdb(data)
    pandas_s = with_pandas(data)
    result = {
        "rows": rows, "operators": operators, "duckdb_s": duck_s, "pandas_s": pandas_s,
        "active": len(duck[365]), "pg_rows": 0, "postgres_s": float("nan"),
    }  # fmt: skip
    if pg_rows:
        pg_data = data if pg_rows == rows else tables(pg_rows, operators)
        pg_s, pg = on_postgres(pg_data, server)
        result.update(pg_rows=pg_rows, postgres_s=pg_s)
        reference = duck if pg_rows == rows else on_duckdb(pg_data)[1]
        for days in WINDOWS:
            a = {r["code"]: r for r in reference[days]}
            b = {r["code"]: r for r in pg[days]}
            assert a.keys() == b.keys()
            for code in list(a)[:500]:
                for key in ("declarations", "inspections", "detections", "peer_inspections"):
                    assert a[code][key] == b[code][key], (code, key)
    return result


def report(r: dict[str, float]) -> str:
    verdict = "meets" if r["duckdb_s"] < 60 else "MISSES"
    pg = (
        f"| indicators on PostgreSQL ({int(r['pg_rows']):,} declarations) | "
        f"{r['postgres_s']:.1f} s | |"
        if r["pg_rows"]
        else "| indicators on PostgreSQL | not run | |"
    )
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## AEO monitoring indicators (`bench/monitoring.py`)",
            "",
            f"{int(r['operators']):,} operators, {int(r['rows']):,} synthetic declarations over "
            f"a year (5% inspected), windows of 90 and 365 days with peer groups; "
            f"{os.cpu_count()} cores; {int(r['active']):,} operators active in the year.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| indicators on DuckDB (both windows, peers included) | {r['duckdb_s']:.1f} s "
            f"| < 60 s ({verdict}) |",
            pg,
            f"| baseline: counts per operator with pandas (no peers) | {r['pandas_s']:.1f} s | |",
            f"| ratio pandas / DuckDB | {r['pandas_s'] / r['duckdb_s']:.2f} | |",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=10_000_000)
        parser.add_argument("--operators", type=int, default=10_000)
        parser.add_argument("--pg-rows", type=int, default=10_000_000, help="0: skip PostgreSQL")
        parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")

    return cli(
        __doc__ or "",
        MARK,
        options,
        lambda a: report(run(a.rows, a.operators, a.pg_rows, a.server)),
        argv,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
