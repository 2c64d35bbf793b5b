from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_report_header() -> str:
    return f"database: {settings.DATABASES['default']['ENGINE']}  CI: {IN_CI}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests are deselected (not skipped) on SQLite, where they do not apply.
    Three kinds run once, in the SQLite leg: long tests that do not touch the database, the
    core's tests (no database at all), and the browser tests, which walk the pages on the
    demo's database (SQLite) while the queries behind those pages run on both databases in
    the app and web tests."""
    unwanted = ("once", "browser") if ON_POSTGRES else ("postgres_only",)
    keep, drop = [], []
    for item in items:
        unwanted_here = any(item.get_closest_marker(m) for m in unwanted) or (
            ON_POSTGRES and _database_free(item)
        )
        (drop if unwanted_here else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _database_free(item: pytest.Item) -> bool:
    """The core's tests (no Django, no database: the layers' rule) give the same result
    whatever the leg's database, so they run once, in the SQLite leg; those of them that
    reach PostgreSQL on their own are marked ``postgres_only`` and stay."""
    core = Path(__file__).parent / "core"
    return core in Path(str(item.path)).parents and not item.get_closest_marker("postgres_only")


def _skips(config: pytest.Config) -> list[pytest.TestReport]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return list(reporter.stats.get("skipped", [])) if reporter else []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: a missing browser or database must not pass silently."""
    if IN_CI and _skips(session.config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    skipped = _skips(config)
    if IN_CI and skipped:
        terminalreporter.section("skipped tests fail in CI", red=True)
        for report in skipped:
            reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
            terminalreporter.write_line(f"{report.nodeid}: {reason}", red=True)
