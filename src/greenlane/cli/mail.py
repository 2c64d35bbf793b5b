"""E-mail from the command line: the outbox's state, a test message, sending and retrying."""

from __future__ import annotations

from typing import Annotated

import typer

from greenlane.cli._common import CommandError, _django, _require_migrated, console

mail_app = typer.Typer(
    help="E-mail: the outbox of notices, and a test message.", no_args_is_help=True
)


@mail_app.command("status")
def mail_status() -> None:
    """How many notices wait to be mailed, were sent or could not be, and the latest failures."""
    _django()
    _require_migrated()
    from rich.table import Table

    from greenlane.apps.notices.mail import outbox_state
    from greenlane.apps.notices.models import Mail, Notice

    state = outbox_state()
    table = Table("state", "notices", title="Notices by e-mail state")
    for value, label in Mail.choices:
        table.add_row(label, f"{state[value]:,}")
    console.print(table)
    failed = Notice.objects.filter(mail=Mail.FAILED).select_related("recipient")[:20]
    if failed:
        latest = Table("when", "to", "notice", "reason", title="Latest that could not be sent")
        for n in failed:
            to = n.recipient.email or n.recipient.username
            latest.add_row(f"{n.created_at:%Y-%m-%d %H:%M}", to, n.title, n.mail_error)
        console.print(latest)
        console.print("Mend the mail server, then: greenlane mail retry")


@mail_app.command("send")
def mail_send() -> None:
    """Send now what the worker would send at its next round: due e-mail and due digests."""
    _django()
    _require_migrated()
    from greenlane.apps.notices.mail import send_digests, send_pending

    sent, digests = send_pending(), send_digests()
    console.print(f"{sent:,} e-mail(s) and {digests:,} digest(s) sent.")


@mail_app.command("retry")
def mail_retry() -> None:
    """Try again the e-mail of notices that could not be sent (after mending the server)."""
    _django()
    _require_migrated()
    from greenlane.apps.notices.mail import retry_failed, send_pending

    count = retry_failed()
    console.print(f"{count:,} notice(s) to send again; {send_pending():,} sent now.")


@mail_app.command("test")
def mail_test(
    to: Annotated[str, typer.Option("--to", help="The address to send the test message to")],
) -> None:
    """Send one message through the configured mail server (GREENLANE_SMTP_URL): it checks the
    address, the port and the credentials before anyone depends on them."""
    _django()
    from django.conf import settings
    from django.core.mail import send_mail

    try:
        send_mail(
            "Greenlane: a test message",
            f"This message shows that Greenlane at {settings.SITE_URL} can send e-mail.",
            None,
            [to],
        )
    except Exception as exc:  # the server refused or is away: say what it said
        raise CommandError(f"the message could not be sent: {type(exc).__name__}: {exc}") from None
    console.print(f"Sent to {to} through {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}.")
