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
    "/certificates/1/qr.svg", "/certificates/1/certificate.pdf", "/certificates/1/documents/1.pdf",
    "/certification/statistics/",
    "/mra/status/", "/mra/1/", "/mra/1/imports/1/rejected.csv",
    "/risk/models/", "/risk/models/1/", "/risk/models/runs/1/progress/", "/risk/scores/",
    "/risk/declarations/1/", "/risk/queue/", "/risk/simulations/1/",
    "/risk/simulations/1/progress/", "/risk/what-if/",
    "/self-test/", "/evidence/1/", "/operators/1/self-test/report/",
    "/operators/1/self-test/report.pdf", "/operators/1/self-tests/", "/operators/1/self-tests/1/",
    "/operators/1/self-tests/1/report.pdf", "/catalogue/", "/catalogue/kr-aeo/",
    "/monitoring/alerts/", "/monitoring/alerts/1/", "/monitoring/runs/1/progress",
    "/operators/1/monitoring/",
    "/declarations/uploads/1/", "/declarations/uploads/1/progress", "/declarations/batches/",
    "/declarations/batches/1/", "/declarations/batches/1/rejected.csv",
    "/declarations/mappings/", "/declarations/mappings/1/",
    "/trs/", "/trs/1/", "/trs/1/progress", "/trs/1/report.html", "/trs/1/report.pdf",
    "/trs/1/summary/", "/trs/1/rejected.csv",
]  # fmt: skip


@pytest.mark.parametrize("path", READ_ONLY)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_read_only_page_refuses_other_methods(path: str, method: str) -> None:
    client = Client()
    client.force_login(factories.user(Role.ADMINISTRATOR, factories.organisation("customs")))
    response = getattr(client, method)(path)
    assert response.status_code == 405
    # POST reaches the view, which allows GET and HEAD; PUT, PATCH and DELETE are refused
    # for every page before any view (``RefuseOtherMethods``).
    allowed = "GET, HEAD" if method == "post" else "GET, HEAD, POST"
    assert response["Allow"] == allowed


def test_the_audit_log_still_answers_get_and_head() -> None:
    client = Client()
    client.force_login(factories.user(Role.ADMINISTRATOR, factories.organisation("customs")))
    assert client.get("/audit/").status_code == 200
    assert client.head("/audit/").status_code == 200


FORM_PAGES = [
    "/login/", "/risk/rules/", "/mra/", "/declarations/uploads/new/",
    "/declarations/mappings/new/", "/operators/1/self-test/", "/account/password/",
]  # fmt: skip


@pytest.mark.parametrize("path", FORM_PAGES)
@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_a_page_that_takes_a_form_refuses_methods_other_than_get_and_post(
    path: str, method: str
) -> None:
    client = Client()
    client.force_login(factories.user(Role.ADMINISTRATOR, factories.organisation("customs")))
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"


def test_the_api_routes_its_own_methods() -> None:
    client = Client()
    client.force_login(factories.user(Role.TRADER))
    # PUT is an API method (saving a draft answer): it reaches the API, which answers itself.
    answer = client.put("/api/v1/self-assessments/operators/999999/draft/answers/X", "{}",
                        content_type="application/json")  # fmt: skip
    assert answer.status_code != 405
