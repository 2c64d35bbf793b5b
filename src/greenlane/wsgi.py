"""WSGI entry point for gunicorn."""

from __future__ import annotations

import os
import sys

from greenlane.config import ConfigError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greenlane.settings")

try:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
except ConfigError as exc:  # one line for the operator, not a traceback
    print(f"greenlane: configuration error: {exc}", file=sys.stderr)
    sys.exit(2)
