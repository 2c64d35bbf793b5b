"""Test settings: the real settings module, read from a test environment set up here."""

import os
import tempfile

os.environ.setdefault("GREENLANE_VAR_DIR", tempfile.mkdtemp(prefix="greenlane-test-"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ["GREENLANE_MODE"] = "demo"
os.environ["GREENLANE_MANIFEST_STATIC"] = "false"
# Links in e-mails start with the site's address; the test client's host (a browser test sets
# its live server's).
os.environ.setdefault("GREENLANE_SITE_URL", "http://testserver")
# Playwright's sync API runs an event loop in the test thread; the ORM calls made there are
# still synchronous, so Django's guard against async contexts does not apply.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from greenlane.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
# Static files straight from the app folders (no collectstatic in tests).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run at once in the test process; tests/apps/declarations/test_worker.py runs the real
# database backend and worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# On SQLite the test database is a file, as in production (WAL, a busy timeout): an in-memory
# database shared between the live server's threads locks whole tables and fails requests
# that a real deployment would serve.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
# Public verification is rate-limited per client address, and every test client is 127.0.0.1:
# tests/apps/certification/test_public_verification.py sets a small limit where it tests it.
VERIFICATION_ATTEMPTS = 100_000
