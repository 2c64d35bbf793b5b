"""Benchmark: readiness of many self-assessments, and the gap-report page.

In one process:
- readiness: N random self-assessments (answers and operator facts) against every programme in
  force, evaluated as one batch by `greenlane.core.criteria.engine.evaluate_many`; baseline: the
  same engine called once per assessment (what a loop over self-tests would cost);
- gap-report page: the page of a self-test rendered through Django against the shipped
  catalogue plus a generated programme, so that at least 200 criteria are in force; p50/p95 of
  repeated renders; baseline: computing the same readiness and gaps without rendering.
Results go to docs/benchmarks.md.

    python bench/criteria.py [--assessments 10000] [--renders 40]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import cli

MARK = "bench/criteria.py"
ON = date(2026, 6, 1)


def _random_inputs(catalogue: object, n: int, seed: int = 7) -> tuple[np.ndarray, list[object]]:
    from greenlane.core.criteria.engine import Profile
    from greenlane.core.criteria.schema import OperatorType

    rng = np.random.default_rng(seed)
    requirements = catalogue.baseline.requirements  # type: ignore[attr-defined]
    credits = np.array([1.0, 0.5, 0.0, np.nan])
    weights = np.array([0.7, 0.15, 0.1, 0.05])
    matrix = credits[rng.choice(4, size=(n, len(requirements)), p=weights)]
    na_forbidden = [i for i, r in enumerate(requirements) if not r.na_allowed]
    matrix[:, na_forbidden] = np.nan_to_num(matrix[:, na_forbidden], nan=1.0)
    types = [t.value for t in OperatorType]
    profiles = [
        Profile(
            years_in_business=float(rng.integers(0, 30)),
            declarations_per_year=int(rng.integers(0, 3000)),
            years_since_serious_infringement=None
            if rng.random() < 0.8
            else float(rng.integers(0, 6)),
            arrears=bool(rng.random() < 0.05),
            msme=bool(rng.random() < 0.6),
            operator_types=frozenset(
                rng.choice(types, size=int(rng.integers(1, 3)), replace=False)
            ),
        )
        for _ in range(n)
    ]
    return matrix, profiles


def readiness(n: int) -> dict[str, float]:
    from greenlane.core.criteria.engine import compiled, evaluate_many
    from greenlane.core.criteria.loader import shipped

    catalogue = shipped()
    matrix, profiles = _random_inputs(catalogue, n)
    compiled(catalogue, ON)  # compile once, as a long-running process does
    single_n = min(n, 1000)
    start = time.perf_counter()
    for i in range(single_n):
        evaluate_many(catalogue, matrix[i : i + 1], profiles[i : i + 1], ON)
    single = time.perf_counter() - start
    start = time.perf_counter()
    results = evaluate_many(catalogue, matrix, profiles, ON)
    batch = time.perf_counter() - start
    criteria = sum(len(e.compiled.version.criteria) for e in results)
    return {
        "assessments": n,
        "programmes": len(results),
        "criteria": criteria,
        "batch_per_s": n / batch,
        "single_per_s": single_n / single,
    }


def _big_catalogue(root: Path, extra_criteria: int) -> Path:
    """The shipped catalogue plus one generated programme with ``extra_criteria`` criteria."""
    from greenlane.core.criteria.loader import shipped, shipped_root

    shutil.copytree(shipped_root(), root, dirs_exist_ok=True)
    requirements = [r.id for r in shipped().baseline.requirements]
    lines = [
        "id: bench-200", "title: Generated benchmark programme", "authority: Bench",
        "jurisdiction: ZZ", "kind: national", "versions:", "  - version: bench",
        "    valid_from: 2000-01-01", "    coverage: complete", "    sources:",
        "      - {id: s, title: Generated, url: 'https://example.org'}", "    groups:",
    ]  # fmt: skip
    lines += [f"      - {{id: g{g}, title: Group {g}}}" for g in range(8)]
    lines.append("    criteria:")
    for i in range(extra_criteria):
        maps = ", ".join(requirements[(i + k) % len(requirements)] for k in range(2))
        lines += [
            f"      - id: B-{i}", f"        group: g{i % 8}", f"        title: Criterion {i}",
            f"        text: Generated criterion number {i}.", f"        maps_to: [{maps}]",
            "        reference: {source: s}",
        ]  # fmt: skip
    lines += ["    eligibility: {reference: {source: s}}", "    tiers:"]
    for t, cut in enumerate((60, 80, 95)):
        lines += [
            f"      - id: T{t}", f"        title: Tier {t}", "        gates:",
            *[f"          - {{score: g{g}, min: {cut}, reference: {{source: s}}}}"
              for g in range(8)],
            "        reference: {source: s}",
        ]  # fmt: skip
    (root / "programmes" / "bench-200.yaml").write_text("\n".join(lines) + "\n")
    return root


def report_page(renders: int, tmp: Path) -> dict[str, float]:
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        GREENLANE_VAR_DIR=str(tmp / "var"),
        DJANGO_SETTINGS_MODULE="greenlane.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from greenlane.apps.accounts import services as accounts
    from greenlane.apps.accounts.roles import OrganisationKind, Role
    from greenlane.apps.assessments import services
    from greenlane.apps.assessments.models import Answer, SelfAssessment
    from greenlane.apps.operators import services as operators
    from greenlane.apps.operators.models import Operator
    from greenlane.core.criteria.engine import compiled
    from greenlane.core.criteria.loader import load_catalogue

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    big = load_catalogue(_big_catalogue(tmp / "catalogue", 80))
    services.catalogue = lambda: big  # type: ignore[assignment]
    in_force = sum(len(c.version.criteria) for c in compiled(big, date.today()))
    org = accounts.create_organisation("Bench Ltd", OrganisationKind.OPERATOR, "KR")
    operator = Operator.objects.create(
        code="B1", name="Bench Ltd", country="KR", trade_role="importer", size_class="small",
        employees=20, established_on=date(2015, 1, 1),
    )  # fmt: skip
    operators.attach_organisation(operator, org)
    user = accounts.create_user("bench", "a-long-bench-password", Role.TRADER, org)
    draft = SelfAssessment.objects.create(operator=operator, created_by=user)
    answers = ["met", "met", "partly", "not_met", "met"]
    Answer.objects.bulk_create(
        Answer(assessment=draft, requirement=r.id, answer=answers[i % 5], updated_by=user)
        for i, r in enumerate(big.baseline.requirements)
    )
    client = Client()
    client.force_login(user)
    url = f"/operators/{operator.pk}/self-test/report/"
    assert client.get(url).status_code == 200  # warm up: templates, catalogue compilation
    pages, computes = [], []
    for _ in range(renders):
        start = time.perf_counter()
        response = client.get(url)
        pages.append(time.perf_counter() - start)
        assert response.status_code == 200
        start = time.perf_counter()
        services.evaluate(operator, draft)
        computes.append(time.perf_counter() - start)
    return {
        "renders": renders,
        "criteria_in_force": in_force,
        "page_p50_ms": 1000 * statistics.median(pages),
        "page_p95_ms": 1000 * float(np.percentile(pages, 95)),
        "compute_p50_ms": 1000 * statistics.median(computes),
    }


def report(r: dict[str, float], p: dict[str, float]) -> str:
    ok = "meets" if r["batch_per_s"] >= 5000 else "MISSES"
    page_ok = "meets" if p["page_p95_ms"] < 300 else "MISSES"
    return "\n".join(
        [
            f"<!-- {MARK} begin -->",
            "## Self-test readiness and the gap report (`bench/criteria.py`)",
            "",
            f"{int(r['assessments']):,} random self-assessments against the {int(r['programmes'])} "
            f"programmes in force ({int(r['criteria'])} criteria); {os.cpu_count()} cores. "
            f"Gap-report page with {int(p['criteria_in_force'])} criteria in force, "
            f"{int(p['renders'])} renders.",
            "",
            "| measure | value | target |",
            "|---|---|---|",
            f"| readiness, batch, assessments per second | {r['batch_per_s']:,.0f} "
            f"| ≥ 5,000 ({ok}) |",
            f"| baseline: one assessment per call, per second | {r['single_per_s']:,.0f} | |",
            f"| ratio batch / one per call | {r['batch_per_s'] / r['single_per_s']:.1f} | |",
            f"| gap-report page p50 | {p['page_p50_ms']:.0f} ms | |",
            f"| gap-report page p95 | {p['page_p95_ms']:.0f} ms | < 300 ms ({page_ok}) |",
            f"| baseline: readiness and gaps computed, p50 | {p['compute_p50_ms']:.0f} ms | |",
            f"| ratio page / computation (p50) | {p['page_p50_ms'] / p['compute_p50_ms']:.1f} | |",
            f"<!-- {MARK} end -->",
        ]
    )


def main(argv: list[str]) -> int:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--assessments", type=int, default=10_000)
        parser.add_argument("--renders", type=int, default=40)

    def section(args: argparse.Namespace) -> str:
        tmp = Path(tempfile.mkdtemp(prefix="greenlane-bench-"))
        try:
            return report(readiness(args.assessments), report_page(args.renders, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    return cli(__doc__ or "", MARK, options, section, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
