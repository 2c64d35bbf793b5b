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
    "tasks": sorted(r.status for r in DBTaskResult.objects.all()),
    "batches": IngestBatch.objects.count(), "declarations": Declaration.objects.count(),
    "audit_ok": audit.verify()[1] is None,
}))
"""


def _state(env: dict[str, str]) -> dict[str, object]:
    import json

    done = greenlane(env, "manage", "shell", "-c", STATE)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_worker_killed_in_the_middle_of_a_task_leaves_it_to_be_run_again_once(
    tmp_path: Path,
) -> None:
    with installation(tmp_path / "var", "greenlane_worker") as env:
        env |= {"GREENLANE_MONITORING_SCHEDULE": "off", "GREENLANE_RETRAIN_SCHEDULE": "off"}
        made = greenlane(
            env, "synth", str(tmp_path / "synth"), "--declarations", str(ROWS),
            "--operators", "500", "--seed", "6",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert greenlane(env, "migrate").returncode == 0
        admin = greenlane(
            env | {"GREENLANE_ADMIN_PASSWORD": "a-long-enough-passphrase-17"}, "createadmin", "ops"
        )
        assert admin.returncode == 0, admin.stdout + admin.stderr
        data = str(tmp_path / "synth" / "declarations.parquet")
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


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, key: str = "") -> tuple[int, str]:
    """GET, or with an API key the assess API's POST of one declaration."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url)
    if key:
        body = {"number": "N1", "declaration_date": "2026-12-01", "office_code": "SEA1",
                "importer_code": "OP1", "hs6": "850440", "origin_country": "CN",
                "net_mass_kg": 12, "customs_value": 1500}  # fmt: skip
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, ConnectionError) as exc:  # nobody listening (yet)
        return 0, str(exc)


@pytest.mark.postgres_only  # a database server going away is PostgreSQL's (SQLite is a file)
def test_when_the_database_goes_away_under_load_requests_fail_cleanly_and_then_recover(
    tmp_path: Path,
) -> None:
    """The server's connections are cut and new ones refused for a while (what a restart does
    to its clients), on a database of the test's own, while requests keep coming."""
    import threading

    from tests.installation import admin

    with installation(tmp_path / "var", "greenlane_outage") as env:
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        assert greenlane(env, "migrate").returncode == 0
        made = greenlane(env, "token", "create", "ASYCUDA")
        assert made.returncode == 0, made.stderr
        key = next(w for w in made.stdout.split() if w.startswith("gl_"))
        port = _free_port()
        server = subprocess.Popen(
            command(env, "serve", "--port", str(port), "--no-background"),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        # What each answers when all is well: the public register, the assess API (no model
        # trained in this empty installation: 409, after reading the key and the model registry),
        # and the health check.
        pages = {
            f"{base}/register/": 200, f"{base}/api/v1/declarations/assess": 409,
            f"{base}/healthz": 200,
        }  # fmt: skip
        seen: list[tuple[str, int, str]] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                for url in pages:
                    status, body = _get(url, key if "/assess" in url else "")
                    seen.append((url, status, body))

        try:
            deadline = time.monotonic() + 60
            while _get(f"{base}/healthz")[0] != 200:
                assert server.poll() is None, "the server did not start"
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
            users = [threading.Thread(target=load) for _ in range(4)]
            for user in users:
                user.start()
            time.sleep(1)
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            outage = len(seen)
            time.sleep(3)
            during = seen[outage:]
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            time.sleep(3)
            recovered = len(seen)
            time.sleep(2)
            stop.set()
            for user in users:
                user.join(timeout=30)
            after = seen[recovered:]
            assert server.poll() is None  # it was not restarted, and did not stop
        finally:
            stop.set()
            server.terminate()
            server.wait(timeout=30)
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    # During the outage: 503 for what needs the database, never another error nor a trace.
    assert during
    for url, status, body in during:
        assert status in (pages[url], 503), (url, status, body[:300])
        assert "Traceback" not in body
        if status == 503 and "/api/" in url:
            assert "database is unavailable" in body
    assert {url for url, status, _ in during if status == 503} == set(pages)
    # After: every request served again, by the same server.
    assert after
    assert all(status == pages[url] for url, status, _ in after), after[:5]
