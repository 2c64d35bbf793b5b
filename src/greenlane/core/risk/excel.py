"""Excel workbooks (.xlsx) read within fixed bounds, whatever their zip directory claims.

An .xlsx file is a zip archive of XML parts. openpyxl streams worksheets in read-only mode but
loads the shared-strings part (every distinct text of the workbook) whole, at about 100 bytes
and 10 µs per entry: 18 million one-letter entries, 2.4 MB zipped, held a web worker at
1.2 GB for two minutes. So before openpyxl sees a workbook, ``check`` inflates every part
through a counter (the sizes in the zip directory are only the file's word) and refuses it
when a part, the shared strings or the whole go beyond the caps below; and the header of a
sample file (the mapping page, inside a web request) is read by ``header`` from the first row
of the first sheet and the shared strings that row names, never by loading the workbook.

The caps are constants, not settings: they bound one file of declarations whatever the
machine, and a real declaration workbook (at most 1,048,576 rows) stays far below them.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLPullParser
from xml.parsers import expat

from greenlane.core.words import Words, _

#: The largest a worksheet part may inflate to: openpyxl streams it, so this bounds the time
#: (a full sheet, 1,048,576 rows of 40 columns as Excel writes them, is about 1.7 GB).
MAX_SHEET_BYTES = 2 << 30
#: The shared strings are loaded whole by openpyxl: their XML and their number are bounded.
MAX_SHARED_STRINGS_BYTES = 128 << 20
MAX_SHARED_STRINGS = 2_000_000
#: Any other part (styles, workbook, relationships, images) is small in a real workbook.
MAX_PART_BYTES = 64 << 20
#: The workbook's directory parts ([Content_Types].xml, workbook.xml and its relationships).
MAX_DIRECTORY_BYTES = 4 << 20
#: All parts together, inflated.
MAX_UNPACKED_BYTES = 4 << 30
#: What a header sample reads: of the first sheet, until its first row ends; of the shared
#: strings, until the last one the header names.
HEADER_SAMPLE_BYTES = 2 << 20

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_CHUNK = 1 << 16


class Refused(ValueError):
    """The workbook is beyond a bound or cannot be read; the message says which: ``words``
    for a person (in their language), ``str()`` in English. ``too_big``: beyond a bound."""

    def __init__(self, words: Words, too_big: bool = False) -> None:
        super().__init__(str(words))
        self.words, self.too_big = words, too_big


def check(archive: zipfile.ZipFile) -> None:
    """Inflate every part through a counter and refuse the workbook past any cap."""
    _check_declared(archive)
    sheets, strings = _parts(archive)
    total = 0
    for item in archive.infolist():
        if item.filename in strings:
            size = _count_strings(archive, item.filename)
        else:
            limit = MAX_SHEET_BYTES if item.filename in sheets else MAX_PART_BYTES
            size = sum(len(chunk) for chunk in _inflate(archive, item.filename, limit))
        total += size
        if total > MAX_UNPACKED_BYTES:
            raise _too_big(None, MAX_UNPACKED_BYTES)


def header(archive: zipfile.ZipFile) -> list[object]:
    """The values of the first sheet's first row, shared strings resolved; ``None`` for an
    empty cell. Reads no more than ``HEADER_SAMPLE_BYTES`` of either part."""
    _check_declared(archive)
    sheet = _first_sheet(archive)
    cells = _first_row(archive, sheet)
    wanted = {int(v) for kind, v in cells if kind == "s" and isinstance(v, str)}
    strings = _shared_strings(archive, max(wanted)) if wanted else []
    row: list[object] = []
    for kind, value in cells:
        if kind == "s" and isinstance(value, str):
            row.append(strings[int(value)])
        else:
            row.append(value)
    return row


def _check_declared(archive: zipfile.ZipFile) -> None:
    """The zip directory's word, checked first because it costs nothing (and zipfile never
    inflates a part beyond its declared size: a lie shows as a CRC error)."""
    sheets, strings = _parts(archive)
    for item in archive.infolist():
        limit = (
            MAX_SHEET_BYTES
            if item.filename in sheets
            else MAX_SHARED_STRINGS_BYTES
            if item.filename in strings
            else MAX_PART_BYTES
        )
        if item.file_size > limit:
            raise _too_big(item.filename, limit)
    if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise _too_big(None, MAX_UNPACKED_BYTES)


def _too_big(part: str | None, limit: int) -> Refused:
    """``part`` (None: all parts together) inflates beyond ``limit`` bytes."""
    if part is None:
        return Refused(
            _(
                "its parts together inflate to more than %(size)s MB, far beyond any "
                "workbook: refused",
                size=limit >> 20,
            ),
            too_big=True,
        )
    return Refused(
        _(
            "%(part)s inflates to more than %(size)s MB, far beyond any workbook: refused",
            part=part, size=limit >> 20,
        ),
        too_big=True,
    )  # fmt: skip


def _inflate(archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[bytes]:
    """The part's bytes in chunks, counted as they are inflated."""
    read = 0
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                read += len(chunk)
                if read > limit:
                    raise _too_big(name, limit)
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise Refused(
            _(
                "%(part)s is damaged (%(problem)s)",
                part=name, problem=str(exc)[:200] or type(exc).__name__,
            )
        ) from None  # fmt: skip


def _parse(archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[Element]:
    """Elements of a part as their end tags arrive; ``limit`` bounds the bytes inflated."""
    parser: XMLPullParser[Any] = XMLPullParser(events=("end",))
    try:
        for chunk in _inflate(archive, name, limit):
            parser.feed(chunk)
            yield from _ended(parser)
        parser.close()
        yield from _ended(parser)
    except ParseError as exc:
        raise _not_xml(name, exc) from None


def _not_xml(part: str, exc: Exception) -> Refused:
    return Refused(_("%(part)s is not well-formed XML (%(problem)s)", part=part, problem=str(exc)))


def _ended(parser: XMLPullParser[Any]) -> Iterator[Element]:
    for event in parser.read_events():
        element = event[-1]
        assert isinstance(element, Element)  # "end" events carry elements
        yield element


def _small_part(archive: zipfile.ZipFile, name: str) -> Iterator[Element]:
    try:
        archive.getinfo(name)
    except KeyError:
        return
    for element in _parse(archive, name, MAX_DIRECTORY_BYTES):
        yield element
        element.clear()


def _parts(archive: zipfile.ZipFile) -> tuple[set[str], set[str]]:
    """The worksheet parts and the shared-strings parts, as the content types name them."""
    sheets, strings = set(), set()
    for element in _small_part(archive, "[Content_Types].xml"):
        if element.tag == f"{_TYPES}Override":
            name = element.get("PartName", "").lstrip("/")
            kind = element.get("ContentType")
            if kind == _SHEET_TYPE:
                sheets.add(name)
            elif kind == _STRINGS_TYPE:
                strings.add(name)
    return sheets, strings


def _count_strings(archive: zipfile.ZipFile, name: str) -> int:
    """The part's inflated size, refused past the caps on bytes and on entries (counted by
    expat without building a tree, which would itself hold every entry)."""
    entries, size = 0, 0

    def start(tag: str, _attributes: object) -> None:
        nonlocal entries
        if tag == f"{_MAIN[1:-1]} si":
            entries += 1
            if entries > MAX_SHARED_STRINGS:
                raise Refused(
                    _(
                        "%(part)s holds more than %(limit)s shared strings, far beyond any "
                        "workbook: refused",
                        part=name, limit=MAX_SHARED_STRINGS,
                    ),
                    too_big=True,
                )  # fmt: skip

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    try:
        for chunk in _inflate(archive, name, MAX_SHARED_STRINGS_BYTES):
            size += len(chunk)
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _not_xml(name, exc) from None
    return size


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The part of the workbook's first sheet, through the workbook's relationships."""
    rel = next(
        (
            e.get(f"{_DOC_RELS}id")
            for e in _small_part(archive, "xl/workbook.xml")
            if e.tag == f"{_MAIN}sheet"
        ),
        None,
    )
    if rel is None:
        raise Refused(_("the workbook has no sheet"))
    for element in _small_part(archive, "xl/_rels/workbook.xml.rels"):
        if element.tag == f"{_RELS}Relationship" and element.get("Id") == rel:
            target = element.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            return posixpath.normpath(name)
    raise Refused(_("the workbook's first sheet has no part"))


def _first_row(archive: zipfile.ZipFile, sheet: str) -> list[tuple[str, object]]:
    """(type, value) of each cell of row 1, in column order with gaps as empty cells."""
    try:
        archive.getinfo(sheet)
    except KeyError:
        raise Refused(_("the first sheet's part %(part)s is missing", part=sheet)) from None
    try:
        for element in _parse(archive, sheet, HEADER_SAMPLE_BYTES):
            if element.tag == f"{_MAIN}row":
                return _cells(element) if element.get("r", "1") == "1" else []
    except Refused as exc:
        if exc.too_big:
            raise Refused(
                _(
                    "the first row of the first sheet does not end within its first %(size)s MB",
                    size=HEADER_SAMPLE_BYTES >> 20,
                )
            ) from None
        raise
    return []


def _cells(row: Element) -> list[tuple[str, object]]:
    cells: list[tuple[str, object]] = []
    for cell in row.iter(f"{_MAIN}c"):
        column = _column(cell.get("r", "")) or len(cells) + 1
        cells.extend([("", None)] * (column - 1 - len(cells)))
        kind = cell.get("t", "n")
        value = cell.findtext(f"{_MAIN}v")
        if kind == "inlineStr":
            cells.append(("str", _text(cell.find(f"{_MAIN}is"))))
        elif kind == "s":
            cells.append(("s", value))
        elif kind == "b":
            cells.append(("b", value == "1"))
        elif kind == "n" and value is not None:
            number = float(value)
            cells.append(("n", int(number) if number.is_integer() else number))
        else:
            cells.append((kind, value))
    return cells


def _column(reference: str) -> int:
    letters = reference.rstrip("0123456789")
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _text(element: Element | None) -> str:
    """The text of a string item: its ``t`` and the ``t`` of its runs, not phonetic hints."""
    if element is None:
        return ""
    parts = [element.findtext(f"{_MAIN}t") or ""]
    parts += [run.findtext(f"{_MAIN}t") or "" for run in element.findall(f"{_MAIN}r")]
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, last: int) -> list[str]:
    """The shared strings up to index ``last``, reading no more than needed."""
    parts = _parts(archive)[1]
    name = min(parts) if parts else "xl/sharedStrings.xml"
    strings: list[str] = []
    try:
        for element in _parse(archive, name, HEADER_SAMPLE_BYTES):
            if element.tag == f"{_MAIN}si":
                strings.append(_text(element))
                element.clear()
                if len(strings) > last:
                    return strings
    except KeyError:
        pass
    except Refused as exc:
        if exc.too_big:
            raise Refused(
                _(
                    "the header's names are not within the first %(size)s MB of the shared strings",
                    size=HEADER_SAMPLE_BYTES >> 20,
                )
            ) from None
        raise
    raise Refused(_("the header names a shared string the workbook does not hold"))


__all__ = [
    "HEADER_SAMPLE_BYTES",
    "MAX_DIRECTORY_BYTES",
    "MAX_PART_BYTES",
    "MAX_SHARED_STRINGS",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_SHEET_BYTES",
    "MAX_UNPACKED_BYTES",
    "Refused",
    "check",
    "header",
]
