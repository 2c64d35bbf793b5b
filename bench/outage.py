"""Benchmark: PostgreSQL restarted under load; the service fails cleanly and recovers by itself.

Starts a PostgreSQL cluster of its own (`bench/pgcluster.py`), a new installation on it,
`greenlane serve` with its background worker, and clients that keep asking for the public
register, the assess API (with a key) and the health check. An ingest of synthetic
declarations is queued; once the worker is writing it, the server is stopped (fast mode: every
connection cut), left down for ``--outage`` seconds and started again, ``--restarts`` times.

It holds (else the script exits 1):
- during an outage each answer is the one given when all is well, or 503; never another status,
  never a stack trace;
- after each restart every endpoint answers as before within ``--recovery`` seconds, and every
  answer after that is as before;
- the ingest caught by the outage is done, once (one batch, every row), by the same worker:
  neither the server nor its worker was restarted;
- the audit chain verifies.

Reported: answers during the outages by status, the time from the database being back to the
first good answer of each endpoint, and the median request time before and after (a ratio).

    python bench/outage.py [--users 8] [--outage 10] [--restarts 3] [--rows 300000]
                           [--after 20] [--recovery 30] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assess_api import _percentile
from pgcluster import Cluster, free_port
from synth import cli

MARK = "bench/outage.py"
GREENLANE = [sys.executable, "-m", "greenlane.cli"]
ASSESS = {"number": "N1", "declaration_date": "2026-12-01", "office_code": "SEA1",
          "importer_code": "OP1", "hs6": "850440", "origin_country": "CN",
          "net_mass_kg": 12, "customs_value": 1500}  # fmt: skip
QUEUE_UPLOAD = """
from django.core.files import File
from greenlane.apps.accounts.models import User
from greenlane.apps.declarations import services
with open({path!r}, "rb") as handle:
    upload = services.submit_upload(User.objects.get(username="ops"),
                                    File(handle, name="declarations.parquet"), "greenlane")
print(upload.pk)
"""
STATE = """
import json
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations.models import Declaration, IngestBatch, Upload
upload = Upload.objects.get()
print(json.dumps({"status": upload.status, "message": upload.message,
                  "recovered": [e.data["why"] for e in
                                AuditEvent.objects.filter(action="jobs.task.recovered")],
                  "batches": IngestBatch.objects.count(),
                  "declarations": Declaration.objects.count(),
                  "audit_ok": audit.verify()[1] is None}))
"""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _greenlane(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*GREENLANE, *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"greenlane {args[0]} failed: {done.stdout}{done.stderr}")
    return done.stdout


def _ask(url: str, key: str) -> tuple[int, str, float]:
    """One request: status (0: no answer), body, seconds."""
    body = json.dumps(ASSESS).encode() if key else None
    request = urllib.request.Request(url, data=body, method="POST" if key else "GET")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
        request.add_header("Content-Type", "application/json")
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        status, text = 0, str(exc)
    return status, text, time.perf_counter() - began


class Load:
    """Threads asking each endpoint in turn; every answer kept with its time."""

    def __init__(self, base: str, key: str, users: int) -> None:
        self.endpoints = {
            "register page": (f"{base}/register/", ""),
            "assess API": (f"{base}/api/v1/declarations/channels", key),
            "health check": (f"{base}/healthz", ""),
        }
        self.seen: list[tuple[float, str, int, str, float]] = []  # at, endpoint, status, body, s
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._user, daemon=True) for _ in range(users)]

    def _user(self) -> None:
        while not self._stop.is_set():
            for name, (url, key) in self.endpoints.items():
                status, body, seconds = _ask(url, key)
                self.seen.append((time.monotonic(), name, status, body, seconds))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def since(
        self, at: float, until: float = float("inf")
    ) -> list[tuple[float, str, int, str, float]]:
        return [s for s in list(self.seen) if at <= s[0] < until]


def _uncommitted(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_relation_size('declarations_declaration')").fetchone()
    return int(row[0]) if row else 0


def run(
    users: int, outage: float, restarts: int, rows: int, after: float, recovery: float,
    patience: float,
) -> dict[str, Any]:  # fmt: skip
    problems: list[str] = []
    var = Path(tempfile.mkdtemp(prefix="greenlane-outage-"))
    with Cluster() as pg:
        url = pg.create("greenlane")
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env |= {"DATABASE_URL": url, "GREENLANE_VAR_DIR": str(var),
                "GREENLANE_MONITORING_SCHEDULE": "off", "GREENLANE_RETRAIN_SCHEDULE": "off",
                "GREENLANE_MANIFEST_STATIC": "false"}  # fmt: skip
        _greenlane(env, "migrate")
        _greenlane(env | {"GREENLANE_ADMIN_PASSWORD": "a-long-enough-passphrase-17"},
                   "createadmin", "ops")  # fmt: skip
        key = _greenlane(env, "token", "create", "outage").strip().splitlines()[-1]
        _greenlane(env, "synth", str(var / "synth"), "--declarations", str(rows),
                   "--operators", "500", "--seed", "7")  # fmt: skip
        port = free_port()
        log = open(var / "serve.log", "wb")  # noqa: SIM115 (the server keeps it)
        server = subprocess.Popen([*GREENLANE, "serve", "--port", str(port), "--background"],
                                  env=env, stdout=log, stderr=log)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while _ask(f"{base}/healthz", "")[0] != 200:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; its log: {var / 'serve.log'}")
                time.sleep(0.3)
            result = _under_load(env, pg, Load(base, key, users), problems, outage=outage,
                                 restarts=restarts, rows=rows, after=after, recovery=recovery,
                                 data=var / "synth" / "declarations.parquet",
                                 patience=patience)  # fmt: skip
            if server.poll() is not None:
                problems.append("the server stopped")
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
    if problems:
        _say(f"server log: {var / 'serve.log'}")
    return result | {"problems": problems, "users": users, "outage": outage, "rows": rows}


def _under_load(env: dict[str, str], pg: Cluster, load: Load, problems: list[str], *,
                outage: float, restarts: int, rows: int, after: float, recovery: float,
                data: Path, patience: float) -> dict[str, Any]:  # fmt: skip
    with load:
        time.sleep(3)
        warm = load.since(0)
        normal: dict[str, int] = {}
        for name in load.endpoints:
            statuses = Counter(s[2] for s in warm if s[1] == name)
            normal[name] = statuses.most_common(1)[0][0]
            if set(statuses) != {normal[name]}:
                problems.append(f"{name} answered {dict(statuses)} before any outage")
        before = [s[4] for s in warm]
        before_size = _uncommitted(env["DATABASE_URL"])
        _greenlane(env, "manage", "shell", "-c", QUEUE_UPLOAD.format(path=str(data)))
        deadline = time.monotonic() + 180
        while _uncommitted(env["DATABASE_URL"]) - before_size < (2 << 20):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker never started writing the ingest")
            time.sleep(0.05)
        outages: list[dict[str, Any]] = []
        for _ in range(restarts):
            down = time.monotonic()
            pg.stop("fast")
            time.sleep(outage)
            pg.start()
            up = time.monotonic()
            back: dict[str, float] = {}
            while len(back) < len(normal) and time.monotonic() < up + recovery:
                for s in load.since(up):
                    if s[2] == normal[s[1]]:
                        back.setdefault(s[1], s[0] - up)
                time.sleep(0.1)
            during = load.since(down, up)
            for _at, name, status, body, _ in during:
                if status not in (normal[name], 503) or "Traceback" in body:
                    problems.append(f"during the outage {name} answered {status}: {body[:200]}")
            missing = set(normal) - set(back)
            if missing:
                problems.append(f"not back {recovery:.0f} s after the restart: {sorted(missing)}")
            outages.append({"during": Counter((s[1], s[2]) for s in during), "back": back})
            time.sleep(2)
        settled = time.monotonic()
        time.sleep(after)
        later = load.since(settled)
    for _, name, status, body, _ in later:
        if status != normal[name]:
            problems.append(f"after recovery {name} answered {status}: {body[:200]}")
    deadline = time.monotonic() + patience
    while (state := _state(env))["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            problems.append(f"the ingest is still {state['status']} {patience:.0f} s later")
            break
        time.sleep(1)
    if (state["status"], state["batches"], state["declarations"]) != ("done", 1, rows):
        problems.append(f"the ingest caught by the outage ended as {state}")
    if not state["recovered"]:
        problems.append("the ingest was not caught by the outage (no recovery recorded)")
    if not state["audit_ok"]:
        problems.append("the audit chain does not verify")
    after_times = [s[4] for s in later]
    return {"normal": normal, "outages": outages, "before": before, "after": after_times,
            "ingest": state, "requests": len(load.seen)}  # fmt: skip


def _state(env: dict[str, str]) -> dict[str, Any]:
    return json.loads(_greenlane(env, "manage", "shell", "-c", STATE).strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(r: dict[str, Any]) -> str:
    lines = [
        f"<!-- {MARK} begin -->",
        "## PostgreSQL restarted under load (`bench/outage.py`)",
        "",
        f"`greenlane serve` (2 web workers and the background worker) on a PostgreSQL cluster of "
        f"the benchmark's own; {r['users']} clients asking in turn for the public register, the "
        "assess API (no model trained: its normal answer is 409 after reading the key and the "
        "model registry) and the health check. An ingest of "
        f"{r['rows']:,} synthetic declarations is queued; while the worker writes it the server "
        f"is stopped in fast mode (connections cut), left down {r['outage']:.0f} s and started "
        f"again, {len(r['outages'])} times. {r['requests']:,} requests in all.",
        "",
        "| restart | answers during the outage | back after (s): register / assess / health |",
        "|---|---|---|",
    ]
    for i, o in enumerate(r["outages"], 1):
        during = ", ".join(
            f"{name} {status}: {n}" for (name, status), n in sorted(o["during"].items())
        )
        back = " / ".join(f"{o['back'].get(name, float('nan')):.1f}" for name in r["normal"])
        lines.append(f"| {i} | {during} | {back} |")
    p_before, p_after = (_percentile(r[k], 0.5) * 1000 for k in ("before", "after"))
    ingest = r["ingest"]
    lines += [
        "",
        f"Median request time: {p_before:.0f} ms before the first outage, {p_after:.0f} ms after "
        f"the last (ratio {p_after / p_before:.2f}). The ingest caught by the outage: "
        f"{ingest['status']}, {ingest['batches']} batch, {ingest['declarations']:,} declarations "
        f"(queued again by the worker that was running it, which waited for the database: "
        f"{'; '.join(ingest['recovered'])}). "
        f"Problems: {len(r['problems'])}.",
        f"<!-- {MARK} end -->",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    found: dict[str, Any] = {}

    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--users", type=int, default=8)
        parser.add_argument("--outage", type=float, default=10.0)
        parser.add_argument("--restarts", type=int, default=3)
        parser.add_argument("--rows", type=int, default=300_000)
        parser.add_argument("--after", type=float, default=20.0)
        parser.add_argument("--recovery", type=float, default=30.0)
        parser.add_argument("--patience", type=float, default=600.0,
                            help="seconds the ingest may take after the last restart")  # fmt: skip

    def section(a: argparse.Namespace) -> str:
        found.update(run(a.users, a.outage, a.restarts, a.rows, a.after, a.recovery, a.patience))
        return report(found)

    code = cli(__doc__ or "", MARK, options, section, argv)
    for problem in found["problems"][:20]:
        _say(problem)
    return 1 if found["problems"] else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
