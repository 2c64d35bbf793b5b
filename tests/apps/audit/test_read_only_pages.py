"""Pages that only show something answer GET and HEAD; any other method is a 405 (issue 16:
``/audit/`` answered 200 to POST, PUT, DELETE and PATCH)."""

from __future__ import annotations

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db

READ_ONLY = [
    "/", "/operators/", "/operators/1/", "/audit/",
    "/applications/", "/applications/1/", "/certificates/", "/certificates/1/",
    "/certificates/1/qr.svg", "/certification/statistics/",
    "/mra/status/", "/mra/1/", "/mra/1/imports/1/rejected.csv",
    "/risk/models/", "/risk/models/1/", "/risk/models/runs/1/progress/", "/risk/scores/",
    "/risk/declarations/1/", "/risk/queue/", "/risk/simulations/1/",
    "/risk/simulations/1/progress/", "/risk/what-if/",
]  # fmt: skip


@pytest.mark.parametrize("path", READ_ONLY)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_read_only_page_refuses_other_methods(path: str, method: str) -> None:
    client = Client()
    client.force_login(factories.user(Role.ADMINISTRATOR, factories.organisation("customs")))
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_the_audit_log_still_answers_get_and_head() -> None:
    client = Client()
    client.force_login(factories.user(Role.ADMINISTRATOR, factories.organisation("customs")))
    assert client.get("/audit/").status_code == 200
    assert client.head("/audit/").status_code == 200
