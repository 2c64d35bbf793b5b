"""Settings come from the environment; anything wrong stops the program with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from greenlane import config


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GREENLANE_", "DATABASE_URL", "SECRET_KEY"))
    }
    env.update(DJANGO_SETTINGS_MODULE="greenlane.settings", GREENLANE_VAR_DIR=str(tmp_path / "var"))
    env.update(extra)
    return env


def _greenlane(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "greenlane.cli", *args],
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"DATABASE_URL": "mysql://root@localhost/x"},
            "DATABASE_URL scheme 'mysql' is not supported",
        ),
        ({"DATABASE_URL": "postgres://user@host:notaport/db"}, "DATABASE_URL is malformed"),
        ({"GREENLANE_MODE": "production", "ALLOWED_HOSTS": "x"}, "SECRET_KEY is not set"),
        ({"GREENLANE_MODE": "staging"}, "GREENLANE_MODE='staging' is not one of: demo, production"),
        ({"GREENLANE_VAR_DIR": "/etc/hostname/var"}, "is not writable"),
        (
            {"GREENLANE_LOCKOUT_ATTEMPTS": "many"},
            "GREENLANE_LOCKOUT_ATTEMPTS='many' is not an integer",
        ),
        # A limit of 0 would refuse every request (or lock everyone out) instead of stopping.
        ({"GREENLANE_LOCKOUT_ATTEMPTS": "0"}, "GREENLANE_LOCKOUT_ATTEMPTS='0' must be at least 1"),
        (
            {"GREENLANE_KEY_DECLARATIONS_PER_DAY": "-5"},
            "GREENLANE_KEY_DECLARATIONS_PER_DAY='-5' must be at least 1",
        ),
        ({"GREENLANE_REQUEST_TIMEOUT": "0"}, "GREENLANE_REQUEST_TIMEOUT='0' must be at least 1"),
        ({"GREENLANE_TRUSTED_PROXIES": "-1"}, "GREENLANE_TRUSTED_PROXIES='-1' must be at least 0"),
    ],
)
def test_it_stops_with_one_line_and_exit_code_2(
    tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    done = _greenlane(tmp_path, "migrate", **extra)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(config.ConfigError, match="too short"):
        config.secret_key("production", Path("/nonexistent"), {"SECRET_KEY": "short"})


def test_the_demo_generates_a_secret_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = config.secret_key("demo", tmp_path, {})
    assert len(first) >= 50
    assert config.secret_key("demo", tmp_path, {}) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_sqlite_is_the_default_in_wal_mode(tmp_path: Path) -> None:
    db = config.database({}, tmp_path)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "greenlane.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_postgres_urls_are_parsed(tmp_path: Path) -> None:
    db = config.database({"DATABASE_URL": "postgres://alice@db.internal:5433/customs"}, tmp_path)
    assert (db["ENGINE"], db["USER"], db["HOST"], db["PORT"], db["NAME"]) == (
        "django.db.backends.postgresql",
        "alice",
        "db.internal",
        5433,
        "customs",
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("0", False), ("", True), ("Yes", True)]
)
def test_booleans_are_read_strictly(raw: str, expected: bool) -> None:
    assert config.env_bool("X", True, {"X": raw}) is expected
    with pytest.raises(config.ConfigError):
        config.env_bool("X", True, {"X": "maybe"})


def test_optional_text_is_empty_when_unset_and_refused_when_too_long() -> None:
    assert config.env_text("X", {}) == ""
    assert config.env_text("X", {"X": "  Seoul Main Customs "}) == "Seoul Main Customs"
    with pytest.raises(config.ConfigError, match="longer than 200"):
        config.env_text("X", {"X": "x" * 201})


@pytest.mark.slow
def test_the_wal_journal_is_on_in_a_migrated_database(tmp_path: Path) -> None:
    done = _greenlane(tmp_path, "migrate")
    assert done.returncode == 0, done.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "greenlane.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://ann:p%40ss@mail.example.org:587", {"EMAIL_HOST": "mail.example.org",
         "EMAIL_PORT": 587, "EMAIL_HOST_USER": "ann", "EMAIL_HOST_PASSWORD": "p@ss",
         "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False}),
        ("smtps://mail.example.org", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True,
         "EMAIL_USE_TLS": False}),
        ("smtp://relay:25", {"EMAIL_PORT": 25, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False}),
    ],
)  # fmt: skip
def test_the_mail_server_is_read_from_one_url(url: str, expected: dict[str, object]) -> None:
    got = config.email("production", Path("/var"), {"GREENLANE_SMTP_URL": url})
    assert got["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert {k: got[k] for k in expected} == expected


def test_mail_without_a_server_goes_to_files_in_the_demo_and_stops_production() -> None:
    demo = config.email("demo", Path("/var/gl"), {})
    assert demo == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/var/gl/mail",
    }
    with pytest.raises(config.ConfigError, match="GREENLANE_SMTP_URL is not set"):
        config.email("production", Path("/var"), {})
    for bad in ("http://mail.example.org", "smtp://", "smtp://host:port"):
        with pytest.raises(config.ConfigError, match="GREENLANE_SMTP_URL"):
            config.email("production", Path("/var"), {"GREENLANE_SMTP_URL": bad})


def test_the_site_address_is_required_and_https_in_production() -> None:
    assert config.site_url("demo", {}) == "http://127.0.0.1:8000"
    assert config.site_url("production", {"GREENLANE_SITE_URL": "https://aeo.kcs.example/"}) == (
        "https://aeo.kcs.example"
    )
    with pytest.raises(config.ConfigError, match="GREENLANE_SITE_URL is not set"):
        config.site_url("production", {})
    with pytest.raises(config.ConfigError, match="https:// in production"):
        config.site_url("production", {"GREENLANE_SITE_URL": "http://aeo.kcs.example"})
    for bad in ("aeo.kcs.example", "ftp://aeo.kcs.example", "https://", "https://a.b/?x=1"):
        with pytest.raises(config.ConfigError, match="must look like"):
            config.site_url("demo", {"GREENLANE_SITE_URL": bad})
