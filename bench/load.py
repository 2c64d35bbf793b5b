"""Benchmark: a load test on loopback, against `greenlane serve` and its background worker.

Seeds a demo database as `bench/assess_api.py` does, starts `greenlane serve` (2 web workers
and the task worker, so ingests are processed) and runs simulated users with locust (as a
library, headless) for a while:
- traders log in, view their home and self-test pages and autosave self-test answers;
- customs staff (analyst, validator, inspector) view the pages of their role: home, operators,
  risk scores, models, declarations, monitoring alerts, Time Release Studies;
- a customs system calls the assess API with an API key: single declarations, small batches;
- an analyst hands in a small CSV through the `greenlane` mapping now and then and polls its
  status until the background worker has ingested it.
Every response other than the expected one counts as an error (the script exits 1). A probe
in the same run asks ``GET /healthz`` at a steady pace: the baseline (server, network and the
load generator itself under the same load).

    python bench/load.py [--users 30] [--seconds 120] [--declarations 20000] [--operators 900]
                         [--port 8766] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import os
import random
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, between, constant_pacing, task
from locust.env import Environment

from greenlane.core.criteria.loader import shipped

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assess_api import _declaration, _percentile, query, seeded, serve
from synth import cli

MARK = "bench/load.py"
PASSWORD = "greenlane-demo"
BATCH = 20  # declarations in an assess-API batch
INGEST_ROWS = 50
NUMBERS = itertools.count(1)  # declaration numbers, unique across users (one gevent thread)
BASELINE = "baseline: GET /healthz"
DONE = "ingest: upload to done"
EVERY_KIND = ("login", "page: self-test", "self-test save", "page: home", "assess: 1 declaration",
              DONE, BASELINE)  # fmt: skip
INGEST_COLUMNS = (  # the shipped `greenlane` mapping's columns
    "declaration_number", "declaration_date", "office_code", "transport_mode", "declarant_code",
    "importer_code", "seller_code", "hs6", "origin_country", "dispatch_country", "quantity",
    "net_mass_kg", "customs_value", "tax_rate", "duty_amount",
)  # fmt: skip

#: What the load generator learns from the seeded database before the run.
SITE: dict[str, Any] = {}

#: The pages each customs role opens (each one it may see), by the name they are reported as.
STAFF_PAGES: dict[str, dict[str, str]] = {
    "analyst": {
        "page: home": "/", "page: operators": "/operators/", "page: risk scores": "/risk/scores/",
        "page: risk models": "/risk/models/", "page: declaration": "DECLARATION",
        "page: TRS studies": "/trs/",
    },
    "validator": {
        "page: home": "/", "page: operators": "/operators/",
        "page: monitoring alerts": "/monitoring/alerts/", "page: TRS studies": "/trs/",
    },
    "inspector": {
        "page: home": "/", "page: risk scores": "/risk/scores/",
        "page: declaration": "DECLARATION", "page: TRS studies": "/trs/",
    },
}  # fmt: skip


def _check(response: Any, status: int, what: str) -> bool:
    """Mark ``response`` failed unless it has ``status`` and did not land on the login page."""
    if response.status_code != status:
        response.failure(f"{what}: HTTP {response.status_code}, expected {status}")
        return False
    if "/login/" in response.url and "login" not in what:
        response.failure(f"{what}: sent to the login page")
        return False
    response.success()
    return True


class _LoggedIn(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def on_start(self) -> None:
        self.page("page: login", "/login/")  # sets the CSRF cookie
        with self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD,
                  "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
            allow_redirects=False, name="login", catch_response=True,
        ) as response:  # fmt: skip
            _check(response, 302, "login")

    def csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    def page(self, name: str, url: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            _check(response, 200, name)


class Trader(_LoggedIn):
    weight = 3
    selftest = "/self-test/"

    def on_start(self) -> None:
        self.username = random.choice(("trader", "trader2"))
        super().on_start()
        with self.client.get("/self-test/", name="page: self-test", catch_response=True) as r:
            if _check(r, 200, "page: self-test"):  # a trader lands on its company's draft
                self.selftest = urlsplit(r.url).path  # /operators/<pk>/self-test/

    @task(1)
    def home(self) -> None:
        self.page("page: home", "/")

    @task(2)
    def selftest_page(self) -> None:
        self.page("page: self-test", self.selftest)

    @task(5)
    def save_answer(self) -> None:
        requirement, answers = random.choice(SITE["answers"])
        with self.client.post(
            f"{self.selftest}answers/{requirement}",
            data={"answer": random.choice(answers), "comment": ""},
            headers=self.csrf(), name="self-test save", catch_response=True,
        ) as response:  # fmt: skip
            _check(response, 200, "self-test save")


class Staff(_LoggedIn):
    weight = 3

    def on_start(self) -> None:
        self.username = random.choice(tuple(STAFF_PAGES))
        super().on_start()

    @task
    def view(self) -> None:
        name, url = random.choice(tuple(STAFF_PAGES[self.username].items()))
        if url == "DECLARATION":
            url = f"/risk/declarations/{random.choice(SITE['declarations'])}/"
        self.page(name, url)


class CustomsSystem(HttpUser):
    weight = 2
    wait_time = between(0.5, 1.5)

    def _assess(self, name: str, body: object) -> None:
        with self.client.post(
            "/api/v1/declarations/channels", json=body, name=name, catch_response=True,
            headers={"Authorization": f"Bearer {SITE['key']}"},
        ) as response:  # fmt: skip
            _check(response, 200, name)

    @task(5)
    def single(self) -> None:
        self._assess("assess: 1 declaration", _declaration(next(NUMBERS), SITE["office"]))

    @task(1)
    def batch(self) -> None:
        body = [_declaration(next(NUMBERS), SITE["office"]) for _ in range(BATCH)]
        self._assess(f"assess: batch of {BATCH}", {"declarations": body})


def _ingest_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(INGEST_COLUMNS)
    for _ in range(INGEST_ROWS):
        n = next(NUMBERS)
        writer.writerow([f"L{n:09d}", date.today().isoformat(), SITE["office"], "1", "BR0001",
                         f"OP{n % 900:07d}", "SE0001", "850440", "CN", "CN", n % 100,
                         10 + n % 50, 1000 + n, 5, (1000 + n) * 0.05])  # fmt: skip
    return out.getvalue().encode()


class Analyst(_LoggedIn):
    """Hands in a small file now and then and polls its status until it is ingested."""

    fixed_count = 1
    wait_time = between(4, 8)
    username = "analyst"

    @task
    def ingest(self) -> None:
        started = time.perf_counter()
        with self.client.post(
            "/api/v1/declarations/uploads", data={"mapping": "greenlane"},
            files={"file": ("load.csv", _ingest_file(), "text/csv")},
            headers=self.csrf(), name="ingest: upload", catch_response=True,
        ) as response:  # fmt: skip
            if not _check(response, 202, "ingest: upload"):
                return
            upload = response.json()["id"]
        for _ in range(240):
            gevent.sleep(0.25)
            with self.client.get(
                f"/api/v1/declarations/uploads/{upload}", name="ingest: status",
                catch_response=True,
            ) as response:  # fmt: skip
                if not _check(response, 200, "ingest: status"):
                    return
                state = response.json()
                if state["status"] in ("done", "failed"):
                    break
        expected = f"{INGEST_ROWS} rows read: {INGEST_ROWS} accepted, 0 rejected"
        failure = None if state["message"] == expected else Exception(state["message"])
        self.environment.events.request.fire(
            request_type="INGEST", name=DONE, response_length=0,
            response_time=(time.perf_counter() - started) * 1000, exception=failure,
            context={},
        )  # fmt: skip


class Probe(HttpUser):
    """The baseline: ``GET /healthz`` four times a second, in the same run."""

    fixed_count = 1
    wait_time = constant_pacing(0.25)

    @task
    def health(self) -> None:
        with self.client.get("/healthz", name=BASELINE, catch_response=True) as response:
            _check(response, 200, BASELINE)


def _learn(env: dict[str, str]) -> None:
    SITE.update(
        query(  # one Django start-up: the API key, an office with a policy, declarations
            env,
            "import json; from greenlane.apps.targeting.models import SelectivityPolicy as P;"
            " from greenlane.apps.declarations.models import Declaration as D;"
            " from greenlane.apps.targeting.keys import make_token;"
            " print(json.dumps({'key': make_token('load', None)[1],"
            " 'office': P.objects.order_by('office_code')[0].office_code,"
            " 'declarations': list(D.objects.order_by('?').values_list('pk', flat=True)[:200])}))",
        )
    )
    SITE["answers"] = [  # "" takes an answer back; "na" only where a requirement allows it
        (r.id, ("met", "partly", "not_met", "", *(("na",) if r.na_allowed else ())))
        for r in shipped().baseline.requirements
    ]


def _load(
    base: str, users: int, seconds: float
) -> tuple[dict[str, list[float]], dict[str, list[str]], float]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)

    def record(name: str, response_time: float, exception: Any, **_: Any) -> None:
        times[name].append(response_time)
        if exception is not None:
            errors[name].append(str(exception))

    # At the end each user finishes the request it is making (up to 10 s) instead of being
    # killed in the middle of it, which locust counted as an error with status 0.
    environment = Environment(
        user_classes=[Trader, Staff, CustomsSystem, Analyst, Probe], host=base, stop_timeout=10
    )
    environment.events.request.add_listener(record)
    runner = environment.create_local_runner()
    started = time.perf_counter()
    runner.start(users, spawn_rate=max(users / 5, 1))
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return times, errors, time.perf_counter() - started


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(users: int, seconds: float, declarations: int, operators: int, port: int) -> dict[str, Any]:
    began = time.perf_counter()
    env = seeded(declarations, operators, prefix="greenlane-load-")
    # The users ask for pages, not their static files (a browser caches those): collected
    # plainly, without the manifest and compression (some 45 s of start-up on 2 cores).
    env["GREENLANE_MANIFEST_STATIC"] = "false"
    _learn(env)
    _say(f"demo database seeded in {time.perf_counter() - began:.0f} s")
    log = Path(env["GREENLANE_VAR_DIR"]) / "serve.log"
    server = serve(env, port, background=True, log=log)
    _say(f"server up after {time.perf_counter() - began:.0f} s")
    load = os.getloadavg()[0]
    try:
        times, errors, elapsed = _load(f"http://127.0.0.1:{port}", users, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    _say(f"done after {time.perf_counter() - began:.0f} s")
    for name, found in errors.items():
        print(f"{name}: {len(found)} errors, e.g. {found[0]}", file=sys.stderr)
    if errors:
        print(f"server log: {log}", file=sys.stderr)
    return {"times": times, "errors": errors, "elapsed": elapsed, "users": users,
            "declarations": declarations, "load": load}  # fmt: skip


def _row(name: str, values: list[float], errors: int, elapsed: float) -> str:
    if not values:
        return f"| {name} | 0 | {errors} | | | | |"
    p50, p95, p99 = (_percentile(values, q) for q in (0.5, 0.95, 0.99))
    rate = len(values) / elapsed
    return (
        f"| {name} | {len(values):,} | {errors} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {rate:.1f} |"
    )


def report(r: dict[str, Any]) -> str:
    times, errors, elapsed = r["times"], r["errors"], r["elapsed"]
    names = sorted(n for n in times if n not in (BASELINE, DONE))
    mix = [t for n in names for t in times[n]]
    mix_errors = sum(len(errors[n]) for n in names)
    total_errors = sum(len(found) for found in errors.values())
    ratio = _percentile(mix, 0.5) / _percentile(times[BASELINE], 0.5)
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Load test on loopback (`bench/load.py`)",
            "",
            "locust (headless, in one process) against `greenlane serve` (2 web workers and the "
            f"background task worker) on a SQLite demo database of {r['declarations']:,} "
            f"declarations; {r['users']} simulated users for {elapsed:.0f} s on "
            f"{os.cpu_count()} cores shared by the server, its worker and the load generator "
            f"(load average {r['load']:.1f} just before the run: other work on the machine makes "
            "the tails noisy). Users, weighted 3 : 3 : 2 : 1: traders (log in, view home and "
            "self-test pages, autosave self-test answers), customs staff (analyst, validator, "
            "inspector: the pages of their role), a customs system (assess API with a key: single "
            f"declarations and batches of {BATCH}), and one analyst handing in a {INGEST_ROWS}-row "
            "CSV through the `greenlane` mapping now and then and polling it until ingested. Times "
            "in ms; an error is any response but the expected one (status, or the login page).",
            "",
            "| request | requests | errors | p50 | p95 | p99 | per s |",
            "|---|---|---|---|---|---|---|",
            *(_row(n, times[n], len(errors[n]), elapsed) for n in names),
            _row("**all requests**", mix, mix_errors, elapsed),
            _row(f"{DONE} (not one request)", times[DONE], len(errors[DONE]), elapsed),
            _row(f"{BASELINE}, same run, 4 per s", times[BASELINE], len(errors[BASELINE]), elapsed),
            f"| ratio all requests p50 / baseline p50 | {ratio:.1f} | | | | | |",
            "",
            f'Errors in all: {total_errors}. "{DONE}" runs from handing in the file to the '
            "worker having ingested it (its status polled every 0.25 s). The baseline measures "
            "the server, loopback and the load generator under the same load.",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    found: dict[str, Any] = {}

    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--users", type=int, default=30)
        parser.add_argument("--seconds", type=float, default=120.0)
        parser.add_argument("--declarations", type=int, default=20_000)
        parser.add_argument("--operators", type=int, default=900)
        parser.add_argument("--port", type=int, default=8766)

    def section(a: argparse.Namespace) -> str:
        found.update(run(a.users, a.seconds, a.declarations, a.operators, a.port))
        return report(found)

    code = cli(__doc__ or "", MARK, options, section, argv)
    missing = [name for name in EVERY_KIND if not found["times"].get(name)]
    if missing:  # a run too short to try everything proves nothing about it
        _say(f"no {', '.join(missing)} in this run")
    return 1 if missing or any(found["errors"].values()) else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
