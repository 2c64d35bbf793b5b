"""Running a benchmark script from a test, as CI does in reduced form."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, out: Path, *args: str, timeout: int = 600) -> str:
    """Run ``bench/<script>`` writing its section to ``out``; return what it printed. Past the
    timeout it is asked to stop (SIGTERM: it stops the servers and databases it started), and
    a failure shows the end of its output."""
    script_run = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / script), *args, "--write", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = script_run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        script_run.terminate()
        stdout, stderr = script_run.communicate(timeout=120)
        pytest.fail(f"bench/{script} ran past {timeout} s: {stderr[-3000:]}")
    assert script_run.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return stdout


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
