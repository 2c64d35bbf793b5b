"""A scratch PostgreSQL database for a benchmark that drives Greenlane in its own process:
created on a server, Django set up on it and migrated, dropped when the benchmark ends (also
when it fails or is stopped)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def admin(server: str, sql: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def scratch_database(server: str, name: str, var: Path) -> Iterator[None]:
    """Greenlane on a new database ``name`` of ``server`` (``postgres://user@host:port``),
    with ``var`` as its var folder, for the ``with`` block."""
    admin(server, f"CREATE DATABASE {name}")
    try:
        os.environ.update(
            DATABASE_URL=f"{server}/{name}",
            GREENLANE_VAR_DIR=str(var),
            DJANGO_SETTINGS_MODULE="greenlane.settings",
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield
    finally:
        from django.db import connections

        connections.close_all()
        admin(server, f"DROP DATABASE IF EXISTS {name}")
