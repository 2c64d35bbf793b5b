"""The same study gives the same numbers on DuckDB, PostgreSQL and Spark."""

from __future__ import annotations

import gc
import math
import os
from datetime import date
from typing import Any

import pytest

from greenlane.core.synth import SynthConfig, generate
from greenlane.core.trs import metrics
from greenlane.core.trs.events import read_events


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, metrics.Results]:
    out = tmp_path_factory.mktemp("trs")
    generate(SynthConfig(seed=5, operators=120, declarations=3_000, start=date(2025, 1, 1)), out)
    log = read_events(out / "consignments.parquet")
    backend = metrics.connect("duckdb")
    return log.consignments, metrics.run(backend, metrics.load(backend, log.consignments))


def _same(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float | int):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def _compare(engine: str, url: str | None, study: tuple[Any, metrics.Results]) -> None:
    table, expected = study
    backend = metrics.connect(engine, url)
    try:
        got = metrics.run(backend, metrics.load(backend, table))
    finally:
        backend.disconnect()
    assert got.consignments == expected.consignments
    for name in (
        "excluded",
        "thresholds",
        "intervals",
        "targets",
        "breakdowns",
        "pattern",
        "curve",
    ):
        _same(getattr(expected, name), getattr(got, name), name)


@pytest.mark.postgres_only
def test_postgresql_gives_duckdbs_numbers(study: tuple[Any, metrics.Results]) -> None:
    _compare("postgres", os.environ["DATABASE_URL"], study)


@pytest.mark.once
@pytest.mark.slow
# PySpark reads results through local sockets it leaves to the garbage collector.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
def test_spark_gives_duckdbs_numbers(study: tuple[Any, metrics.Results]) -> None:
    _compare("spark", None, study)
    gc.collect()  # while this test's filter holds


def test_an_unknown_engine_or_a_missing_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        metrics.connect("oracle")
    with pytest.raises(ValueError, match="postgres:// database URL"):
        metrics.connect("postgres", "sqlite:///x")
