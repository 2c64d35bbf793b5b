"""A real SMTP server on loopback (aiosmtpd), with Django's mail settings pointed at it through
``GREENLANE_SMTP_URL`` as production reads it: what a test reads is what went over the wire."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


class Mailbox:
    """The messages the server was handed, in order."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append(envelope.content)
        return "250 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for raw in self.raw
        ]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]

    def link(self, address: str, path: str) -> str:
        """The last link under ``path`` (e.g. ``/account/request/confirm/``) sent to
        ``address``."""
        for message in reversed(self.to(address)):
            body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            found = re.search(rf"https?://\S+{re.escape(path)}\S+", body)
            if found:
                return found.group(0)
        raise AssertionError(f"no link under {path} sent to {address}")


@contextmanager
def loopback_smtp(settings: Any) -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    from greenlane import config

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for key, value in config.email(
            "production", settings.VAR_DIR, {"GREENLANE_SMTP_URL": f"smtp://127.0.0.1:{port}"}
        ).items():
            setattr(settings, key, value)
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """Mail goes to a real SMTP server on loopback for the test's duration."""
    with loopback_smtp(settings) as mailbox:
        yield mailbox
