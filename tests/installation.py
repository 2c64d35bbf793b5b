"""A new installation beside the test database: its own var folder and, on the PostgreSQL leg,
a database of its own (dropped afterwards), driven through the `greenlane` command as an
operator would."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings as django_settings

from tests.conftest import ON_POSTGRES


def postgres_url(name: str) -> str:
    db = django_settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def installation(var: Path, prefix: str = "greenlane_new") -> Iterator[dict[str, str]]:
    """The environment of a new installation whose var folder is ``var``."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "greenlane.settings"
    env["GREENLANE_VAR_DIR"] = str(var)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if ON_POSTGRES:
        admin(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = postgres_url(name)
    try:
        yield env
    finally:
        if ON_POSTGRES:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def command(env: dict[str, str], *args: str) -> list[str]:
    return [sys.executable, "-m", "greenlane.cli", *args]


def greenlane(
    env: dict[str, str], *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(env, *args), env=env, capture_output=True, text=True, timeout=timeout
    )
