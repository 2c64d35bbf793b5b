"""The declarations app's background work, for the worker to find (``jobs.discover``).

The ingest is defined with the service that queues it (``services.ingest_upload``); this path
stays importable because queue rows written before the move name it.
"""

from __future__ import annotations

from greenlane.apps.declarations.services import ingest_upload, progress_key, progress_of

__all__ = ["ingest_upload", "progress_key", "progress_of"]
