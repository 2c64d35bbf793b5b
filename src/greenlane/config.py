"""Typed readers for settings taken from the environment.

Every reader fails loudly with :class:`ConfigError`, whose message is one line a person can act
on. The CLI and the WSGI entry point turn it into that line and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url

MODES = ("demo", "production")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""


def env_str(name: str, default: str | None = None, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    value = env.get(name, default)
    if value is None or value == "":
        raise ConfigError(f"{name} is not set")
    return value


def env_bool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(
    name: str,
    default: int,
    env: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    env = os.environ if env is None else env
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={raw!r} must be at most {maximum}")
    return value


def env_choice(
    name: str, choices: tuple[str, ...], default: str, env: Mapping[str, str] | None = None
) -> str:
    env = os.environ if env is None else env
    value = env.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of: {', '.join(choices)}")
    return value


def env_time_zone(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    """An IANA time zone name (``Asia/Seoul``); a name the zone database does not know is
    refused at start-up rather than shown as UTC without a word."""
    from zoneinfo import available_timezones

    env = os.environ if env is None else env
    value = (env.get(name) or default).strip()
    if value != "UTC" and value not in available_timezones():
        raise ConfigError(
            f"{name}={value!r} is not a time zone name (e.g. Asia/Seoul, America/Lima)"
        )
    return value


def env_text(name: str, env: Mapping[str, str] | None = None, *, max_length: int = 200) -> str:
    """Optional text to print (a name), without surrounding spaces; "" when not set."""
    env = os.environ if env is None else env
    value = (env.get(name) or "").strip()
    if len(value) > max_length:
        raise ConfigError(f"{name} is longer than {max_length} characters")
    return value


def var_dir(env: Mapping[str, str] | None = None) -> Path:
    """The writable folder for the SQLite file, the demo secret key, uploads and synthetic data."""
    env = os.environ if env is None else env
    path = Path(env.get("GREENLANE_VAR_DIR") or Path.cwd() / "var").resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"{path} is not writable ({exc.strerror}); set GREENLANE_VAR_DIR to a writable folder"
        ) from None
    return path


def database(env: Mapping[str, str] | None, var: Path) -> dict[str, Any]:
    """Parse DATABASE_URL; default: an SQLite file in the var folder, in WAL mode."""
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL") or f"sqlite:///{var / 'greenlane.sqlite3'}"
    scheme = url.split(":", 1)[0]
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite:///PATH or "
            "postgres://USER@HOST:PORT/NAME)"
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"DATABASE_URL is malformed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise ConfigError("DATABASE_URL names no SQLite file (use sqlite:////absolute/path)")
        config["OPTIONS"] = {
            # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at
            # the start of a transaction, so two writers queue instead of failing mid-way.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        if not config.get("NAME"):
            raise ConfigError("DATABASE_URL names no database (postgres://USER@HOST:PORT/NAME)")
        config["CONN_HEALTH_CHECKS"] = True
    config["ATOMIC_REQUESTS"] = False
    return config


def secret_key(mode: str, var: Path, env: Mapping[str, str] | None = None) -> str:
    """SECRET_KEY from the environment; the demo makes one and keeps it under var/."""
    env = os.environ if env is None else env
    key = env.get("SECRET_KEY")
    if key:
        if mode == "production" and len(key) < 32:
            raise ConfigError("SECRET_KEY is too short for production (use 50 random characters)")
        return key
    if mode == "production":
        raise ConfigError("SECRET_KEY is not set; production mode refuses to start without one")
    path = var / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def site_url(mode: str, env: Mapping[str, str] | None = None) -> str:
    """``GREENLANE_SITE_URL``: the address people reach Greenlane at, the start of the links in
    e-mails and of the QR code printed on certificates, which are made where no request says
    it. Production refuses to start without it (or with a plain-http one: every printed
    certificate would carry it for years); the demo and tests use the local server."""
    from urllib.parse import urlsplit

    env = os.environ if env is None else env
    url = env.get("GREENLANE_SITE_URL", "").strip().rstrip("/")
    if not url:
        if mode == "production":
            raise ConfigError(
                "GREENLANE_SITE_URL is not set: give the address people reach Greenlane at, "
                "e.g. https://aeo.customs.example (links in e-mails and the QR code on "
                "certificates start with it)"
            )
        return "http://127.0.0.1:8000"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(f"GREENLANE_SITE_URL must look like https://host[/path] (got {url!r})")
    if mode == "production" and parts.scheme != "https":
        raise ConfigError("GREENLANE_SITE_URL must start with https:// in production")
    return url


def email(mode: str, var: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Django's e-mail settings from ``GREENLANE_SMTP_URL``:
    ``smtp://user:password@host:587`` (STARTTLS), ``smtps://…:465`` (TLS from the start) or
    ``smtp://host:25`` (plain, for a relay on the same network). Without it, the demo writes
    each message as a file under ``var/mail/`` and production refuses to start, since people's
    password links would go nowhere."""
    from urllib.parse import unquote, urlsplit

    env = os.environ if env is None else env
    url = env.get("GREENLANE_SMTP_URL", "").strip()
    if not url:
        if mode == "production":
            raise ConfigError(
                "GREENLANE_SMTP_URL is not set: give the mail server, e.g. "
                "smtp://user:password@mail.example.org:587 (password links and notices go by "
                "e-mail)"
            )
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(var / "mail"),
        }
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(
            "GREENLANE_SMTP_URL must look like smtp://user:password@host:587 "
            f"(got {parts.scheme or 'no'} scheme)"
        )
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:
        raise ConfigError("GREENLANE_SMTP_URL has a port that is not a number") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "smtp" and port == 587,
        "EMAIL_TIMEOUT": 20,
    }
