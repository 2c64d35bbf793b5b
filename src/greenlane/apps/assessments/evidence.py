"""Evidence files: the type is read from the content, never trusted from the name."""

from __future__ import annotations

import codecs
import copy
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

import filetype
from django.utils.translation import gettext as _

from greenlane.core import errors

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


class EvidenceRefused(errors.Refused):
    """The file cannot be kept as evidence; the message says why."""


@dataclass(frozen=True)
class Inspected:
    content_type: str
    size: int
    sha256: str


OFFICE = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/document.xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/workbook.xml",
    "application/vnd.oasis.opendocument.text": "content.xml",
    "application/vnd.oasis.opendocument.spreadsheet": "content.xml",
}
#: Inside an office file: no macros and nothing executable.
_FORBIDDEN_ENTRIES = re.compile(
    r"(vbaProject\.bin|\.(exe|dll|js|vbs|bat|cmd|sh|ps1|jar|scr|com|msi))$", re.IGNORECASE
)
_MAX_ENTRIES = 5000
_MAX_EXPANSION = 200  # uncompressed size at most 200 x the file (zip bombs)
_MAX_UNPACKED = 512 << 20  # and at most 512 MB whatever the file's size


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is still text
        return exc.reason == "unexpected end of data"
    return True


def _check_text(name: str, stream: IO[bytes]) -> None:
    """The whole file is UTF-8 without NUL bytes, not only its beginning."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            if b"\x00" in chunk:
                raise EvidenceRefused(_("%(file)s: binary content in a text file") % {"file": name})
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise EvidenceRefused(_("%(file)s: a text file must be UTF-8") % {"file": name}) from None
    stream.seek(0)


def _check_office(name: str, stream: IO[bytes], content_type: str, size: int) -> None:
    """An office file is a zip: it must hold the parts of its kind and nothing executable."""
    cap = min(_MAX_EXPANSION * max(size, 1), _MAX_UNPACKED)
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
            if len(entries) > _MAX_ENTRIES:
                raise EvidenceRefused(
                    _("%(file)s: too many parts for an office document") % {"file": name}
                )
            # The sizes a zip declares are the sender's word: the cheap check first, then
            # the parts unpacked for real, up to the cap.
            if sum(e.file_size for e in entries) > cap or not _unpacks_within(archive, cap):
                raise EvidenceRefused(
                    _("%(file)s: expands far beyond its size (a zip bomb?)") % {"file": name}
                )
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError):
        # RuntimeError: encrypted; NotImplementedError: a compression zipfile cannot read.
        raise EvidenceRefused(
            _("%(file)s: not a readable office document") % {"file": name}
        ) from None
    stream.seek(0)
    required = OFFICE[content_type]
    if required not in names or (
        content_type.startswith("application/vnd.openxml") and "[Content_Types].xml" not in names
    ):
        raise EvidenceRefused(
            _("%(file)s: not a valid %(ending)s document")
            % {"file": name, "ending": PurePath(name).suffix}
        )
    bad = sorted(n for n in names if _FORBIDDEN_ENTRIES.search(n))
    if bad:
        raise EvidenceRefused(
            _("%(file)s: contains macros or programs (%(part)s), not accepted")
            % {"file": name, "part": bad[0]}
        )


def _unpacks_within(archive: zipfile.ZipFile, cap: int) -> bool:
    """Whether every part, unpacked for real, comes to at most ``cap`` bytes in all.

    Each part is read as if it declared more than is left of the cap: zipfile stops reading a
    part at its declared size, so a part that lies about it (and about its checksum to match)
    would otherwise never be unpacked here, though an office program unpacks it whole. A part
    whose content does not match its checksum raises BadZipFile (checked at its end, which
    reading one byte past the cap never reaches)."""
    left = cap
    for entry in archive.infolist():
        claimed = copy.copy(entry)
        claimed.file_size = left + 2
        with archive.open(claimed) as part:
            while chunk := part.read(min(1 << 20, left + 1)):
                left -= len(chunk)
                if left < 0:
                    return False
    return True


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def inspect(name: str, stream: IO[bytes], limit_bytes: int) -> Inspected:
    """Type (from content), size and SHA-256 of an upload; refuses what does not fit."""
    stream.seek(0)
    head = stream.read(_HEAD)
    stream.seek(0)
    if not head:
        raise EvidenceRefused(_("%(file)s is empty") % {"file": name})
    size = _size(stream)
    if size > limit_bytes:
        raise EvidenceRefused(
            _("%(file)s is larger than the limit of %(limit)s MB")
            % {"file": name, "limit": limit_bytes >> 20}
        )
    kind = filetype.guess(head)
    detected = kind.mime if kind is not None else ("text/plain" if _is_text(head) else "")
    if kind is not None and kind.mime == "application/zip":
        detected = _office_type(head) or kind.mime
    suffix = PurePath(name).suffix.lower()
    if detected not in ALLOWED:
        allowed = ", ".join(sorted({s for v in ALLOWED.values() for s in v}))
        if kind is not None:
            raise EvidenceRefused(
                _("%(file)s: %(type)s content is not accepted as evidence (accepted: %(accepted)s)")
                % {"file": name, "type": kind.mime, "accepted": allowed}
            )
        raise EvidenceRefused(
            _(
                "%(file)s: content of an unknown type is not accepted as evidence (accepted: "
                "%(accepted)s)"
            )
            % {"file": name, "accepted": allowed}
        )
    if suffix not in ALLOWED[detected]:
        raise EvidenceRefused(
            _("%(file)s: the content is %(type)s, which does not match the name's '%(ending)s'")
            % {"file": name, "type": detected, "ending": suffix}
        )
    if detected == "text/plain":
        _check_text(name, stream)
    elif detected in OFFICE:
        _check_office(name, stream, detected, size)
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return Inspected(detected, size, digest.hexdigest())


def stored_name(name: str, sha256: str) -> str:
    """The name a checked file is stored under: its hash, and the ending of its own name."""
    dot = name.rfind(".")
    return sha256[:16] + (name[dot:].lower()[:10] if dot > 0 else "")


def _office_type(head: bytes) -> str | None:
    """OpenDocument files name their type in a first 'mimetype' entry."""
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
        return "application/vnd.oasis.opendocument.text"
    if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
        return "application/vnd.oasis.opendocument.spreadsheet"
    return None
