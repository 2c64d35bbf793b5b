"""No page's cost grows with the declarations on record: every query a page runs, crawled as
each demo role from its start page, is one an index bounds or a running total answers.

The check reads PostgreSQL's plans at a small N, with sequential scans and hash and merge
joins priced out of reach, and fails on a sequential scan of a large table: no index can bound
that read. Index scans without a bound are collected but do not fail the test: whether the
planner picks one at this size depends on statistics that earlier tests leave behind (it
changed between CI runs); bench/scale.py measures their growth at ten million.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from greenlane import demo
from greenlane.apps.accounts.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only, pytest.mark.slow]

#: The tables that grow with every declaration (channel decisions: when every declaration
#: is assessed through the API, as a customs system would).
LARGE = {
    "declarations_declaration", "declarations_inspection", "targeting_score",
    "targeting_channeldecision",
}  # fmt: skip
#: Not pages: files, pictures, progress polls; they read what they are asked for.
SKIPPED = re.compile(r"\.(pdf|csv|xlsx|svg|jsonl?)$|/progress/?$|export=|/logout|/static/")
PAGES_PER_ROLE = 60
PRICED_OUT = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


def _whole_reads(plan: dict[str, Any]) -> Iterator[str]:
    kind = plan["Node Type"]
    table = plan.get("Relation Name")
    # Only a sequential scan fails the test: with sequential scans priced out, it means no
    # index can bound the read at all. An unbounded index scan depends on the planner's
    # statistics at this small N (what earlier tests left in the database changed it between
    # runs), so the growth of such reads is measured by bench/scale.py instead.
    if table in LARGE and kind == "Seq Scan":
        yield f"{kind} on {table}"
    for child in plan.get("Plans", []):
        yield from _whole_reads(child)


def _problems(sql: str) -> list[str]:
    if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in LARGE):
        return []
    # At a small N a whole read is cheap and the planner may prefer it to a bounded plan
    # that exists: price sequential scans and hash and merge joins (which read a side
    # whole) out of reach, so that only a query with no bounded plan shows a whole read.
    with connection.cursor() as cursor:
        for setting in PRICED_OUT:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
        for setting in PRICED_OUT:
            cursor.execute(f"SET LOCAL {setting} = on")
    plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
    return list(_whole_reads(plan))


def _links(html: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]+)"', html):
        href = href.replace("&amp;", "&")
        parts = urlsplit(href)
        if not parts.netloc and parts.path.startswith("/") and not SKIPPED.search(href):
            found.append(href)
    return found


@pytest.fixture
def seeded(tmp_path: Path) -> None:
    demo.seed(demo.demo_config(declarations=3_000, operators_=150), tmp_path)


def test_no_page_reads_a_large_table_whole(seeded: None) -> None:
    found: dict[str, list[str]] = {}
    crawled = 0
    for user in User.objects.filter(is_active=True).order_by("username"):
        client = Client()
        client.force_login(user)
        todo, seen = ["/"], set()
        while todo and len(seen) < PAGES_PER_ROLE:
            url = todo.pop(0)
            if url in seen or url.startswith("/api/"):
                continue
            seen.add(url)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            crawled += 1
            for query in queries.captured_queries:
                for problem in _problems(query["sql"]):
                    found.setdefault(f"{user.role} {url}: {problem}", []).append(query["sql"])
            todo.extend(_links(response.content.decode()))
    assert crawled > 100
    assert not found, "\n\n".join(f"{k}\n  {v[0][:600]}" for k, v in sorted(found.items()))
