"""Faults: a process killed in the middle of its work leaves no trace of it, and the work can
simply be done again."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES
from tests.installation import command, greenlane, installation

pytestmark = pytest.mark.slow

ROWS = 300_000
#: Written but not committed: the ingest is caught in the middle of its transaction.
MID_WRITE_BYTES = 4 << 20


def _uncommitted_bytes(env: dict[str, str]) -> int:
    """How much the ingest has written so far, committed or not: the declarations table's size
    on PostgreSQL (uncommitted rows live in the heap), the write-ahead log's on SQLite."""
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            row = conn.execute("SELECT pg_relation_size('declarations_declaration')").fetchone()
            return int(row[0]) if row else 0
    wal = Path(env["GREENLANE_VAR_DIR"]) / "greenlane.sqlite3-wal"
    return wal.stat().st_size if wal.exists() else 0


def _counts(env: dict[str, str]) -> dict[str, int]:
    tables = ("declarations_ingestbatch", "declarations_declaration", "declarations_rejectedrow")
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]
    import sqlite3

    with sqlite3.connect(Path(env["GREENLANE_VAR_DIR"]) / "greenlane.sqlite3") as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_an_ingest_killed_in_the_middle_leaves_no_batch_and_a_rerun_completes(
    tmp_path: Path,
) -> None:
    with installation(tmp_path / "var", "greenlane_kill") as env:
        made = greenlane(
            env, "synth", str(tmp_path / "synth"), "--declarations", str(ROWS),
            "--operators", "500", "--seed", "5",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert greenlane(env, "migrate").returncode == 0
        before = _uncommitted_bytes(env)
        data = str(tmp_path / "synth" / "declarations.parquet")
        process = subprocess.Popen(
            command(env, "ingest", data, "--mapping", "greenlane"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 180
            while _uncommitted_bytes(env) - before < MID_WRITE_BYTES:
                assert process.poll() is None, "the ingest ended before it was caught writing"
                assert time.monotonic() < deadline, "the ingest never started writing"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        # Nothing of the killed ingest is visible: no batch, no declaration, no rejected row.
        assert _counts(env) == dict.fromkeys(_counts(env), 0)
        again = greenlane(env, "ingest", data, "--mapping", "greenlane")
        assert again.returncode == 0, again.stderr
        counts = _counts(env)
        assert counts["declarations_ingestbatch"] == 1
        assert counts["declarations_declaration"] == ROWS
        audit = greenlane(env, "audit", "verify")
        assert audit.returncode == 0, audit.stdout + audit.stderr
