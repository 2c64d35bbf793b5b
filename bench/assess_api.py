"""Benchmark: channel decisions in real time (`POST /api/v1/declarations/channels`) on
loopback, against `greenlane serve`.

Seeds a demo database in a scratch folder (`greenlane demo --no-serve`: synthetic economy,
trained model, office policies and rules), makes an API key, starts `greenlane serve` and
measures, in one process:
- baseline: ``GET /healthz`` at the same pace (what the server and the network cost);
- single declarations at a steady 100 requests per second: p50 / p99 latency;
- one batch of 10,000 declarations: seconds.

    python bench/assess_api.py [--declarations 20000] [--seconds 20] [--port 8765]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import cli

MARK = "bench/assess_api.py"
GREENLANE = [sys.executable, "-m", "greenlane.cli"]


def _declaration(i: int, office: str) -> dict[str, Any]:
    return {
        "number": f"B{i:09d}", "declaration_date": date.today().isoformat(),
        "office_code": office, "importer_code": f"OP{i % 900:07d}", "hs6": "850440",
        "origin_country": "CN", "net_mass_kg": 10 + i % 50, "customs_value": 1000 + i,
        "transport_mode": "1",
    }  # fmt: skip


def _post(url: str, key: str, body: object) -> tuple[int, float]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status, time.perf_counter() - started


def _get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
    return time.perf_counter() - started


def _paced(work: Any, rate: float, seconds: float) -> list[float]:
    """Call ``work`` at a steady ``rate`` per second for ``seconds``; its latencies."""
    times, start = [], time.perf_counter()
    for k in range(int(rate * seconds)):
        wait = start + k / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        times.append(work(k))
    return times


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def seeded(
    declarations: int, operators: int = 900, prefix: str = "greenlane-assess-"
) -> dict[str, str]:
    """Seed a demo database in a scratch folder (trained model, office policies and rules);
    the environment that points the ``greenlane`` command at it."""
    var = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        **os.environ,
        "GREENLANE_VAR_DIR": str(var),
        "GREENLANE_MONITORING_SCHEDULE": "off",
        "GREENLANE_RETRAIN_SCHEDULE": "off",
    }
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)  # its own SQLite demo database, with the real settings
    seed = [
        "demo",
        "--no-serve",
        "--declarations",
        str(declarations),
        "--operators",
        str(operators),
    ]
    subprocess.run([*GREENLANE, *seed], env=env, check=True, capture_output=True)
    return env


def api_key(env: dict[str, str], name: str = "bench") -> str:
    """A customs system's key (``greenlane token create``)."""
    made = subprocess.run(
        [*GREENLANE, "token", "create", name], env=env, check=True, capture_output=True, text=True
    )
    return made.stdout.strip().splitlines()[-1]


def query(env: dict[str, str], code: str) -> Any:
    """Run ``code`` in ``greenlane manage shell``; the JSON it printed last."""
    done = subprocess.run(
        [*GREENLANE, "manage", "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def serve(
    env: dict[str, str], port: int, *, background: bool = False, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``greenlane serve`` (2 web workers; the task worker too with ``background``) and
    wait until it answers ``/healthz``."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (the child keeps it)
    options = ["--background" if background else "--no-background", "--workers", "2"]
    server = subprocess.Popen(
        [*GREENLANE, "serve", "--port", str(port), *options], env=env, stdout=out, stderr=out
    )
    for _ in range(120):
        try:
            _get(f"http://127.0.0.1:{port}/healthz")
            break
        except OSError:
            time.sleep(0.5)
    return server


def run(declarations: int, seconds: float, port: int) -> dict[str, float]:
    env = seeded(declarations)
    key = api_key(env)
    server = serve(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        office = query(
            env,
            "import json; from greenlane.apps.targeting.models import SelectivityPolicy as P;"
            " print(json.dumps(P.objects.order_by('office_code')[0].office_code))",
        )
        url = f"{base}/api/v1/declarations/channels"
        _post(url, key, _declaration(0, office))  # warm-up: the model is loaded once
        health = _paced(lambda k: _get(f"{base}/healthz"), 100, seconds / 2)
        single = _paced(lambda k: _post(url, key, _declaration(k + 1, office))[1], 100, seconds)
        batch = {"declarations": [_declaration(10**6 + i, office) for i in range(10_000)]}
        status, batch_s = _post(url, key, batch)
        assert status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "health_p50": statistics.median(health) * 1000,
        "single_p50": statistics.median(single) * 1000,
        "single_p99": _percentile(single, 0.99) * 1000,
        "requests": len(single),
        "batch_s": batch_s,
        "declarations": declarations,
    }


def report(r: dict[str, float]) -> str:
    single = "meets" if r["single_p99"] < 50 else "MISSES"
    batch = "meets" if r["batch_s"] < 1 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Channel decisions API on loopback (`bench/assess_api.py`)",
            "",
            f"`greenlane serve` (2 web workers) on a demo database of {int(r['declarations']):,} "
            f"declarations with a trained model, office policies and rules; {os.cpu_count()} "
            f"cores; {int(r['requests']):,} single-declaration requests at 100 per second.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| single declaration, p50 | {r['single_p50']:.1f} ms | |",
            f"| single declaration, p99 | {r['single_p99']:.1f} ms | < 50 ms ({single}) |",
            f"| batch of 10,000 declarations | {r['batch_s']:.2f} s | < 1 s ({batch}) |",
            f"| baseline: GET /healthz at the same pace, p50 | {r['health_p50']:.1f} ms | |",
            f"| ratio single p50 / baseline p50 | {r['single_p50'] / r['health_p50']:.1f} | |",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--declarations", type=int, default=20_000)
        parser.add_argument("--seconds", type=float, default=20.0)
        parser.add_argument("--port", type=int, default=8765)

    return cli(
        __doc__ or "", MARK, options, lambda a: report(run(a.declarations, a.seconds, a.port)), argv
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
