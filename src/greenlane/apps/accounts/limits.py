"""Fixed-window counters in the cache every process shares: how many times something was
tried in the current window, and how long to wait once past the limit."""

from __future__ import annotations

import time

from django.core.cache import cache


def retry_after(key: str, limit: int, window: int) -> int:
    """Count one attempt under ``key``; past ``limit`` in this ``window`` (seconds), the
    seconds until the window ends (else 0)."""
    now = int(time.time())
    start = now - now % window
    slot = f"{key}:{start}"
    cache.add(slot, 0, timeout=window)
    try:
        count = cache.incr(slot)
    except ValueError:  # expired between add and incr
        cache.set(slot, 1, timeout=window)
        count = 1
    return start + window - now if count > limit else 0
