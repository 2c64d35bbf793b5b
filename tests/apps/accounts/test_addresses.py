"""A changed e-mail address is used only once its owner follows the link sent to it (issue 18,
point 3): changed by an administrator or by the person; until then mail goes to the old
address, which is told once the change is made."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from greenlane.apps.accounts import people
from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from tests import factories
from tests.mailserver import Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> User:
    return factories.user(Role.ADMINISTRATOR, factories.organisation("customs"), username="root")


@pytest.fixture
def kim(admin: User) -> User:
    kim = factories.user(Role.TRADER, username="kim")
    kim.email = "kim@old.example"
    kim.save()
    return kim


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _path(body: str) -> str:
    found = re.search(r"/account/email/confirm/[^/\s]+/", body)
    assert found, body
    return found.group(0)


def test_an_address_an_administrator_changes_is_used_once_its_owner_confirms_it(
    admin: User, kim: User, smtp: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            f"/people/{kim.pk}/", {"email": "kim@new.example", "role": Role.TRADER}, follow=True
        )
    assert "A link to confirm kim@new.example is on its way there" in page.content.decode()
    kim.refresh_from_db()
    assert (kim.email, kim.pending_email) == ("kim@old.example", "kim@new.example")
    changed = AuditEvent.objects.get(action="accounts.user.changed")
    assert changed.data["before"]["pending_email"] == ""
    assert changed.data["after"]["pending_email"] == "kim@new.example"
    link = smtp.link("kim@new.example", "/account/email/confirm/")
    assert [str(m["To"]) for m in smtp.messages()] == ["kim@new.example"]  # only the link

    # Until it is confirmed, mail goes to the old address.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/{kim.pk}/password-link")
    assert str(smtp.messages()[-1]["To"]) == "kim@old.example"
    # Saving the page again keeps the address waiting; no second link.
    client.post(f"/people/{kim.pk}/", {"email": "kim@new.example", "role": Role.TRADER})
    assert len(smtp.messages()) == 2

    path = link.split("testserver", 1)[1]
    assert "Confirm this address" in Client().get(path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = Client().post(path)
    assert 'data-testid="address-confirmed"' in done.content.decode()
    kim.refresh_from_db()
    assert (kim.email, kim.pending_email) == ("kim@new.example", "")
    told = smtp.to("kim@old.example")[-1]
    assert "was changed" in told["Subject"]
    confirmed = AuditEvent.objects.get(action="accounts.user.address_confirmed")
    assert confirmed.data == {
        "before": {"email": "kim@old.example"},
        "after": {"email": "kim@new.example"},
    }
    assert link not in str(list(AuditEvent.objects.values_list("data", flat=True)))
    # The link works once.
    assert 'data-testid="link-invalid"' in Client().post(path).content.decode()


def test_a_person_changes_their_own_address_saying_their_password(
    kim: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(kim)
    wrong = client.post("/account/email/", {"email": "kim@new.example", "password": "nope"})
    assert "that is not your password" in wrong.content.decode()
    kim.refresh_from_db()
    assert kim.pending_email == ""
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/email/", {"email": "kim@new.example", "password": factories.PASSWORD})
    page = client.get("/account/email/").content.decode()
    assert "kim@new.example: follow the link sent there" in page
    assert [m.to for m in mail.outbox] == [["kim@new.example"]]
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(_path(mail.outbox[0].body))
    kim.refresh_from_db()
    assert kim.email == "kim@new.example"
    assert mail.outbox[-1].to == ["kim@old.example"]


def test_asking_for_another_address_kills_the_first_link(
    kim: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(kim)
    for address in ("kim@first.example", "kim@second.example"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/account/email/", {"email": address, "password": factories.PASSWORD})
    first, second = (_path(m.body) for m in mail.outbox)
    assert 'data-testid="link-invalid"' in Client().post(first).content.decode()
    kim.refresh_from_db()
    assert kim.email == "kim@old.example"
    Client().post(second)
    kim.refresh_from_db()
    assert kim.email == "kim@second.example"


def test_giving_the_present_address_again_drops_the_pending_one(
    kim: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(kim)
    for address in ("kim@new.example", "KIM@old.example"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/account/email/", {"email": address, "password": factories.PASSWORD})
    kim.refresh_from_db()
    assert (kim.email, kim.pending_email) == ("kim@old.example", "")
    assert [m.to for m in mail.outbox] == [["kim@new.example"]]
    dead = Client().post(_path(mail.outbox[0].body)).content.decode()
    assert 'data-testid="link-invalid"' in dead
    assert AuditEvent.objects.filter(action="accounts.user.address_dropped").exists()


def test_an_address_link_dies_after_its_hours(
    kim: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _client(kim).post(
            "/account/email/", {"email": "kim@new.example", "password": factories.PASSWORD}
        )
    later = time.time() + settings.EMAIL_LINK_TIMEOUT + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert (
            'data-testid="link-invalid"'
            in Client().post(_path(mail.outbox[0].body)).content.decode()
        )
    kim.refresh_from_db()
    assert kim.email == "kim@old.example"


def test_a_deactivated_persons_link_does_not_work(
    admin: User, kim: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _client(kim).post(
            "/account/email/", {"email": "kim@new.example", "password": factories.PASSWORD}
        )
    people.deactivate(admin, kim, "Left")
    Client().post(_path(mail.outbox[0].body))
    kim.refresh_from_db()
    assert kim.email == "kim@old.example"
