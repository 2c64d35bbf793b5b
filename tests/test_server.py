"""`greenlane serve`: slow clients cannot stall the site, and the background worker it runs is
watched and started again when it dies."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from greenlane.server import PacedSocket, SlowClient
from tests.bench_runner import free_port
from tests.installation import command, greenlane, installation
from tests.test_faults import (
    MID_WRITE_BYTES,
    QUEUE_UPLOAD,
    ROWS,
    _state,
    _uncommitted_bytes,
    prepare_for_an_upload,
)


def test_headers_that_do_not_arrive_in_time_end_the_connection() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        paced = PacedSocket(ours, header_seconds=0.2, body_seconds=0.2)
        paced.expect_headers()
        theirs.sendall(b"GET / HT")
        assert paced.recv(100) == b"GET / HT"
        began = time.monotonic()
        assert paced.recv(100) == b""  # taken for a client that has gone
        assert 0.1 < time.monotonic() - began < 1


def test_a_body_that_does_not_keep_pace_is_refused_and_bytes_buy_time() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        paced = PacedSocket(ours, header_seconds=0.2, body_seconds=0.2)
        paced.expect_body()
        theirs.sendall(b"x" * 500)  # one more second at 500 bytes a second
        assert paced.recv(1000) == b"x" * 500
        time.sleep(0.5)  # past the first 0.2 s, within the second bought
        theirs.sendall(b"y")
        assert paced.recv(10) == b"y"
        with pytest.raises(SlowClient):
            paced.recv(10)
        paced.unpaced()  # between requests the socket is read as gunicorn reads it
        theirs.sendall(b"z")
        assert paced.recv(10) == b"z"


def test_closing_reads_only_what_has_arrived() -> None:
    """gunicorn lingers on its main thread after closing, reading what the client sends; a
    client that sends nothing must not hold that thread."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        paced = PacedSocket(ours, header_seconds=5, body_seconds=5)
        theirs.sendall(b"left over")
        paced.shutdown(socket.SHUT_WR)
        paced.settimeout(2)  # as gunicorn's close_graceful does
        assert paced.recv(100) == b"left over"
        began = time.monotonic()
        assert paced.recv(100) == b""
        assert time.monotonic() - began < 0.5


@contextlib.contextmanager
def _serving(env: dict[str, str], *args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``greenlane serve`` on a free port, its errors written to ``serve.log`` in the var
    folder (a pipe nobody reads would fill and stop it)."""
    port = free_port()
    log = (Path(env["GREENLANE_VAR_DIR"]) / "serve.log").open("w")
    serve = subprocess.Popen(
        command(env, "serve", "--port", str(port), *args),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2),
            ):
                break
            assert serve.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield serve, port
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        log.close()


def _health_seconds(port: int) -> float:
    began = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
        assert answer.status == 200
    return time.monotonic() - began


def _slow_clients(port: int, count: int) -> list[socket.socket]:
    """Half announce a 1,000-byte login form and send 10 bytes of it (the review's attack),
    half send part of their headers."""
    clients = []
    for i in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        if i % 2:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        else:
            conn.sendall(
                b"POST /login/ HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000\r\n\r\nusername=a"
            )
        clients.append(conn)
    return clients


def _dropped(conn: socket.socket) -> bytes:
    """What the server said before it closed the connection (it must close it)."""
    said = b""
    while chunk := conn.recv(4096):
        said += chunk
    return said


@pytest.mark.slow
@pytest.mark.once  # the server's reading of requests does not depend on the database
def test_slow_clients_do_not_stall_the_server_and_are_dropped_in_time(tmp_path: Path) -> None:
    with installation(tmp_path / "var") as env:
        env["GREENLANE_REQUEST_TIMEOUT"] = "3"
        home = tmp_path / "home"  # where gunicorn would put its control socket
        env |= {"HOME": str(home), "XDG_RUNTIME_DIR": ""}
        assert greenlane(env, "migrate").returncode == 0
        with _serving(env, "--workers", "1", "--threads", "8", "--no-background") as (_, port):
            # No control socket shared with every other server of the same user.
            assert not (home / ".gunicorn").exists()
            # Six slow clients (two stalled the two synchronous workers before): the site
            # answers at once.
            slow = _slow_clients(port, 6)
            time.sleep(0.5)
            assert max(_health_seconds(port) for _ in range(5)) < 1
            # Each is dropped once its time is up: the headers without a word, the body
            # with a 408.
            began = time.monotonic()
            said = [_dropped(conn) for conn in slow]
            assert time.monotonic() - began < 3 + 5
            assert said[1::2] == [b""] * 3
            assert all(s.startswith(b"HTTP/1.1 408") for s in said[::2]), said[0][:200]
            for conn in slow:
                conn.close()
            # As many slow clients as threads hold the site no longer than their time.
            slow = _slow_clients(port, 8)
            time.sleep(0.5)
            assert _health_seconds(port) < 3 + 3
            for conn in slow:
                conn.close()


@pytest.mark.slow
@pytest.mark.once  # process supervision; a task done once on each database: test_faults
def test_serve_starts_its_killed_worker_again_and_the_job_is_done_once(tmp_path: Path) -> None:
    import psutil

    with installation(tmp_path / "var", "greenlane_serve") as env:
        data = prepare_for_an_upload(env, tmp_path)
        before = _uncommitted_bytes(env)
        with _serving(env, "--workers", "1") as (serve, _):
            queued = greenlane(env, "manage", "shell", "-c", QUEUE_UPLOAD.format(path=data))
            assert queued.returncode == 0, queued.stderr
            workers = [p for p in psutil.Process(serve.pid).children() if "worker" in p.cmdline()]
            assert len(workers) == 1
            deadline = time.monotonic() + 180
            while _uncommitted_bytes(env) - before < MID_WRITE_BYTES:
                assert time.monotonic() < deadline, "the worker never started writing"
                time.sleep(0.02)
            workers[0].send_signal(signal.SIGKILL)
            # serve reaps it and starts another, which sees the task's worker is gone,
            # queues the task again and runs it.
            deadline = time.monotonic() + 240
            # The killed attempt failed, the rerun succeeded (the upload is done a moment before
            # its task is marked so).
            while (state := _state(env))["tasks"] != ["FAILED", "SUCCESSFUL"]:
                assert state["upload"] in {"queued", "running", "done"}, state["message"]
                assert time.monotonic() < deadline, f"the ingest was not done again: {state}"
                time.sleep(1)
            assert state["upload"] == "done", state["message"]
            assert (state["batches"], state["declarations"]) == (1, ROWS)  # done once
            assert state["audit_ok"]
            again = [p for p in psutil.Process(serve.pid).children() if "worker" in p.cmdline()]
            assert len(again) == 1
            assert again[0].pid != workers[0].pid
        said = (Path(env["GREENLANE_VAR_DIR"]) / "serve.log").read_text()
        assert "the background worker ended (exit code -9); starting it again" in said
