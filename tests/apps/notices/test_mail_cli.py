"""greenlane mail: the outbox's state, sending now, retrying what failed, a test message."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from typer.testing import CliRunner

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.notices import services as notices
from greenlane.apps.notices.models import Kind, Mail, Notice
from greenlane.cli import CommandError, app
from tests import factories

pytestmark = pytest.mark.django_db
runner = CliRunner()


def _notice() -> Any:
    person = factories.user(Role.TRADER)
    person.email = "minji@hanbit.example"
    person.save()
    notices.notify(Kind.MESSAGE, [person], title="Hello", link="/", may_see=lambda u: True)
    return Notice.objects.get()


def test_status_counts_each_state_and_names_what_failed() -> None:
    notice = _notice()
    Notice.objects.filter(pk=notice.pk).update(mail=Mail.FAILED, mail_error="SMTPAuthError: 535")
    result = runner.invoke(app, ["mail", "status"])
    assert result.exit_code == 0, result.output
    assert "Could not be sent" in result.output
    assert "minji@hanbit.example" in result.output
    assert "SMTPAuthError: 535" in result.output


def test_send_sends_what_is_due_and_retry_gives_failures_a_new_round() -> None:
    _notice()
    mail.outbox.clear()
    result = runner.invoke(app, ["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "1 e-mail(s)" in result.output
    assert len(mail.outbox) == 1
    Notice.objects.update(mail=Mail.FAILED, mail_attempts=5)
    result = runner.invoke(app, ["mail", "retry"])
    assert "1 notice(s) to send again; 1 sent now." in result.output
    assert Notice.objects.get().mail == Mail.SENT
    assert AuditEvent.objects.get(action="notices.mail.retried").data == {"notices": 1}


def test_a_test_message_reaches_the_server_or_says_why_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mail.outbox.clear()
    result = runner.invoke(app, ["mail", "test", "--to", "ops@customs.example"])
    assert result.exit_code == 0, result.output
    assert mail.outbox[0].to == ["ops@customs.example"]

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr("django.core.mail.send_mail", refuse)
    result = runner.invoke(app, ["mail", "test", "--to", "ops@customs.example"])
    assert isinstance(result.exception, CommandError)
    assert "could not be sent: ConnectionRefusedError: connection refused" in str(result.exception)
