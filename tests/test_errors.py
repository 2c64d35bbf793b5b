"""The answer to an unhandled error: no trace, nothing that needs the database, and 503 with
Retry-After when the database is what failed."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from greenlane.web.views import server_error


@pytest.mark.parametrize(
    ("error", "status"), [(OperationalError("server closed the connection"), 503),
                          (RuntimeError("a bug"), 500)],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/register/", "/api/v1/risk/models"])
def test_an_unhandled_error_is_answered_without_a_trace(
    error: Exception, status: int, path: str
) -> None:
    request = RequestFactory().get(path)
    try:
        raise error
    except Exception:
        response = server_error(request)
    assert response.status_code == status
    body = response.content.decode()
    assert "Traceback" not in body
    assert str(error) not in body
    assert (response.get("Retry-After") == "5") == (status == 503)
    if path.startswith("/api/"):
        assert "database is unavailable" in json.loads(body)["detail"] or status == 500
    else:
        assert ("cannot be reached" in body) == (status == 503)


def test_a_body_that_stopped_arriving_is_a_408_not_a_server_error() -> None:
    """``greenlane.server`` raises when a client sends its body too slowly; Django reports it
    as an unreadable body."""
    from django.http import UnreadablePostError

    from greenlane.server import SlowClient

    try:
        try:
            raise SlowClient("the request body did not arrive in time")
        except SlowClient as slow:
            raise UnreadablePostError(*slow.args) from slow
    except UnreadablePostError:
        response = server_error(RequestFactory().post("/login/"))
    assert response.status_code == 408


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/operators/?q=a%00b", "/verify/A%00/", "/register/?q=%00", "/mra/status/?identifier=%00"],
)
def test_a_nul_character_in_a_page_request_is_refused_not_a_server_error(url: str) -> None:
    from django.test import Client

    from tests import factories

    client = Client()
    client.force_login(factories.user("administrator"))
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL characters" in response.content.decode()
    form = client.post("/operators/", {"q": "a\x00b"})
    assert form.status_code == 400
