"""What ``greenlane serve`` runs: gunicorn with threaded workers whose clients must send their
requests in time, and a background worker that is watched and started again when it dies.

Slow clients. A worker thread reads a request itself, so a client that sends its headers or
body a byte at a time holds that thread (with two synchronous workers, two such clients stopped
the site). Each thread here gives a client ``header_seconds`` to send its headers and
``body_seconds`` for the body, extended by one second for every ``MIN_BYTES_PER_SECOND`` bytes
that arrive (Apache's ``mod_reqtimeout`` defaults); a client that falls behind is dropped (its
headers) or answered 408 (its body), and the thread is free again. gunicorn already waits for
a connection's first byte without taking a thread. Many threads per worker, and these
deadlines, keep the site answering while some clients are slow; no number of threads holds
out against as many slow clients, which is why production puts a proxy that buffers whole
requests in front (``docs/operations.md``).
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

#: A client may send its body no slower than this (after the first ``body_seconds``).
MIN_BYTES_PER_SECOND = 500


class SlowClient(TimeoutError):
    """The client did not send its request body in time."""


class PacedSocket:
    """A client socket whose reads must keep to a deadline: one for the headers, then one for
    the body that each received byte extends. Everything else goes to the socket itself."""

    def __init__(self, sock: Any, header_seconds: float, body_seconds: float) -> None:
        self._sock = sock
        self._header_seconds = header_seconds
        self._body_seconds = body_seconds
        self._deadline = math.inf
        self._body = False
        self._closing = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def expect_headers(self) -> None:
        self._body, self._deadline = False, time.monotonic() + self._header_seconds

    def expect_body(self) -> None:
        self._body, self._deadline = True, time.monotonic() + self._body_seconds

    def unpaced(self) -> None:
        self._body, self._deadline = False, math.inf

    def shutdown(self, how: int) -> None:
        self._closing = True
        self._sock.shutdown(how)

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self._closing:
            # gunicorn closes a connection on its main thread: after sending its end it reads
            # what the client still sends, for up to two seconds, so that unread bytes do not
            # reset the connection. A client that sends nothing and does not close would hold
            # the main thread (no new connection accepted) for those seconds: only what has
            # already arrived is read.
            self._sock.setblocking(False)  # a timeout would make Python wait first
            try:
                return self._sock.recv(size, flags)  # type: ignore[no-any-return]
            except (BlockingIOError, InterruptedError):
                return b""
        if self._deadline == math.inf:
            return self._sock.recv(size, flags)  # type: ignore[no-any-return]
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            return self._too_slow()
        before = self._sock.gettimeout()
        self._sock.settimeout(remaining)
        try:
            data: bytes = self._sock.recv(size, flags)
        except TimeoutError:
            return self._too_slow()
        finally:
            self._sock.settimeout(before)
        if self._body:
            self._deadline += len(data) / MIN_BYTES_PER_SECOND
        return data

    def _too_slow(self) -> bytes:
        if self._body:
            raise SlowClient("the request body did not arrive in time")
        # Headers that do not arrive in time: the client is treated as gone (gunicorn closes
        # the connection quietly).
        return b""


class PacedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, reading each request under ``PacedSocket``'s deadlines."""

    def handle(self, conn: Any) -> Any:
        from django.conf import settings

        if not isinstance(conn.sock, PacedSocket):
            seconds = settings.REQUEST_TIMEOUT
            conn.sock = PacedSocket(conn.sock, seconds, seconds)
        conn.sock.expect_headers()
        try:
            return super().handle(conn)
        finally:
            conn.sock.unpaced()

    def handle_request(self, req: Any, conn: Any) -> Any:
        conn.sock.expect_body()
        return super().handle_request(req, conn)


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "greenlane.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "greenlane.server.PacedThreadWorker",
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--timeout",
        "120",
        # Each instance would otherwise share ~/.gunicorn/gunicorn.ctl with every other one on
        # the machine (the last started takes it over); Greenlane does not use it.
        "--no-control-socket",
    ]


#: The background worker is started again at most this often (a worker that dies at once,
#: e.g. on an unmigrated database, must not spin).
RESTART_PAUSE_SECONDS = 5.0


def supervise(
    web: list[str],
    worker: list[str] | None,
    log: Callable[[str], None],
    poll_seconds: float = 0.5,
) -> int:
    """Run the web server and, when given, the background worker; reap the worker when it
    ends and start it again, until the web server ends (or SIGTERM/SIGINT arrives). Returns
    the web server's exit code."""
    server = subprocess.Popen(web)
    background = subprocess.Popen(worker) if worker else None
    started = time.monotonic()
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and server.poll() is None:
            if background is not None and worker and background.poll() is not None:
                code = background.returncode
                if time.monotonic() - started >= RESTART_PAUSE_SECONDS:
                    log(f"the background worker ended (exit code {code}); starting it again")
                    background = subprocess.Popen(worker)
                    started = time.monotonic()
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for child in (server, background):
            if child is not None and child.poll() is None:
                child.terminate()
        for child in (server, background):
            if child is not None:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
    return server.returncode or 0
