"""Benchmark: ingesting synthetic declarations into PostgreSQL.

Generates N declarations (default 1M) with the synthetic economy, then in one process:
- baseline: COPY the same rows, already typed, into a bare table with the declaration columns
  (no reading, no validation, no indexes): what PostgreSQL itself costs;
- ingest: `greenlane.apps.declarations.ingest` on the Parquet file through the `greenlane`
  mapping (read, validate, check against records, COPY, inspection results, audit);
- the same ingest with the running totals' triggers removed, which says what keeping the
  totals costs: with, without, with, without, the tables emptied (TRUNCATE, so no dead rows
  are left to slow the next run) between runs; the second pair is reported.
Reports rows/s and the ratio ingest / baseline. Runs in a scratch database it creates and drops.

    python bench/ingest.py [--rows 1000000] [--server postgres://postgres@127.0.0.1:5432]
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

MARK = "bench/ingest.py"


def run(rows: int, server: str) -> dict[str, float]:
    from greenlane.core.synth import SynthConfig, generate

    tmp = Path(tempfile.mkdtemp(prefix="greenlane-bench-"))
    generate(
        SynthConfig(
            seed=5, operators=5_000, declarations=rows, start=date(2025, 1, 1), consignments=False
        ),
        tmp,
    )
    with scratch_database(server, f"greenlane_bench_{os.getpid()}", tmp / "var"):
        baseline = _baseline(tmp / "declarations.parquet")
        times = [_ingest(tmp / "declarations.parquet", tallies=i % 2 == 0) for i in range(4)]
        ingest_s, bare_s = times[2], times[3]
    return {
        "rows": rows,
        "baseline_s": baseline,
        "ingest_s": ingest_s,
        "tallies_share": (ingest_s - bare_s) / ingest_s,
        "rows_per_s": rows / ingest_s,
        "baseline_rows_per_s": rows / baseline,
        "ratio": ingest_s / baseline,
    }


def _baseline(path: Path) -> float:
    """COPY the typed rows, as CSV written by Arrow, into an unindexed temporary table."""
    import io

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from django.db import connection, transaction

    table = pq.read_table(path)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bare (number text, declaration_date date, office_code text,"
            " transport_mode text, declarant_code text, importer_code text, seller_code text,"
            " hs6 text, origin_country text, dispatch_country text, quantity numeric,"
            " net_mass_kg numeric, customs_value numeric, tax_rate numeric, duty_amount numeric)"
        )
        started = time.perf_counter()
        for batch in table.to_batches(max_chunksize=50_000):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, write_options=pacsv.WriteOptions(include_header=False))
            with cursor.cursor.copy("COPY bare FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getbuffer())
        return time.perf_counter() - started


def _ingest(path: Path, tallies: bool = True) -> float:
    """One ingest of the whole file, with or without the running totals' triggers; then the
    tables it wrote are emptied and the triggers are back."""
    from django.db import connection

    from greenlane.apps.declarations import ingest
    from greenlane.apps.tallies import triggers
    from greenlane.core.risk import mapping

    if not tallies:
        triggers.remove(connection)
    started = time.perf_counter()
    result = ingest.ingest(path, mapping.named("greenlane"))
    elapsed = time.perf_counter() - started
    assert result.rows_rejected == 0, result
    written = [
        "declarations_inspection", "declarations_declaration", "declarations_rejectedrow",
        "declarations_ingestbatch", *(c.tally for c in triggers.COUNTS),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(dict.fromkeys(written))} CASCADE")
    triggers.install(connection)
    return elapsed


def report(r: dict[str, float]) -> str:
    verdict = "meets" if r["rows_per_s"] >= 50_000 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Declarations into PostgreSQL (`bench/ingest.py`)",
            "",
            f"{int(r['rows']):,} synthetic declarations from Parquet through the `greenlane` "
            f"mapping, on {os.cpu_count()} cores.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| ingest, rows per second | {r['rows_per_s']:,.0f} | ≥ 50,000 ({verdict}) |",
            f"| ingest time | {r['ingest_s']:.2f} s | |",
            f"| baseline: bare COPY, rows per second | {r['baseline_rows_per_s']:,.0f} | |",
            f"| ratio ingest / bare COPY | {r['ratio']:.2f} | |",
            f"| share of the ingest time spent keeping the running totals | "
            f"{100 * r['tallies_share']:.0f} % | |",
            "",
            "The ingest reads the file, validates every row column-wise, looks up which "
            "numbers are already on record and COPYs the others straight into the table (its "
            "indexes: unique number, date, importer and date, declarant and date, seller and "
            "date, batch), "
            "then records the batch and the audit event, all in one transaction; the database's "
            "triggers add the rows to the running totals (per day, office and mode; per "
            "importer) in two grouped upserts per statement. The share compares two ingests "
            "of the same file into emptied tables, with and without the triggers. The baseline "
            "COPYs the already-typed rows into an unindexed temporary table. Both share the 2 "
            "cores with the PostgreSQL server.",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")

    return cli(__doc__ or "", MARK, options, lambda a: report(run(a.rows, a.server)), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
