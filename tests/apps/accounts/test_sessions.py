"""A signed-in session ends after inactivity and after an absolute lifetime (issue 16).

The finding: sessions lasted 14 days and survived closing the browser, in production too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from greenlane.apps.accounts import sessions
from tests import factories

pytestmark = pytest.mark.django_db
T0 = 1_800_000_000.0
MINUTE = 60.0


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = T0
        monkeypatch.setattr(sessions, "_now", lambda: self.now)


def _signed_in(clock: Clock) -> Client:
    user = factories.user("statistician")
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_an_idle_session_is_signed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    client = _signed_in(clock)
    clock.now += settings.SESSION_IDLE_MINUTES * MINUTE + 1
    page = client.get(reverse("home"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login"))
    assert "signed out after a while without activity" in client.get(page["Location"]).text
    assert client.get("/api/v1/accounts/me").status_code == 401  # and it stays signed out


def test_an_active_session_lasts_until_the_absolute_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    client = _signed_in(clock)
    step = (settings.SESSION_IDLE_MINUTES - 1) * MINUTE
    while clock.now + step < T0 + settings.SESSION_MAX_HOURS * 3600:
        clock.now += step
        assert client.get(reverse("home")).status_code == 200
    clock.now = T0 + settings.SESSION_MAX_HOURS * 3600 + 1
    assert client.get(reverse("home")).status_code == 302


def test_the_api_answers_401_once_the_session_is_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    client = _signed_in(clock)
    assert client.get("/api/v1/accounts/me").status_code == 200
    clock.now += settings.SESSION_IDLE_MINUTES * MINUTE + 1
    assert client.get("/api/v1/accounts/me").status_code == 401


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GREENLANE_", "SECRET"))}
    clean.update(GREENLANE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="greenlane.settings")
    clean.update(env)
    code = (
        "from greenlane import settings as s; "
        "print(s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.SESSION_COOKIE_AGE, s.SESSION_IDLE_MINUTES)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_cookies_end_with_the_browser_and_limits_come_from_the_environment(
    tmp_path: Path,
) -> None:
    production = _settings(
        tmp_path, GREENLANE_MODE="production", SECRET_KEY="k" * 50, ALLOWED_HOSTS="example.org",
        GREENLANE_SMTP_URL="smtp://mail.example.org:587", GREENLANE_SITE_URL="https://example.org",
        GREENLANE_SESSION_IDLE_MINUTES="15", GREENLANE_SESSION_MAX_HOURS="8",
    )  # fmt: skip
    assert production.stdout.split() == ["True", str(8 * 3600), "15"], production.stderr
    demo = _settings(tmp_path)
    assert demo.stdout.split() == ["False", str(12 * 3600), "30"], demo.stderr


def test_a_zero_or_malformed_limit_stops_the_program(tmp_path: Path) -> None:
    zero = _settings(tmp_path, GREENLANE_SESSION_IDLE_MINUTES="0")
    assert "must be at least 1" in zero.stderr
    malformed = _settings(tmp_path, GREENLANE_SESSION_MAX_HOURS="half a day")
    assert "GREENLANE_SESSION_MAX_HOURS='half a day' is not an integer" in malformed.stderr
