"""Parsing received bytes safely and checking them against the UBL 2.4 schema we ship.

The OASIS schemas are in ``ubl-2.4/`` beside this module (runtime schemas, documentation
stripped; the README there keeps OASIS's notice). They are read once per process; every
import resolves by relative path inside that folder, so validation never reaches the network.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree

from greenlane.core.words import Words, _

SCHEMA_FILE = Path(__file__).with_name("ubl-2.4") / "maindoc" / "UBL-CertificateOfOrigin-2.4.xsd"
#: More schema errors than this are summarised: the first ones say what is wrong.
MAX_ERRORS = 20


class NotXML(ValueError):
    """The bytes are not a well-formed XML document we are willing to read."""

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


def _parser() -> Any:
    # No DTDs, no entities, no network: a received document cannot make us read a file or a
    # URL, nor expand itself (billion laughs).
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse(data: bytes) -> Any:
    """The document's root element; ``NotXML`` naming the line when it is not XML."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else 1
        raise NotXML(
            _("not well-formed XML at line %(line)s: %(problem)s", line=str(line), problem=exc.msg)
        ) from None
    if root.getroottree().docinfo.doctype:
        raise NotXML(_("a document type declaration (DOCTYPE) is not accepted"))
    return root


@functools.cache
def _schema() -> Any:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), parser=_parser()))


def validate(root: Any) -> list[Words]:
    """One reason per schema error (``schema error at line N: ...``, the validator's own
    English words after the colon); empty when valid."""
    schema = _schema()
    if schema.validate(root):
        return []
    errors = [
        _("schema error at line %(line)s: %(problem)s", line=str(e.line), problem=e.message)
        for e in schema.error_log
    ]
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], _("... and %(more)s more schema errors", more=more)]
    return errors
