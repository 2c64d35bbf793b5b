"""Data made once for a module's tests: each test then runs in a savepoint of it.

For modules whose every test needs the same costly world (two thousand requests against one
set of objects, a seeded economy): the world is made inside a transaction that is rolled
back when the module ends, and pytest-django's ``db`` fixture wraps each test in a savepoint
of that transaction, so what one test changes is gone before the next. Every test of such a
module sees the world, whether it asks for it or not: a test that needs an empty database
belongs in another module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction


@contextmanager
def kept(django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]  # durable blocks as in a TestCase
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
