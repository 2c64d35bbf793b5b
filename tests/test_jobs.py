"""Which worker is dead: its process gone on this host, or a task far too long on another."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from greenlane import jobs
from greenlane.core.words import english, read


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
    from greenlane.apps.declarations import services
    from greenlane.apps.declarations.models import Declaration, IngestBatch

    real_ingest, real_reachable = services.ingest.ingest, jobs.database_reachable
    calls: list[str] = []

    def cut_off(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("ingest")
        if len(calls) == 1:  # the first attempt meets the outage
            monkeypatch.setattr(jobs, "database_reachable", lambda: False)
            raise OperationalError("server closed the connection unexpectedly")
        monkeypatch.setattr(jobs, "database_reachable", real_reachable)
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(services.ingest, "ingest", cut_off)
    upload = _queued_upload()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert calls == ["ingest", "ingest"]
    assert upload.status == "done", upload.message
    assert (IngestBatch.objects.count(), Declaration.objects.count()) == (1, 2)
    # The queue shows the attempt that met the outage (taken up) and the one that ran.
    # (The notice telling the uploader is mailed by a task of its own, not counted here.)
    results = DBTaskResult.objects.filter(task_path__contains="ingest").order_by("enqueued_at")
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
    assert (upload.status, english(read(upload.message))) == (
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
    assert english(read(upload.message)).startswith(f"stopped {jobs.MAX_RESTARTS + 1} times")
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
    from greenlane.apps.declarations import services
    from greenlane.core.risk.mapping import MappingError

    real_finish, finishes = services._finish, []

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise MappingError("the mapping needs a column the file lacks")

    def finish(upload, status, message):  # type: ignore[no-untyped-def]
        finishes.append(status)
        if len(finishes) == 1:
            raise OperationalError("the database went away")
        real_finish(upload, status, message)

    monkeypatch.setattr(services.ingest, "ingest", refuse)
    monkeypatch.setattr(services, "_finish", finish)
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


# Queueing (``submit``), and every kind of job the apps declare.


def _kinds() -> dict[str, Callable[[], Any]]:
    """A record to run, for each model a job works on (a new kind needs one here)."""
    from greenlane.apps.declarations.models import Upload
    from greenlane.apps.monitoring.models import Run
    from greenlane.apps.targeting.models import ModelVersion, ScoringRun, SimulationRun, TrainingRun
    from tests import factories

    def upload() -> Upload:
        return Upload.objects.create(original_name="d.csv", mapping_name="kcs", file="d.csv",
                                     uploaded_by=factories.user("risk_analyst"))  # fmt: skip

    def simulation() -> SimulationRun:
        return SimulationRun.objects.create(
            period_from=date(2026, 1, 1), period_to=date(2026, 3, 31), inspection_rate=0.1,
            min_random_rate=0.01, exploration_share=0.1, aeo_reduction=0.5,
        )  # fmt: skip

    def scoring() -> ScoringRun:
        version = ModelVersion.objects.create(
            version=1, training_from=date(2025, 1, 1), training_to=date(2025, 6, 30),
            training_rows=10, labelled_rows=5, feature_schema=["x"], hyperparameters={},
            library_versions={}, metrics={}, artifact="models/v1.joblib", artifact_sha256="0",
        )  # fmt: skip
        return ScoringRun.objects.create(version=version, cause="an ingest")

    def study() -> Any:
        org = factories.organisation()
        return factories.study(org, factories.user("statistician", org), done=False)

    return {
        "declarations.Upload": upload,
        "monitoring.Run": lambda: Run.objects.create(as_of=date(2026, 6, 30)),
        "targeting.TrainingRun": TrainingRun.objects.create,
        "targeting.SimulationRun": simulation,
        "targeting.ScoringRun": scoring,
        "trs.Study": study,
    }


def _dead_worker() -> str:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return f"{socket.gethostname()[:32]}:{ended.stdout.strip()}:abc"


def _running_on_a_dead_worker(task_path: str, record: Any, worker: str) -> None:
    """``record``, queued with ``submit`` and claimed by ``worker``, which then died."""
    from django_tasks_db.models import DBTaskResult

    with jobs.atomic():
        jobs.submit(import_string(task_path), record)
    DBTaskResult.objects.get(pk=record.task_id).claim(worker)
    type(record).objects.filter(pk=record.pk).update(status="running")


@override_settings(**QUEUE)
@pytest.mark.django_db(transaction=True)
def test_every_kind_of_job_is_queued_again_once_when_its_worker_dies() -> None:
    from django_tasks_db.models import DBTaskResult

    jobs.discover()
    kinds = _kinds()
    assert len(jobs.RECOVERABLE) >= 5
    assert set(jobs.RECOVERABLE.values()) <= set(kinds), "a job's record has no maker here"
    worker, records = _dead_worker(), {}
    for task_path, label in jobs.RECOVERABLE.items():
        records[task_path] = kinds[label]()
        _running_on_a_dead_worker(task_path, records[task_path], worker)
    found = {f.task: f for f in jobs.recover()}
    assert set(found) == set(jobs.RECOVERABLE)
    for task_path, record in records.items():
        assert (found[task_path].worker, found[task_path].queued_again) == (worker, True)
        record.refresh_from_db()
        assert (record.status, english(read(record.message))) == (
            "queued",
            "restarted: the worker running it stopped",
        )
        again = DBTaskResult.objects.get(task_path=task_path, status="READY")
        assert again.args_kwargs["args"] == [record.pk]
        assert record.task_id == str(again.id)  # the record follows its new task
    assert jobs.recover() == []  # once


#: Where the jobs lived before they moved to their services: queue rows name these paths.
OLD_PATHS = {
    "greenlane.apps.declarations.tasks.ingest_upload": "declarations.Upload",
    "greenlane.apps.monitoring.tasks.run_monitoring": "monitoring.Run",
    "greenlane.apps.targeting.tasks.retrain_model": "targeting.TrainingRun",
    "greenlane.apps.targeting.simulation_tasks.run_simulation": "targeting.SimulationRun",
    "greenlane.apps.trs.tasks.run_study": "trs.Study",
}


@override_settings(**QUEUE)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("old_path", OLD_PATHS)
def test_a_queue_row_naming_where_a_job_used_to_live_is_still_recovered(old_path: str) -> None:
    from django_tasks_db.models import DBTaskResult

    label = OLD_PATHS[old_path]
    record, worker = _kinds()[label](), _dead_worker()
    _running_on_a_dead_worker(old_path, record, worker)
    DBTaskResult.objects.filter(pk=record.task_id).update(task_path=old_path)
    assert jobs._label(old_path) == label
    (found,) = jobs.recover()
    assert (found.task, found.record, found.queued_again) == (
        old_path, f"{label}:[{record.pk}]", True
    )  # fmt: skip
    assert DBTaskResult.objects.filter(status="READY").count() == 1


@pytest.mark.django_db
def test_the_immediate_backend_runs_a_submitted_job_once_its_block_has_ended(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Not inside the caller's transaction (before its record is committed), and not at all
    when the block fails."""
    from greenlane.apps.targeting import retraining
    from greenlane.apps.targeting.models import TrainingRun

    ran: list[int] = []
    monkeypatch.setattr(retraining, "execute", lambda record, step: ran.append(record.pk))
    with jobs.atomic():
        record = TrainingRun.objects.create()
        jobs.submit(retraining.retrain_model, record)
        assert ran == []
    assert ran == [record.pk]
    assert record.task_id  # read again: what the task did shows
    assert record.status == "running"  # claimed; the stand-in work records nothing
    made: list[TrainingRun] = []

    def fails() -> None:
        with jobs.atomic():
            made.append(TrainingRun.objects.create())
            jobs.submit(retraining.retrain_model, made[0])
            raise RuntimeError("the caller's block failed")

    with pytest.raises(RuntimeError):
        fails()
    assert ran == [record.pk]
    assert not TrainingRun.objects.filter(pk=made[0].pk).exists()


# Periodic work declares itself (``jobs.periodic``); the worker asks for what is switched on.


def test_the_worker_asks_for_the_periodic_work_the_apps_declare(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from greenlane.apps.accounts import access
    from greenlane.apps.certification import notices as reminders
    from greenlane.apps.monitoring import services as monitoring
    from greenlane.apps.notices import mail
    from greenlane.apps.targeting import retraining
    from greenlane.cli import worker

    jobs.discover()
    assert {s.name: (s.due, s.setting, s.on) for s in jobs.SCHEDULES.values()} == {
        "monitoring": (monitoring.schedule_due, "MONITORING_SCHEDULE", "daily"),
        "retraining": (retraining.schedule_due, "RETRAIN_SCHEDULE", "weekly"),
        "reminders": (reminders.remind_once, "REMINDERS", "daily"),
        # always on: the e-mail outbox, forgetting requests for access never confirmed
        "notices": (mail.outbox, None, ""),
        "access-requests": (access.forget_unconfirmed, None, ""),
    }
    always = {mail.outbox, access.forget_unconfirmed}
    settings.MONITORING_SCHEDULE, settings.RETRAIN_SCHEDULE = "daily", "weekly"
    settings.REMINDERS = "daily"
    assert set(worker._due()[1:]) == {
        monitoring.schedule_due,
        retraining.schedule_due,
        reminders.remind_once,
        *always,
    }
    settings.MONITORING_SCHEDULE = "off"
    settings.REMINDERS = "off"
    assert set(worker._due()[1:]) == {retraining.schedule_due, *always}
    settings.RETRAIN_SCHEDULE = "off"
    assert set(worker._due()[1:]) == always  # recovery and the work that is always on
    # A schedule declared anywhere is asked for: the worker holds no list of its own.
    monkeypatch.setattr(jobs, "SCHEDULES", dict(jobs.SCHEDULES))
    settings.MONITORING_SCHEDULE = "daily"
    another = jobs.periodic("test", setting="MONITORING_SCHEDULE", on="daily")(lambda day: None)
    assert set(worker._due()[1:]) == {monitoring.schedule_due, another, *always}
