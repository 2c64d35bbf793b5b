"""Benchmark: the synthetic economy streamed to Parquet.

Measures rows per second and peak resident memory for N declarations (default 1M), against a
reference workload run in the same process: as many rows of random float columns as the
economy writes columns, drawn with numpy and written with the same Parquet writer. Random
floats do not compress, so the reference is dominated by encoding and I/O; the ratio tracks
the economy's own cost across changes and machines.

    python bench/synth.py [--rows 1000000] [--repeat 3] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from greenlane.core.synth import SynthConfig, generate

MARK = "bench/synth.py"
COLUMNS = 15 + 5 + 6 + 23  # declarations + truth + inspections (upper bound) + consignments


class PeakRSS:
    """Sample this process's resident memory every 5 ms; keep the peak."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._proc = psutil.Process()

    def __enter__(self) -> PeakRSS:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def baseline(rows: int, out: Path, chunk: int = 100_000) -> None:
    rng = np.random.default_rng(0)
    writer = None
    for first in range(0, rows, chunk):
        n = min(chunk, rows - first)
        table = pa.table({f"c{i}": rng.random(n) for i in range(COLUMNS)})
        if writer is None:
            writer = pq.ParquetWriter(out / "baseline.parquet", table.schema, compression="zstd")
        writer.write_table(table)
    if writer is not None:
        writer.close()


def synth(rows: int, out: Path) -> None:
    generate(SynthConfig(seed=1, operators=10_000, declarations=rows, start=date(2025, 1, 1)), out)


def measure(fn: Callable[[int, Path], None], rows: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp, PeakRSS() as rss:
        start = time.perf_counter()
        fn(rows, Path(tmp))
        elapsed = time.perf_counter() - start
    return elapsed, rss.peak


def run(rows: int, repeat: int) -> dict[str, float]:
    base_t, synth_t, synth_rss = [], [], []
    for _ in range(repeat):  # interleaved, so drift in machine load hits both alike
        t, _ = measure(baseline, rows)
        base_t.append(t)
        t, peak = measure(synth, rows)
        synth_t.append(t)
        synth_rss.append(peak)
    b, s = statistics.median(base_t), statistics.median(synth_t)
    return {
        "rows": rows,
        "baseline_s": b,
        "synth_s": s,
        "ratio": s / b,
        "rows_per_s": rows / s,
        "peak_rss_mib": max(synth_rss) / 2**20,
    }


def report(r: dict[str, float]) -> str:
    ok_speed = "meets" if r["rows_per_s"] >= 200_000 else "MISSES"
    ok_mem = "meets" if r["peak_rss_mib"] < 1024 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Synthetic economy to Parquet (`bench/synth.py`)",
            "",
            f"{int(r['rows']):,} declarations with truth, inspections and consignment events, "
            f"10,000 operators; median of the runs on {os.cpu_count()} cores, "
            f"Python {platform.python_version()}.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| rows per second | {r['rows_per_s']:,.0f} | ≥ 200,000 ({ok_speed}) |",
            f"| peak RSS | {r['peak_rss_mib']:,.0f} MiB | < 1,024 MiB ({ok_mem}) |",
            f"| time, synthetic economy | {r['synth_s']:.2f} s | |",
            f"| time, baseline (random columns, same writer) | {r['baseline_s']:.2f} s | |",
            f"| ratio synth / baseline | {r['ratio']:.2f} | |",
            "",
            f"The baseline writes as many rows of {COLUMNS} random float columns with the same "
            "Parquet writer in the same process; random floats do not compress, so it is bound by "
            "encoding and I/O. A ratio below 1 means the economy costs less than that reference.",
            f"<!-- {MARK} end -->",
        ]
    )


def cli(
    doc: str,
    mark: str,
    options: Callable[[argparse.ArgumentParser], None],
    section: Callable[[argparse.Namespace], str],
    argv: list[str],
) -> int:
    """The command line every benchmark shares: its own options, then ``--write PATH``
    (docs/benchmarks.md) or ``--no-write``; prints the section and writes it in place.
    Stopped from outside (SIGTERM, a test's timeout), it leaves through its ``finally`` blocks,
    which stop the servers and databases a benchmark started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    options(parser)
    parser.add_argument("--write", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    text = section(args)
    print(text)
    if not args.no_write:
        write(args.write, text, mark)
    return 0


def write(path: Path, section: str, mark: str = MARK) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or add it)."""
    begin, end = f"<!-- {mark} begin -->", f"<!-- {mark} end -->"
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmarks\n\nWritten by the scripts under `bench/`.\n"
    )
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=3)

    return cli(__doc__ or "", MARK, options, lambda a: report(run(a.rows, a.repeat)), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
