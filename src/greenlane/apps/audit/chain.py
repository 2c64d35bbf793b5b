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


#: The first line of an export file says what it is; each line after it is one event.
EXPORT_KIND = "greenlane-audit-export"
EXPORT_FIELDS = (
    "seq", "at", "action", "actor_id", "actor", "organisation_id", "subject_type",
    "subject_id", "data",
)  # fmt: skip


@dataclass(frozen=True)
class ExportCheck:
    events: int
    #: Runs of consecutive events (first seq, last seq): within a run nothing can have been
    #: left out or reordered; between runs the export's filter left events out.
    runs: list[tuple[int, int]]
    broken: Break | None
    head: tuple[int, str] | None


def export_line(fields: Mapping[str, Any], prev_hash: str, hash_: str) -> str:
    """One event of an export, as JSON: its hashed fields as the chain hashes them (the time
    as ISO 8601 UTC with microseconds) and its two hashes."""
    out = {k: fields[k] for k in EXPORT_FIELDS}
    at = out["at"]
    out["at"] = at.isoformat(timespec="microseconds") if isinstance(at, datetime) else at
    out["prev_hash"], out["hash"] = prev_hash, hash_
    return json.dumps(out, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def verify_export(lines: Iterable[str]) -> ExportCheck:
    """Check an export file offline, line by line: every event's hash must be the hash of its
    fields after its predecessor's hash, and an event that follows its predecessor in the file
    must link to it. A changed byte in any event fails it. An export of the whole log (its
    first line names no filter) must hold every event from #1 to the head it names. In a
    filtered export what the filter left out cannot be told from what someone removed between
    runs of consecutive events: the runs are reported, and the head, compared with
    ``greenlane audit verify`` on the live log, anchors the newest event."""
    head: tuple[int, str] | None = None
    whole = False  # an export of the whole log must hold every event from #1 to the head
    runs: list[tuple[int, int]] = []
    count, previous = 0, None  # (seq, hash) of the event before, in the file
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            return ExportCheck(count, runs, Break(0, f"line {number} is not JSON"), head)
        if not isinstance(record, dict):
            return ExportCheck(count, runs, Break(0, f"line {number} is not an object"), head)
        if number == 1 and record.get("kind") == EXPORT_KIND:
            given = record.get("head") or {}
            head = (int(given.get("seq", 0)), str(given.get("hash", "")))
            whole = not any((record.get("filter") or {}).values())
            continue
        missing = [k for k in (*EXPORT_FIELDS, "prev_hash", "hash") if k not in record]
        if missing or not isinstance(record["seq"], int):
            what = ", ".join(missing) or "seq"
            return ExportCheck(count, runs, Break(0, f"line {number}: no valid {what}"), head)
        seq = record["seq"]
        expected = previous[0] + 1 if previous is not None else 1
        if whole and seq != expected:
            reason = f"event #{expected} is missing from the whole-log export (next: #{seq})"
            return ExportCheck(count, runs, Break(expected, reason), head)
        fields = {k: record[k] for k in EXPORT_FIELDS}
        if event_hash(str(record["prev_hash"]), fields) != record["hash"]:
            reason = f"event #{seq} (line {number}) was changed after it was written"
            return ExportCheck(count, runs, Break(seq, reason), head)
        if previous is not None and seq == previous[0] + 1:
            if record["prev_hash"] != previous[1]:
                reason = f"event #{seq} (line {number}) does not link to event #{seq - 1}"
                return ExportCheck(count, runs, Break(seq, reason), head)
            runs[-1] = (runs[-1][0], seq)
        elif previous is not None and seq <= previous[0]:
            reason = f"event #{seq} (line {number}) is out of order after #{previous[0]}"
            return ExportCheck(count, runs, Break(seq, reason), head)
        else:
            runs.append((seq, seq))
        previous = (seq, record["hash"])
        count += 1
    last = previous[0] if previous is not None else 0
    if whole and head is not None and last != head[0]:
        reason = f"events #{last + 1}..#{head[0]} are missing from the whole-log export"
        return ExportCheck(count, runs, Break(last + 1, reason), head)
    ends_at_head = head is not None and previous is not None and previous[0] == head[0]
    if ends_at_head and previous is not None and head is not None and previous[1] != head[1]:
        reason = f"the newest event #{head[0]} does not match the head the export names"
        return ExportCheck(count, runs, Break(head[0], reason), head)
    return ExportCheck(count, runs, None, head)
