from __future__ import annotations

import os

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_report_header() -> str:
    return f"database: {settings.DATABASES['default']['ENGINE']}  CI: {IN_CI}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests are deselected (not skipped) on SQLite: they do not apply there."""
    if ON_POSTGRES:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: a missing browser or database must not pass silently."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped:
        reasons = sorted(
            {
                str(r.longrepr[-1]) if isinstance(r.longrepr, tuple) else str(r.longrepr)
                for r in skipped
            }
        )
        print(f"\nCI=true: {len(skipped)} test(s) skipped, which CI treats as failure:")
        for reason in reasons:
            print(f"  - {reason}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
