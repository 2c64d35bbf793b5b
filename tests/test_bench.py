"""The benchmarks run in reduced form here, so they cannot rot between `make bench` runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench_runner import free_port, run_bench


@pytest.mark.slow
def test_the_synth_benchmark_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    printed = run_bench("synth.py", out, "--rows", "20000", "--repeat", "1", timeout=300)
    assert "rows per second" in printed
    text = out.read_text()
    assert "bench/synth.py begin" in text
    assert "20,000 declarations" in text


@pytest.mark.slow
@pytest.mark.postgres_only
def test_the_ingest_benchmark_runs_and_reports(tmp_path: Path) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    out = tmp_path / "benchmarks.md"
    printed = run_bench("ingest.py", out, "--rows", "20000", "--server", server, timeout=300)
    assert "ingest, rows per second" in printed
    assert "20,000 synthetic declarations" in out.read_text()


@pytest.mark.slow
@pytest.mark.postgres_only
def test_the_scale_benchmark_crawls_every_role_at_both_sizes(tmp_path: Path) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    out = tmp_path / "benchmarks.md"
    printed = run_bench(
        "scale.py", out, "--rows", "30000", "--pages", "6", "--rounds", "1",
        "--server", server, timeout=600,
    )  # fmt: skip
    assert "slowest page p95" in printed
    text = out.read_text()
    assert "bench/scale.py begin" in text
    for role in ("risk_analyst", "inspection_officer", "statistician", "trader", "validator"):
        assert f"| {role} | `/` |" in text


@pytest.mark.slow
@pytest.mark.postgres_only
def test_the_stored_scoring_benchmark_runs_and_reports(tmp_path: Path) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    out = tmp_path / "benchmarks.md"
    printed = run_bench(
        "rescore.py", out, "--rows", "10000", "--training", "20000", "--server", server,
        timeout=300,
    )  # fmt: skip
    assert "stored, rows per second" in printed
    assert "10,000 others (30,000 in all)" in out.read_text()


@pytest.mark.slow
@pytest.mark.once
def test_the_model_card_script_measures_both_data_sets(tmp_path: Path) -> None:
    from tests.shared_data import kcs_file

    kcs_file("train.csv")
    out = tmp_path / "card.md"
    run_bench("model_card.py", out, "--declarations", "30000")
    text = out.read_text()
    assert "### KCS data" in text
    assert "### Synthetic economy (30,000 declarations" in text
    assert "| revenue@10 |" in text


@pytest.mark.slow
@pytest.mark.once
def test_the_scoring_benchmark_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    printed = run_bench("score.py", out, "--rows", "20000")
    assert "scoring, rows per second" in printed
    assert "20,000 synthetic declarations" in out.read_text()


@pytest.mark.slow
@pytest.mark.once
def test_the_criteria_benchmark_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    printed = run_bench("criteria.py", out, "--assessments", "500", "--renders", "3", timeout=300)
    assert "assessments per second" in printed
    assert "gap-report page p95" in out.read_text()


@pytest.mark.slow
@pytest.mark.once
def test_the_trs_benchmark_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    printed = run_bench("trs.py", out, "--rows", "20000")
    assert "full metric set on DuckDB" in printed
    assert "ratio pandas / DuckDB" in out.read_text()


@pytest.mark.slow
@pytest.mark.once
def test_the_origin_benchmark_verifies_every_certificate_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    printed = run_bench("origin.py", out, "--certificates", "40", "--claims", "3000")
    assert "whole verification, one process" in printed
    text = out.read_text()
    assert "40 distinct signed UBL certificates of origin" in text
    assert "3,000 claim lines against 3,000 certificates" in text


@pytest.mark.slow
@pytest.mark.postgres_only
def test_the_monitoring_benchmark_runs_on_both_engines_and_reports(tmp_path: Path) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    out = tmp_path / "benchmarks.md"
    printed = run_bench(
        "monitoring.py", out, "--rows", "50000", "--operators", "500", "--pg-rows", "50000",
        "--server", server, timeout=300,
    )  # fmt: skip
    assert "indicators on DuckDB" in printed
    assert "indicators on PostgreSQL (50,000 declarations)" in out.read_text()


@pytest.mark.slow
@pytest.mark.once
def test_the_assess_api_benchmark_runs_against_a_server_and_reports(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "benchmarks.md"
    printed = run_bench(
        "assess_api.py", out, "--declarations", "4000", "--seconds", "2", "--port", str(port),
        timeout=600,
    )  # fmt: skip
    assert "single declaration, p99" in printed
    assert "batch of 10,000 declarations" in out.read_text()


@pytest.mark.slow
@pytest.mark.once
def test_the_load_test_mixes_every_kind_of_user_without_an_error(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "benchmarks.md"
    # The script exits 1 on any error, or when a kind of request never ran.
    printed = run_bench(
        "load.py", out, "--users", "8", "--seconds", "15", "--declarations", "1500",
        "--operators", "300", "--port", str(port), timeout=600,
    )  # fmt: skip
    assert "Errors in all: 0." in printed
    text = out.read_text()
    for kind in ("self-test save", "assess: 1 declaration", "ingest: upload to done", "page: home"):
        assert f"| {kind}" in text
