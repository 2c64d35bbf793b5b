"""A body larger than any file Greenlane takes is refused before it is read."""

from __future__ import annotations

import socket
import time

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "json"),
    [("/declarations/uploads/new/", False), ("/api/v1/declarations/uploads", True)],
)
def test_a_declared_body_over_the_limit_is_answered_413(settings, path: str, json: bool) -> None:  # type: ignore[no-untyped-def]
    settings.MAX_UPLOAD_MB = 2
    client = Client(enforce_csrf_checks=False)
    client.force_login(factories.user("risk_analyst"))
    huge = str(10 << 30)  # 10 GB announced; a few bytes sent
    response = client.generic("POST", path, b"x" * 10, "multipart/form-data; boundary=b",
                              CONTENT_LENGTH=huge)  # fmt: skip
    assert response.status_code == 413
    text = response.json()["detail"] if json else response.content.decode()
    assert "larger than the largest file this form takes (2 MB)" in text


@pytest.mark.django_db
def test_a_form_that_takes_smaller_files_has_its_own_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAX_EVIDENCE_MB = 1
    client = Client()
    client.force_login(factories.user("trader"))
    three_mb = str(3 << 20)
    evidence = client.generic(
        "POST", "/operators/1/self-test/evidence", b"x" * 10, "multipart/form-data; boundary=b",
        CONTENT_LENGTH=three_mb,
    )  # fmt: skip
    assert evidence.status_code == 413
    assert "larger than the largest file this form takes (1 MB)" in evidence.content.decode()
    # The same size to a form that takes data files goes on to its view.
    from greenlane.web.middleware import RefuseOversizedBodies

    seen: list[str] = []
    guard = RefuseOversizedBodies(lambda request: seen.append(request.path) or HttpResponse())  # type: ignore[func-returns-value]
    request = RequestFactory().post("/declarations/uploads/new/", b"", content_type="text/plain")
    request.META["CONTENT_LENGTH"] = three_mb
    assert guard(request).status_code == 200
    assert seen == ["/declarations/uploads/new/"]


@pytest.mark.django_db(transaction=True)
def test_the_server_answers_without_waiting_for_the_announced_body(live_server) -> None:  # type: ignore[no-untyped-def]
    """Over a real socket: 10 GB announced, 1 KB sent, the 413 comes at once."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"POST /api/v1/declarations/uploads HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            + f"Content-Length: {10 << 30}\r\n\r\n".encode()
            + b"x" * 1024
        )
        began, answer = time.monotonic(), b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - began < 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "size", "status"),
    [
        # The review's 200 MB multipart body to the login page, written to /tmp before.
        ("/login/", 200 << 20, 413),
        ("/login/", 2 << 20, 413),  # a page without a file takes a form of 1 MB at most
        ("/risk/rules/", 2 << 20, 413),
        ("/api/v1/declarations/channels", 11 << 20, 413),  # a JSON body: Django's own cap
        ("/api/v1/declarations/channels", 3 << 20, None),  # a batch of 10,000 fits
        ("/declarations/mappings/new/", 3 << 20, None),  # the sample file of a mapping
        ("/trs/1/events", 3 << 20, None),  # an event log
    ],
)
def test_a_view_that_takes_no_files_refuses_a_large_body_before_reading_it(
    path: str, size: int, status: int | None
) -> None:
    from greenlane.web.middleware import RefuseOversizedBodies

    seen: list[str] = []
    guard = RefuseOversizedBodies(lambda request: seen.append(request.path) or HttpResponse())  # type: ignore[func-returns-value]
    request = RequestFactory().post(path, b"", content_type="multipart/form-data; boundary=b")
    request.META["CONTENT_LENGTH"] = str(size)
    answer = guard(request)
    if status is None:
        assert (answer.status_code, seen) == (200, [path])
    else:
        assert (answer.status_code, seen) == (status, [])
        text = answer.content.decode()
        assert "larger than the largest" in text


def test_every_api_operation_that_takes_a_file_is_given_the_file_limit() -> None:
    """An operation with a file in its body that is missing from ``TAKES_FILES`` would be
    refused any file over the JSON limit."""
    from greenlane.api.urls import TAKES_FILES, api

    schema = api.get_openapi_schema()
    with_files = set()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            form = content.get("multipart/form-data", {}).get("schema", {})
            if "$ref" in form:
                name = form["$ref"].rsplit("/", 1)[-1]
                form = schema["components"]["schemas"][name]
            if any(p.get("format") == "binary" for p in form.get("properties", {}).values()):
                with_files.add(path.removeprefix("/api/v1/"))
    assert with_files
    assert with_files == set(TAKES_FILES)
