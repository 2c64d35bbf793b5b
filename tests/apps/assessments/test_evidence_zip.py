"""An office document is a zip: what it unpacks to is measured, not taken from what the zip
declares (issue 16: the check summed the sizes written inside the zip)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from greenlane.apps.assessments.evidence import EvidenceRefused, inspect

LIMIT = 20 << 20
TYPES = b'<?xml version="1.0"?><Types/>'


def _docx(document: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", TYPES)
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def _declaring(data: bytes, part: str, size: int, crc: int) -> bytes:
    """``data`` with ``part``'s declared size and checksum rewritten, in its local header
    and in the central directory alike."""
    out = bytearray(data)
    entry = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    struct.pack_into("<I", out, entry.header_offset + 14, crc)
    struct.pack_into("<I", out, entry.header_offset + 22, size)
    central = out.find(b"PK\x01\x02")  # the first central directory entry
    while central != -1:
        name_length = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46 : central + 46 + name_length] == part.encode():
            struct.pack_into("<I", out, central + 16, crc)
            struct.pack_into("<I", out, central + 24, size)
        central = out.find(b"PK\x01\x02", central + 4)
    return bytes(out)


def test_a_part_that_understates_its_size_is_measured_unpacked() -> None:
    document = b"<w:document/>" + b" " * (8 << 20)  # 8 MB of XML in a few kilobytes
    honest = _docx(document)
    assert len(document) > 200 * len(honest)
    with pytest.raises(EvidenceRefused, match="expands far beyond its size"):
        inspect("honest.docx", io.BytesIO(honest), LIMIT)
    # The same, declaring 100 bytes with the checksum of its first 100: zipfile alone reads
    # 100 bytes and finds them sound; an office program unpacks all 8 MB.
    lying = _declaring(honest, "word/document.xml", 100, zlib.crc32(document[:100]))
    assert zipfile.ZipFile(io.BytesIO(lying)).read("word/document.xml") == document[:100]
    with pytest.raises(EvidenceRefused, match="expands far beyond its size"):
        inspect("lying.docx", io.BytesIO(lying), LIMIT)


def test_a_part_whose_content_does_not_match_its_checksum_is_refused() -> None:
    damaged = _declaring(_docx(b"<w:document/>" * 10), "word/document.xml", 130, 12345)
    with pytest.raises(EvidenceRefused, match="not a readable office document"):
        inspect("damaged.docx", io.BytesIO(damaged), LIMIT)


def test_a_sound_document_is_accepted() -> None:
    inspected = inspect("fine.docx", io.BytesIO(_docx(b"<w:document/>" * 100)), LIMIT)
    assert inspected.content_type.endswith("wordprocessingml.document")
