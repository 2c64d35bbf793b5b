"""Keyset paging: following Next from the first page shows every row once, in the list's
order, ties included; Previous walks the same pages back; a cursor that is not one of ours
gives the first page, never an error."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenlane.apps.targeting import scoring
from greenlane.apps.targeting.models import Score
from greenlane.web.keyset import Keyset
from tests import factories

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def _walk(keys: Keyset, items, start: dict[str, str], direction: str) -> list[list[int]]:  # type: ignore[no-untyped-def]
    pages, query = [], start
    for _ in range(100):
        page = keys.page(items, RequestFactory().get("/", query))
        pages.append([s.pk for s in page])
        cursor = page.after if direction == "after" else page.before
        if cursor is None:
            return pages
        query = {direction: cursor}
    raise AssertionError("the walk did not end")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    probabilities=st.lists(
        st.sampled_from([0.0, 0.125, 0.5, 0.999, 1.0]) | st.floats(0, 1), max_size=23
    ),
    size=st.integers(1, 6),
)
def test_next_shows_each_row_once_in_order_and_previous_walks_back(
    probabilities: list[float], size: int
) -> None:
    try:
        with transaction.atomic():
            version = factories.model_version()
            owner = factories.operator()
            ids = [factories.declaration(owner).pk for _ in probabilities]
            scoring.store(version, ids, probabilities, [1.0] * len(ids))
            items = Score.objects.filter(model_version=version)
            expected = list(items.order_by("-probability", "id").values_list("pk", flat=True))
            keys = Keyset(("-probability", "id"), size=size)

            forward = _walk(keys, items, {}, "after")
            assert [pk for page in forward for pk in page] == expected
            assert all(len(p) == size for p in forward[:-1])

            last = keys.page(items, RequestFactory().get("/"))
            for _ in forward[1:]:
                last = keys.page(items, RequestFactory().get("/", {"after": last.after}))
            if len(forward) > 1:
                back = _walk(keys, items, {"before": last.before}, "before")
                assert back == list(reversed(forward[:-1]))
            raise Rollback
    except Rollback:
        pass


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "x",
        "%%%",
        "WyIxIl0",
        "WyJhIiwgImIiXQ",
        "WyIwLjUiLCAiMTAwMDAwMDAwMDAwMDAwMDAwMDAwIl0",
        "W10" * 400,
    ],
)
def test_a_cursor_that_is_not_ours_gives_the_first_page(cursor: str) -> None:
    version = factories.model_version()
    owner = factories.operator()
    ids = [factories.declaration(owner).pk for _ in range(3)]
    scoring.store(version, ids, [0.1, 0.2, 0.3], [1.0] * 3)
    items = Score.objects.filter(model_version=version)
    page = Keyset(("-probability", "id"), size=2).page(
        items, RequestFactory().get("/", {"after": cursor})
    )
    assert [s.probability for s in page] == [0.3, 0.2]
    assert page.before is None
    assert page.after is not None
