"""Which worker is dead: its process gone on this host, or a task far too long on another."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

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


def test_a_worker_on_another_host_is_dead_only_past_the_timeout(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TASK_TIMEOUT = 3600
    now = timezone.now()
    assert not jobs._dead("elsewhere:123:abc", now - timedelta(minutes=59))
    assert jobs._dead("elsewhere:123:abc", now - timedelta(minutes=61))
    assert not jobs._dead("a-random-id-from-another-worker", None)
