"""Evidence files: the type is read from the content, never trusted from the name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

import filetype

#: What an evidence file may be, by detected type, with the file name endings that fit it.
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/tiff": (".tif", ".tiff"),
    "image/webp": (".webp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "text/plain": (".txt", ".csv", ".md"),
}
_HEAD = 8192


class EvidenceRefused(Exception):
    """The file cannot be kept as evidence; the message says why."""


@dataclass(frozen=True)
class Inspected:
    content_type: str
    size: int
    sha256: str


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is still text
        return exc.start >= len(head) - 3
    return True


def inspect(name: str, stream: IO[bytes], limit_bytes: int) -> Inspected:
    """Type (from content), size and SHA-256 of an upload; refuses what does not fit."""
    head = stream.read(_HEAD)
    kind = filetype.guess(head)
    detected = kind.mime if kind is not None else ("text/plain" if _is_text(head) else "")
    if kind is not None and kind.mime == "application/zip":
        detected = _office_type(name, head) or kind.mime
    suffix = PurePath(name).suffix.lower()
    if detected not in ALLOWED:
        what = f"{kind.mime} content" if kind is not None else "content of an unknown type"
        allowed = ", ".join(sorted({s for v in ALLOWED.values() for s in v}))
        raise EvidenceRefused(f"{name}: {what} is not accepted as evidence (accepted: {allowed})")
    if suffix not in ALLOWED[detected]:
        raise EvidenceRefused(
            f"{name}: the content is {detected}, which does not match the name's '{suffix}'"
        )
    digest = hashlib.sha256(head)
    size = len(head)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        size += len(chunk)
        if size > limit_bytes:
            raise EvidenceRefused(f"{name} is larger than the limit of {limit_bytes >> 20} MB")
        digest.update(chunk)
    if size > limit_bytes:
        raise EvidenceRefused(f"{name} is larger than the limit of {limit_bytes >> 20} MB")
    if size == 0:
        raise EvidenceRefused(f"{name} is empty")
    stream.seek(0)
    return Inspected(detected, size, digest.hexdigest())


def _office_type(name: str, head: bytes) -> str | None:
    """Office Open XML and OpenDocument files are zip archives; tell them apart by content."""
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
        return "application/vnd.oasis.opendocument.text"
    if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
        return "application/vnd.oasis.opendocument.spreadsheet"
    if b"word/" in head:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if b"xl/" in head:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None
