from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from greenlane.apps.audit import services as audit_services
from greenlane.apps.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> object:
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_logs_in_and_out_and_audits_both() -> None:
    user = factories.user("validator")
    client = Client()
    response = _login(client, user.username, factories.PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302
    actions = list(AuditEvent.objects.filter(actor_id=user.pk).values_list("action", flat=True))
    assert actions[-2:] == ["accounts.login", "accounts.logout"]


def test_a_wrong_password_gets_a_generic_message() -> None:
    user = factories.user("trader")
    for username in (user.username, "nobody-by-that-name"):
        response = _login(Client(), username, "wrong-password")
        assert response.status_code == 200
        text = response.content.decode()
        assert "Please enter a correct username and password" in text
        assert "does not exist" not in text


def test_failed_logins_are_audited_without_the_password() -> None:
    user = factories.user("trader")
    _login(Client(), user.username, "my-secret-guess")
    event = AuditEvent.objects.filter(action="accounts.login.failed").last()
    assert event is not None
    assert event.data["username"] == user.username
    assert "my-secret-guess" not in json.dumps(event.data)


def test_it_locks_a_username_out_after_repeated_failures() -> None:
    user = factories.user("trader")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        _login(Client(), user.username, "wrong-password")
    locked = _login(Client(), user.username, factories.PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    other = factories.user("trader")
    assert _login(Client(), other.username, factories.PASSWORD).status_code == 302


def test_fewer_failures_than_the_limit_do_not_lock() -> None:
    user = factories.user("trader")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(Client(), user.username, "wrong-password")
    assert _login(Client(), user.username, factories.PASSWORD).status_code == 302


def test_a_password_change_is_audited_and_keeps_the_session() -> None:
    user = factories.user("statistician")
    client = Client()
    client.force_login(user)
    new = "a-brand-new-passphrase-42"
    response = client.post(
        reverse("password_change"),
        {"old_password": factories.PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    user.refresh_from_db()
    assert user.check_password(new)
    event = AuditEvent.objects.get(action="accounts.password.changed")
    assert event.actor_id == user.pk
    assert new not in json.dumps(event.data)
    assert audit_services.verify()[1] is None


def test_a_weak_new_password_is_refused() -> None:
    user = factories.user("statistician")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": factories.PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(factories.PASSWORD)
    assert not AuditEvent.objects.filter(action="accounts.password.changed").exists()


def test_the_role_must_fit_the_organisation_kind() -> None:
    from django.core.exceptions import ValidationError

    consultancy = factories.organisation("consultancy")
    with pytest.raises(ValidationError, match="cannot be a validator"):
        factories.user("validator", consultancy)
