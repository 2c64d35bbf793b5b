"""The notices app's background work, for the worker to find (``jobs.discover``): the
e-mail of a notice, and the outbox's retries and daily digests every ten minutes."""

from __future__ import annotations

from greenlane.apps.notices.mail import deliver_pending, outbox

__all__ = ["deliver_pending", "outbox"]
