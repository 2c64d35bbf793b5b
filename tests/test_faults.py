"""Faults: a process killed in the middle of its work leaves no trace of it, and the work can
simply be done again."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.bench_runner import run_bench
from tests.conftest import ON_POSTGRES
from tests.installation import command, greenlane, installation

pytestmark = pytest.mark.slow

ROWS = 120_000  # the kill comes after MID_WRITE_BYTES, about a sixth of the way in
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


def _synthesise_and_migrate(env: dict[str, str], tmp_path: Path, seed: int) -> None:
    """``ROWS`` synthetic declarations under ``tmp_path/synth``, and a migrated database."""
    made = greenlane(
        env, "synth", str(tmp_path / "synth"), "--declarations", str(ROWS),
        "--operators", "500", "--seed", str(seed),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert greenlane(env, "migrate").returncode == 0


def test_an_ingest_killed_in_the_middle_leaves_no_batch_and_a_rerun_completes(
    tmp_path: Path,
) -> None:
    with installation(tmp_path / "var", "greenlane_kill") as env:
        _synthesise_and_migrate(env, tmp_path, seed=5)
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


QUEUE_UPLOAD = """
from django.core.files import File
from greenlane.apps.accounts.models import User
from greenlane.apps.declarations import services
user = User.objects.get(username="ops")
with open({path!r}, "rb") as handle:
    upload = services.submit_upload(user, File(handle, name="declarations.parquet"), "greenlane")
print(upload.pk)
"""

STATE = """
import json
from django_tasks_db.models import DBTaskResult
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration, IngestBatch, Upload
upload = Upload.objects.get()
print(json.dumps({
    "upload": upload.status, "message": upload.message,
    # the ingest's attempts (the notice telling the uploader is mailed by a task of its own)
    "tasks": sorted(r.status for r in DBTaskResult.objects.filter(task_path__contains="ingest")),
    "batches": IngestBatch.objects.count(), "declarations": Declaration.objects.count(),
    "audit_ok": audit.verify()[1] is None,
}))
"""


def _state(env: dict[str, str]) -> dict[str, object]:
    import json

    done = greenlane(env, "manage", "shell", "-c", STATE)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def prepare_for_an_upload(env: dict[str, str], tmp_path: Path) -> str:
    """A migrated installation without scheduled work, its administrator ``ops``, and
    ``ROWS`` synthetic declarations to hand in (their file's path)."""
    env |= {"GREENLANE_MONITORING_SCHEDULE": "off", "GREENLANE_RETRAIN_SCHEDULE": "off"}
    _synthesise_and_migrate(env, tmp_path, seed=6)
    admin = greenlane(
        env | {"GREENLANE_ADMIN_PASSWORD": "a-long-enough-passphrase-17"}, "createadmin", "ops"
    )
    assert admin.returncode == 0, admin.stdout + admin.stderr
    return str(tmp_path / "synth" / "declarations.parquet")


def test_a_worker_killed_in_the_middle_of_a_task_leaves_it_to_be_run_again_once(
    tmp_path: Path,
) -> None:
    with installation(tmp_path / "var", "greenlane_worker") as env:
        data = prepare_for_an_upload(env, tmp_path)
        queued = greenlane(env, "manage", "shell", "-c", QUEUE_UPLOAD.format(path=data))
        assert queued.returncode == 0, queued.stderr
        before = _uncommitted_bytes(env)
        worker = subprocess.Popen(
            command(env, "worker"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 180
            while _uncommitted_bytes(env) - before < MID_WRITE_BYTES:
                assert worker.poll() is None, "the worker stopped by itself"
                assert time.monotonic() < deadline, "the worker never started writing"
                time.sleep(0.02)
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.kill()
            worker.wait(timeout=30)
        stuck = _state(env)
        assert (stuck["upload"], stuck["tasks"]) == ("running", ["RUNNING"])
        assert (stuck["batches"], stuck["declarations"]) == (0, 0)  # nothing half-written
        # The next worker sees the task's worker is gone, queues it again and runs it.
        rerun = greenlane(env, "worker", "--once")
        assert rerun.returncode == 0, rerun.stderr
        assert "queued again" in rerun.stderr
        done = _state(env)
        assert done["upload"] == "done", done["message"]
        assert done["tasks"] == ["FAILED", "SUCCESSFUL"]  # the dead attempt, the one that ran
        assert (done["batches"], done["declarations"]) == (1, ROWS)  # done once
        assert done["audit_ok"]
        # Another worker finds nothing more to do: the task is never run twice.
        again = greenlane(env, "worker", "--once")
        assert again.returncode == 0
        assert "queued again" not in again.stderr
        assert _state(env)["declarations"] == ROWS


@pytest.mark.once  # it brings its own PostgreSQL server, whatever the leg's database
def test_when_postgresql_restarts_under_load_requests_fail_cleanly_and_the_service_recovers(
    tmp_path: Path,
) -> None:
    """A real restart of a PostgreSQL server of the test's own (`bench/outage.py` in reduced
    form: one restart, a short outage), under load, while the worker is writing an ingest."""
    out = tmp_path / "benchmarks.md"
    # The script checks every answer (503 or the normal one during the outage, never a trace;
    # the normal one after), the ingest done once after its recovery, the same server and
    # worker, the audit chain; it exits 1 and says what failed otherwise.
    run_bench("outage.py", out, "--users", "4", "--outage", "3", "--restarts", "1",
           "--rows", "150000", "--after", "3", "--patience", "240", timeout=900)  # fmt: skip
    text = out.read_text()
    assert "assess API 503:" in text  # the outage was seen
    assert "health check 503:" in text
    assert "done, 1 batch, 150,000 declarations" in text
    assert "the database went away while it ran" in text  # the ingest was caught by it
    assert "Problems: 0." in text
