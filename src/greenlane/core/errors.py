"""Refusals: what a service raises when it will not do what it was asked (decision 0018).

Every domain's refusal derives from ``Refused``, so that each front end turns a refusal into
its own answer in one place (the API in ``api/openapi.py``, the pages in
``web/refusals.py``) instead of one try/except per call. A service says *that* it refuses
and *why*; ``status`` says which kind of refusal it is, as the HTTP status a front end answers
with. Services never raise an HTTP error themselves: the command line, the background worker
and the tests call them too.
"""

from __future__ import annotations

from typing import ClassVar

from greenlane.core.words import Words


class Refused(Exception):
    """Input that cannot be accepted; the message says why, in words for the person who gave
    it (``words``). ``field`` names the input it is about (None: no one input).

    ``status`` is 400: the request is wrong and sending it again unchanged will not help. A
    domain whose refusals mean something else to a client sets its own on a subclass.
    """

    status: ClassVar[int] = 400

    def __init__(self, message: str | Words, field: str | None = None) -> None:
        super().__init__(str(message))
        self.field = field
        #: The reason as the service gave it: ``Words`` (from core, translated where the
        #: refusal is shown: ``apps.wording.said``) or a text already in the reader's
        #: language. ``str()`` of the refusal is the English sentence, or that text.
        self.words: str | Words = message


class NotAllowed(Refused):
    """The action is not possible in the record's present state, or not for this actor,
    whatever the input (409 Conflict: the same request may succeed once the record has moved
    on). Nothing changed."""

    status: ClassVar[int] = 409
