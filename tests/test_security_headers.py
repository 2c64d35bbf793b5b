"""Browser-facing defences (docs/security.md): the Content-Security-Policy and the other
security headers on every page, HSTS and secure cookies in production mode with
``check --deploy`` clean, and CSRF on every form, both rendered and enforced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from tests import factories
from tests.apps import test_authorisation_matrix as matrix

world = matrix.world  # the authorisation matrix's objects: every URL of its table resolves
built_world = matrix.built_world  # made once per module

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}
PAGES = [
    ("/login/", None),
    ("/register/", None),
    ("/api/v1/docs", None),
    ("/api/v1/console", None),
    ("/", Role.TRADER),
    ("/risk/what-if/", Role.RISK_ANALYST),
    ("/trs/", Role.STATISTICIAN),
]


def _policy(header: str) -> dict[str, set[str]]:
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: set(sources) for name, *sources in directives}


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "role"), PAGES)
def test_it_sends_the_policy_and_the_security_headers(path: str, role: str | None) -> None:
    client = Client()
    if role is not None:
        client.force_login(factories.user(role))
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert _policy(response["Content-Security-Policy"]) == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a production deployment sets, and nothing of the test run's environment."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GREENLANE_MODE": "production",
        "SECRET_KEY": "production-like-key-" + "k7Qz2vX9pL4mN8rT1wY6bC3dF5gH0jS" * 2,
        "ALLOWED_HOSTS": "greenlane.customs.example",
        "GREENLANE_VAR_DIR": str(tmp_path),
        "GREENLANE_SMTP_URL": "smtp://mail.customs.example:587",
        "GREENLANE_SITE_URL": "https://greenlane.customs.example",
        **extra,
    }


@pytest.mark.slow
@pytest.mark.once
def test_it_passes_the_deployment_checks_in_production_mode(tmp_path: Path) -> None:
    greenlane = Path(sys.executable).with_name("greenlane")
    done = subprocess.run(
        [str(greenlane), "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


SHOW_SETTINGS = """
import json
from greenlane import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SILENCED_SYSTEM_CHECKS")}))
"""


@pytest.mark.slow
@pytest.mark.once
def test_it_sends_cookies_over_https_only_and_asks_for_hsts_in_production_mode(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    production = json.loads(done.stdout)
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    # Preload is the administration's choice; only its check is silenced until then.
    assert production["SECURE_HSTS_PRELOAD"] is False
    assert "security.W021" in production["SILENCED_SYSTEM_CHECKS"]
    opted_in = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        env=_production_env(tmp_path, GREENLANE_HSTS_PRELOAD="true"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    preloaded = json.loads(opted_in.stdout)
    assert preloaded["SECURE_HSTS_PRELOAD"] is True
    assert "security.W021" not in preloaded["SILENCED_SYSTEM_CHECKS"]


class _PostForms(HTMLParser):
    """Counts ``<form method="post">`` elements and those without a CSRF token input. For a
    visitor who is not signed in, the language switcher is not counted: it only sets a cookie
    in their own browser, and carries no token so that public pages are the same for every
    visitor (docs/decisions/0030; its view refuses a signed-in person's post without one)."""

    def __init__(self, signed_in: bool = True) -> None:
        super().__init__()
        self.signed_in = signed_in
        self.forms = 0
        self.without_token = 0
        self._open: bool | None = None  # inside a POST form: has a token been seen?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        switcher = values.get("action") == "/language" and not self.signed_in
        if tag == "form" and (values.get("method") or "get").lower() == "post" and not switcher:
            self.forms += 1
            self._open = False
        elif tag == "input" and self._open is False:
            self._open = values.get("name") == "csrfmiddlewaretoken"

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open is not None:
            self.without_token += not self._open
            self._open = None


def _post_forms(html: str, signed_in: bool = True) -> _PostForms:
    parser = _PostForms(signed_in)
    parser.feed(html)
    parser.close()
    return parser


def test_it_finds_a_post_form_without_a_token() -> None:
    html = (
        '<form method="post"><input name="csrfmiddlewaretoken"><input name="a"></form>'
        '<form method="POST"><input name="a"></form><form method="get"><input name="q"></form>'
    )
    forms = _post_forms(html)
    assert (forms.forms, forms.without_token) == (2, 1)
    switcher = '<form method="post" action="/language"><select name="language"></select></form>'
    assert _post_forms(switcher).without_token == 1  # a signed-in person's needs its token
    assert _post_forms(switcher, signed_in=False).forms == 0


def _allowed(access: matrix.Access) -> list[str | None]:
    """Every role the table lets in (to the own organisation's objects); None: anonymous."""
    if access.roles is matrix.PUBLIC:
        return [None, Role.TRADER]
    return [role for role in Role if matrix._expected(access, role, "own", False) == access.ok]


GETS = [name for name, access in matrix.WEB.items() if access.method == "get"]
POSTS = [name for name, access in matrix.WEB.items() if access.method == "post"]


@pytest.mark.parametrize("name", GETS)
def test_every_post_form_carries_a_csrf_token(world: dict[str, object], name: str) -> None:
    access = matrix.WEB[name]
    path = matrix.url(world, access, "own")
    for role in _allowed(access):
        client = Client()
        if role is not None:
            client.force_login(world["users"][role])  # type: ignore[index]
        response = client.get(path)
        if response.streaming:  # read to the end: the test client then closes the file
            b"".join(response.streaming_content)  # type: ignore[arg-type]
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        forms = _post_forms(response.content.decode(), signed_in=role is not None)
        assert forms.without_token == 0, f"{role} GET {path}: {forms.without_token} form(s)"


@pytest.mark.parametrize("name", POSTS)
def test_every_post_route_refuses_a_request_without_a_csrf_token(
    world: dict[str, object], name: str
) -> None:
    access = matrix.WEB[name]
    role = next(role for role in _allowed(access) if role is not None)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][role])  # type: ignore[index]
    response = client.post(matrix.url(world, access, "own"))
    assert response.status_code == 403, f"{role} POST {access.path}"
    assert b"CSRF verification failed" in response.content
    assert b"Traceback" not in response.content


WRITES = [
    f"{method.upper()} {path}" for (method, path), access in matrix.API.items() if method != "get"
]


@pytest.mark.parametrize("operation", WRITES)
def test_every_api_write_refuses_a_session_without_a_csrf_token(
    world: dict[str, object], operation: str
) -> None:
    """The API's session authentication checks the token too (API keys need none)."""
    method, path = operation.split(" ", 1)
    access = matrix.API[(method.lower(), path)]
    role = next(role for role in _allowed(access) if role is not None)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][role])  # type: ignore[index]
    body = (access.body or "{}").replace("{op}", str(world["own"].pk))  # type: ignore[attr-defined]
    body = body.replace("{snapshot}", str(world["snapshots"]["own"].pk))  # type: ignore[index]
    send = getattr(client, access.method)
    response = send(matrix.url(world, access, "own"), body, content_type="application/json")
    assert response.status_code == 403, f"{role} {operation}"
    assert b"CSRF" in response.content
