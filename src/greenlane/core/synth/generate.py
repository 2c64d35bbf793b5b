"""Stream the synthetic economy to Parquet files, chunk by chunk.

Each chunk draws from its own random stream, derived from the seed and the chunk number, so a
chunk's content depends only on (config, chunk number) and memory stays bounded by
``chunk_rows`` whatever the number of declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from greenlane.core.synth.config import SynthConfig
from greenlane.core.synth.declarations import Chunk, day_cdf, make_chunk
from greenlane.core.synth.economy import make_economy

Progress = Callable[[int, int], None]

FILES = (
    "operators",
    "aeo_authorisations",
    "declarations",
    "truth",
    "inspections",
    "consignments",
)
# Written without creation time or writer-specific metadata, so the bytes depend on data only.
PARQUET_OPTIONS = {"compression": "zstd", "use_dictionary": True, "write_statistics": True}


@dataclass(frozen=True)
class Summary:
    out_dir: Path
    operators: int
    authorisations: int
    declarations: int
    inspections: int
    frauds: int
    files: tuple[Path, ...]


def _write_table(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def generate(config: SynthConfig, out_dir: Path, progress: Progress | None = None) -> Summary:
    """Write the synthetic economy for ``config`` into ``out_dir``; report rows done/total."""
    out_dir.mkdir(parents=True, exist_ok=True)
    root = np.random.SeedSequence(config.seed)
    economy = make_economy(config, np.random.default_rng(root.spawn(1)[0]))
    _write_table(economy.operators, out_dir / "operators.parquet")
    _write_table(economy.authorisations, out_dir / "aeo_authorisations.parquet")

    cdf = day_cdf(config)
    inspections = frauds = 0
    writers: dict[str, pq.ParquetWriter] = {}
    with ExitStack() as stack:
        for first in range(0, config.declarations, config.chunk_rows):
            rows = min(config.chunk_rows, config.declarations - first)
            chunk_seed = np.random.SeedSequence(
                config.seed, spawn_key=(1, first // config.chunk_rows)
            )
            chunk = make_chunk(config, economy, cdf, first, rows, np.random.default_rng(chunk_seed))
            for name, table in _tables(chunk):
                if name not in writers:
                    writers[name] = stack.enter_context(
                        pq.ParquetWriter(
                            out_dir / f"{name}.parquet", table.schema, **PARQUET_OPTIONS
                        )
                    )
                writers[name].write_table(table)
            inspections += chunk.inspections.num_rows
            frauds += int(chunk.truth["fraud"].to_numpy().sum())
            if progress:
                progress(first + rows, config.declarations)
    files = tuple(
        out_dir / f"{name}.parquet" for name in FILES if (out_dir / f"{name}.parquet").exists()
    )
    return Summary(
        out_dir=out_dir,
        operators=economy.operators.num_rows,
        authorisations=economy.authorisations.num_rows,
        declarations=config.declarations,
        inspections=inspections,
        frauds=frauds,
        files=files,
    )


def _tables(chunk: Chunk) -> list[tuple[str, pa.Table]]:
    tables = [
        ("declarations", chunk.declarations),
        ("truth", chunk.truth),
        ("inspections", chunk.inspections),
    ]
    if chunk.consignments is not None:
        tables.append(("consignments", chunk.consignments))
    return tables
