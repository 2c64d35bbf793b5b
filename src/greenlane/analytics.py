"""The application's own database as an Ibis backend, for set-wise analytics run in place."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings


def postgres_url() -> str:
    """The application's PostgreSQL database as a URL for the analytics engine."""
    db = settings.DATABASES["default"]
    user, password = quote(db.get("USER") or ""), quote(db.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host, port = db.get("HOST") or "localhost", db.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(db['NAME'])}"


def is_postgres() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def app_backend() -> Any:
    """An Ibis connection to the database Django uses (SQLite file or PostgreSQL). It sees
    committed data only: call it outside an open transaction that wrote what it must read."""
    import ibis

    if is_postgres():
        return ibis.connect(postgres_url())
    return ibis.sqlite.connect(str(settings.DATABASES["default"]["NAME"]))
