from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TalliesConfig(AppConfig):
    name = "greenlane.apps.tallies"
    label = "tallies"
    verbose_name = "Running totals"

    def ready(self) -> None:
        post_migrate.connect(_recount_on_sqlite, sender=self)


def _recount_on_sqlite(using: str = "default", **_: Any) -> None:
    """After ``migrate`` and ``flush`` on SQLite, recount. Django's flush empties SQLite's
    tables one DELETE at a time, in no set order: the triggers subtract what goes from totals
    that may already be empty. (PostgreSQL's flush truncates every table at once, which fires
    no delete trigger.) The demo's database is small, so the recount is quick."""
    from django.db import connections

    from greenlane.apps.tallies import triggers

    connection = connections[using]
    if connection.vendor == "sqlite":
        triggers.rebuild(connection)
