"""Canonical serialisation and hashing of audit events (pure functions, no database)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "credential", "session")
MASK = "***"


def mask_secrets(value: Any) -> Any:
    """Replace the value of every key that names a secret, at any depth."""
    if isinstance(value, Mapping):
        return {
            str(k): MASK
            if any(word in str(k).lower() for word in SECRET_WORDS)
            else mask_secrets(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(v) for v in value]
    return value


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8, datetimes as ISO 8601 UTC with microseconds."""

    def default(obj: Any) -> str:
        if isinstance(obj, datetime):
            return obj.isoformat(timespec="microseconds")
        return str(obj)

    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    ).encode()


def event_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(fields)).hexdigest()


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def verify(
    events: Iterable[tuple[int, str, str, Mapping[str, Any]]], head: tuple[int, str] | None
) -> Break | None:
    """Walk (seq, prev_hash, hash, fields) in seq order; return the first broken link.

    A deleted row shows as a gap in the sequence or a prev_hash that does not match; deleted
    newest rows show against the chain head; an edited row shows as a hash mismatch.
    """
    expected_seq, expected_prev = 1, GENESIS
    for seq, prev_hash, stored_hash, fields in events:
        if seq != expected_seq:
            return Break(expected_seq, f"event #{expected_seq} is missing (next found: #{seq})")
        if prev_hash != expected_prev:
            return Break(seq, f"event #{seq} does not link to event #{seq - 1}")
        if event_hash(prev_hash, fields) != stored_hash:
            return Break(seq, f"event #{seq} was changed after it was written")
        expected_seq, expected_prev = seq + 1, stored_hash
    last_seq = expected_seq - 1
    if head is not None and (head[0], head[1]) != (last_seq, expected_prev):
        if head[0] > last_seq:
            return Break(last_seq + 1, f"events #{last_seq + 1}..#{head[0]} are missing")
        return Break(last_seq, "the chain head does not match the last event")
    return None
