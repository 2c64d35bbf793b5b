"""Which worker is dead: its process gone on this host, or a task far too long on another."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from greenlane import jobs


def test_a_worker_on_this_host_is_dead_when_its_process_is_gone() -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    host = socket.gethostname()[:32]
    now = timezone.now()
    assert jobs._dead(f"{host}:{ended.stdout.strip()}:abc", now)
    assert not jobs._dead(f"{host}:{os.getpid()}:abc", now - timedelta(days=30))
    assert jobs.worker_id().startswith(f"{host}:{os.getpid()}:")
    assert len(jobs.worker_id()) <= 64  # the queue's limit


def test_a_worker_whose_process_ended_unreaped_is_dead() -> None:
    """A worker killed under a parent that has not waited for it yet is a zombie: it still
    answers ``kill(pid, 0)``, and was taken for alive, so its task was never queued again."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = socket.gethostname()[:32]
        assert not jobs._dead(f"{host}:{child.pid}:abc", timezone.now())
        child.kill()
        deadline = time.monotonic() + 10
        while jobs._state(child.pid) != "Z":  # ended, not reaped (no wait() yet)
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(child.pid, 0)  # the zombie still answers a signal check
        assert jobs._dead(f"{host}:{child.pid}:abc", timezone.now())
    finally:
        child.kill()
        child.wait()


def test_a_worker_on_another_host_is_dead_only_past_the_timeout(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASK_TIMEOUT = 3600
    now = timezone.now()
    assert not jobs._dead("elsewhere:123:abc", now - timedelta(minutes=59))
    assert jobs._dead("elsewhere:123:abc", now - timedelta(minutes=61))
    assert not jobs._dead("a-random-id-from-another-worker", None)


# A database outage seen by a living worker: the job is left running, then queued again once.

QUEUE = {"TASKS": {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}}


def _queued_upload():  # type: ignore[no-untyped-def]
    from greenlane.apps.declarations.services import submit_upload
    from tests import factories
    from tests.apps.declarations.test_uploads import LAYOUT, _file
    from tests.core.risk.rows import good_row

    return submit_upload(factories.user("risk_analyst"), _file([good_row(0), good_row(1)]),
                         "kcs", LAYOUT)  # fmt: skip


def _claimed_by_a_retired_worker(running: bool = True):  # type: ignore[no-untyped-def]
    """A queued upload whose task a worker of this process claimed (alive, but retired after
    an outage); the upload itself *running*, or still *queued* (its own claim never ran)."""
    from django_tasks_db.models import DBTaskResult

    from greenlane.apps.declarations.models import Upload

    upload = _queued_upload()
    earlier = jobs.worker_id()
    DBTaskResult.objects.get().claim(earlier)
    if running:
        Upload.objects.filter(pk=upload.pk).update(status="running")
    return upload, earlier


@override_settings(**QUEUE)
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_database_went_away_is_queued_again_and_done_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    from greenlane.apps.audit.models import AuditEvent
    from greenlane.apps.declarations import tasks
    from greenlane.apps.declarations.models import Declaration, IngestBatch

    real_ingest, real_reachable = tasks.ingest.ingest, jobs.database_reachable
    calls: list[str] = []

    def cut_off(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("ingest")
        if len(calls) == 1:  # the first attempt meets the outage
            monkeypatch.setattr(jobs, "database_reachable", lambda: False)
            raise OperationalError("server closed the connection unexpectedly")
        monkeypatch.setattr(jobs, "database_reachable", real_reachable)
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(tasks.ingest, "ingest", cut_off)
    upload = _queued_upload()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert calls == ["ingest", "ingest"]
    assert upload.status == "done", upload.message
    assert (IngestBatch.objects.count(), Declaration.objects.count()) == (1, 2)
    # The queue shows the attempt that met the outage (taken up) and the one that ran.
    results = DBTaskResult.objects.order_by("enqueued_at")
    assert [r.status for r in results] == ["FAILED", "SUCCESSFUL"]
    assert results[0].exception_class_path == "greenlane.jobs.WorkerStopped"
    recovered = AuditEvent.objects.get(action="jobs.task.recovered")
    assert recovered.data["why"] == "the database went away while it ran"
    assert recovered.data["queued_again"] is True
    # Nothing is left to take up: another recovery queues nothing, the upload is not run again.
    assert jobs.recover() == []
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert calls == ["ingest", "ingest"]


@override_settings(**QUEUE)
@pytest.mark.django_db(transaction=True)
def test_a_task_of_a_retired_worker_id_of_this_process_is_queued_again() -> None:
    upload, earlier = _claimed_by_a_retired_worker()
    assert jobs.recover() == []  # its process lives: not taken up
    found = jobs.recover([earlier])
    assert [(f.record, f.worker, f.queued_again) for f in found] == [
        (f"declarations.Upload:[{upload.pk}]", earlier, True)
    ]
    upload.refresh_from_db()
    assert (upload.status, upload.message) == (
        "queued",
        "restarted: the database went away while it ran",
    )
    assert jobs.recover([earlier]) == []  # once
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert upload.status == "done"


@override_settings(**QUEUE)
@pytest.mark.django_db(transaction=True)
def test_a_record_still_queued_when_its_task_stopped_is_queued_again() -> None:
    """The database went away between the queue's claim and the job's own: the record never
    left *queued*, and its task is gone; recovery queues a task for it."""
    upload, earlier = _claimed_by_a_retired_worker(running=False)
    (found,) = jobs.recover([earlier])
    assert found.queued_again
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert upload.status == "done"


@override_settings(**QUEUE)
@pytest.mark.django_db(transaction=True)
def test_a_job_stopped_too_often_is_failed_for_a_person_to_look_at() -> None:
    from django_tasks_db.models import DBTaskResult

    from greenlane.apps.audit import services as audit

    upload, earlier = _claimed_by_a_retired_worker()
    record = f"declarations.Upload:[{upload.pk}]"
    for _ in range(jobs.MAX_RESTARTS):  # stopped and queued again that often already
        audit.record("jobs.task.recovered", None, ("jobs.task", "x"),
                     {"record": record, "queued_again": True})  # fmt: skip
    (found,) = jobs.recover([earlier])
    assert not found.queued_again
    upload.refresh_from_db()
    assert upload.status == "failed"
    assert upload.message.startswith(f"stopped {jobs.MAX_RESTARTS + 1} times")
    assert DBTaskResult.objects.filter(status="READY").count() == 0  # nothing queued


def test_connection_level_errors_are_told_from_others() -> None:
    import psycopg

    assert jobs.connection_lost(OperationalError("server closed the connection"))
    assert jobs.connection_lost(psycopg.OperationalError("connection refused"))
    outer = RuntimeError("ibis could not run the query")
    outer.__cause__ = psycopg.OperationalError("terminating connection")
    assert jobs.connection_lost(outer)
    assert not jobs.connection_lost(ValueError("a bad value"))
    assert not jobs.connection_lost(psycopg.errors.UniqueViolation("duplicate"))


@override_settings(**QUEUE)
@pytest.mark.django_db(transaction=True)
def test_a_failure_that_cannot_be_recorded_leaves_the_job_to_recovery(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The job failed for a reason of its own, and the database went away before the failure
    could be written: it is queued again, and the second attempt records the failure."""
    from greenlane.apps.declarations import tasks
    from greenlane.core.risk.mapping import MappingError

    real_finish, finishes = tasks._finish, []

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise MappingError("the mapping needs a column the file lacks")

    def finish(upload, status, message):  # type: ignore[no-untyped-def]
        finishes.append(status)
        if len(finishes) == 1:
            raise OperationalError("the database went away")
        real_finish(upload, status, message)

    monkeypatch.setattr(tasks.ingest, "ingest", refuse)
    monkeypatch.setattr(tasks, "_finish", finish)
    upload = _queued_upload()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert finishes == ["failed", "failed"]
    assert (upload.status, upload.message) == (
        "failed",
        "the mapping needs a column the file lacks",
    )


def test_the_worker_and_the_server_refuse_an_unmigrated_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.installation import greenlane, installation

    with installation(tmp_path / "var", "greenlane_unmigrated") as env:
        for command in (["worker", "--once"], ["serve", "--port", "0", "--no-background"]):
            done = greenlane(env, *command, timeout=120)
            assert done.returncode == 2, done.stdout + done.stderr
            assert "run `greenlane migrate`" in done.stderr
