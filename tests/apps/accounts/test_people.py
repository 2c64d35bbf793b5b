"""People and organisations run from the browser by an administrator: added with a role that
fits, a password chosen through a one-time e-mailed link, changed, deactivated (signed out,
history kept), unlocked; every change audited with before and after."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client

from greenlane.apps.accounts import people
from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.operators.models import Operator
from tests import factories
from tests.mailserver import Mailbox

pytestmark = pytest.mark.django_db
PASSWORD = "a long new password 4 customs"


@pytest.fixture
def admin() -> User:
    return factories.user(Role.ADMINISTRATOR, factories.organisation("customs"), username="root")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _signs_in(client: Client, username: str, password: str) -> bool:
    """Through the login page, as a person does (the lockout needs the request)."""
    response = client.post("/login/", {"username": username, "password": password})
    return response.status_code == 302 and response["Location"] == "/"


def _link(message: Any) -> str:
    found = re.search(r"http://testserver(/account/set-password/[^/\s]+/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def _add(client: Client, organisation: Organisation, captured: Any, **extra: str) -> Any:
    data = {
        "organisation": organisation.pk, "username": "kim", "first_name": "Min-ji",
        "last_name": "Kim", "email": "kim@trader.example", "role": Role.TRADER, **extra,
    }  # fmt: skip
    with captured(execute=True):
        return client.post("/people/new/", data)


def test_an_administrator_adds_a_trader_who_sets_a_password_by_link_and_signs_in(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    company = factories.organisation("operator")
    page = _add(_client(admin), company, django_capture_on_commit_callbacks)
    kim = User.objects.get(username="kim")
    assert page["Location"] == f"/people/{kim.pk}/"
    assert (kim.role, kim.organisation, kim.has_usable_password()) == ("trader", company, False)
    created = AuditEvent.objects.get(action="accounts.user.created", subject_id=str(kim.pk))
    assert created.actor == "root"
    assert created.data["after"]["email"] == "kim@trader.example"
    assert "password" not in str(created.data)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kim@trader.example"]
    assert "Username: kim" in message.body
    assert message.subject == "Greenlane: your Greenlane account is ready"
    link = _link(message)
    assert link not in str(list(AuditEvent.objects.values_list("data", flat=True)))

    anonymous = Client()
    form = anonymous.get(link, follow=True)
    assert "Choose your password" in form.content.decode()
    done = anonymous.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert done["Location"] == "/login/"
    assert _signs_in(Client(), "kim", PASSWORD)
    assert AuditEvent.objects.filter(action="accounts.password.set", actor="kim").exists()
    # Once used, the link is dead.
    again = Client().get(link, follow=True).content.decode()
    assert "This link no longer works" in again


def test_a_password_link_dies_after_its_hours(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    _add(_client(admin), factories.organisation("operator"), django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    later = PasswordResetTokenGenerator()._now() + timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        page = Client().get(link, follow=True).content.decode()
    assert "This link no longer works" in page


@pytest.mark.parametrize(
    ("kind", "extra", "field", "words"),
    [
        ("customs", {}, "role", "cannot be a trader"),
        ("operator", {"role": Role.VALIDATOR}, "role", "cannot be a validator"),
        ("operator", {"email": ""}, "email", "This field is required"),
        ("operator", {"username": "ROOT"}, "username", "the username &#x27;ROOT&#x27; is taken"),
        ("operator", {"username": "bad name!"}, "username", "Enter a valid username"),
    ],
)
def test_a_person_who_cannot_be_added_is_refused_on_the_field_and_nothing_is_sent(
    admin: User,
    django_capture_on_commit_callbacks: Any,
    kind: str,
    extra: dict[str, str],
    field: str,
    words: str,
) -> None:
    before = User.objects.count()
    page = _add(
        _client(admin), factories.organisation(kind), django_capture_on_commit_callbacks, **extra
    )
    assert page.status_code == 200
    assert words in page.content.decode()
    assert User.objects.count() == before
    assert mail.outbox == []


def test_a_change_is_audited_with_before_and_after_and_no_one_demotes_themselves(
    admin: User,
) -> None:
    kim = factories.user(Role.VALIDATOR, admin.organisation, username="kim")
    client = _client(admin)
    client.post(
        f"/people/{kim.pk}/",
        {
            "first_name": "Min-ji",
            "last_name": "Kim",
            "email": "k@c.example",
            "role": Role.DECISION_OFFICER,
        },
    )
    kim.refresh_from_db()
    assert kim.role == Role.DECISION_OFFICER
    event = AuditEvent.objects.get(action="accounts.user.changed")
    assert (event.data["before"]["role"], event.data["after"]["role"]) == (
        "validator",
        "decision_officer",
    )
    refused = client.post(
        f"/people/{admin.pk}/", {"email": "r@c.example", "role": Role.STATISTICIAN}
    )
    assert "you cannot take the administrator role from yourself" in refused.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.ADMINISTRATOR


def test_deactivating_signs_the_person_out_everywhere_and_keeps_their_history(admin: User) -> None:
    kim = factories.user(Role.VALIDATOR, admin.organisation, username="kim")
    theirs = Client()
    assert _signs_in(theirs, "kim", factories.PASSWORD)
    assert theirs.get("/").status_code == 200
    client = _client(admin)
    assert "1 session" in client.get(f"/people/{kim.pk}/").content.decode()

    unticked = client.post(
        f"/people/{kim.pk}/deactivate", {"reason": "Left the service"}, follow=True
    )
    assert "Not done: tick the box to confirm" in unticked.content.decode()
    no_reason = client.post(f"/people/{kim.pk}/deactivate", {"confirm": "yes"}, follow=True)
    assert "say why" in no_reason.content.decode()
    kim.refresh_from_db()
    assert kim.is_active

    client.post(f"/people/{kim.pk}/deactivate", {"reason": "Left the service", "confirm": "yes"})
    kim.refresh_from_db()
    assert not kim.is_active
    assert theirs.get("/")["Location"].startswith("/login/")  # signed out
    assert not _signs_in(Client(), "kim", factories.PASSWORD)
    event = AuditEvent.objects.get(action="accounts.user.deactivated")
    assert event.data["reason"] == "Left the service"
    assert event.data["signed_out_of"] == 1
    assert AuditEvent.objects.filter(actor="kim").exists()  # what they did stays
    assert User.objects.filter(pk=kim.pk).exists()

    refused = client.post(
        f"/people/{admin.pk}/deactivate", {"reason": "x", "confirm": "yes"}, follow=True
    )
    assert "you cannot deactivate yourself" in refused.content.decode()
    client.post(f"/people/{kim.pk}/reactivate", {"reason": "Came back"})
    kim.refresh_from_db()
    assert kim.is_active


def test_an_account_locked_by_failed_logins_is_unlocked_by_an_administrator(admin: User) -> None:
    kim = factories.user(Role.VALIDATOR, admin.organisation, username="kim")
    AccessAttempt.objects.create(
        username="kim", ip_address="203.0.113.9", user_agent="x", get_data="", post_data="",
        http_accept="", path_info="/login/", failures_since_start=settings.AXES_FAILURE_LIMIT,
    )  # fmt: skip
    client = _client(admin)
    assert "locked out by failed logins" in client.get(f"/people/{kim.pk}/").content.decode()
    client.post(f"/people/{kim.pk}/unlock")
    assert not AccessAttempt.objects.filter(username="kim").exists()
    assert "locked out" not in client.get(f"/people/{kim.pk}/").content.decode()
    assert AuditEvent.objects.get(action="accounts.user.unlocked").data == {"attempts_cleared": 1}


def test_organisations_are_added_and_a_company_linked_to_its_operator_record(admin: User) -> None:
    client = _client(admin)
    client.post(
        "/organisations/", {"name": "Hanbit Logistics", "kind": "operator", "country": "kr"}
    )
    org = Organisation.objects.get(name="Hanbit Logistics")
    assert org.country == "KR"
    duplicate = client.post(
        "/organisations/", {"name": "hanbit logistics", "kind": "operator", "country": "KR"}
    )
    assert "exists" in duplicate.content.decode()
    bad = client.post("/organisations/", {"name": "X", "kind": "operator", "country": "K1"})
    assert "two letters" in bad.content.decode()

    record = factories.operator(None)
    taken = factories.operator(factories.organisation("operator"))
    client.post(f"/organisations/{org.pk}/", {"operator": record.code})
    assert Operator.objects.get(pk=record.pk).organisation == org
    refused = client.post(f"/organisations/{org.pk}/", {"operator": taken.code}, follow=True)
    assert "is the company of another organisation" in refused.content.decode()
    assert Operator.objects.get(pk=taken.pk).organisation != org
    unknown = client.post(f"/organisations/{org.pk}/", {"operator": "NOPE"}, follow=True)
    assert "no operator &#x27;NOPE&#x27; on record" in unknown.content.decode()


def test_password_links_go_through_a_real_mail_server(admin: User, smtp: Mailbox) -> None:
    """The SMTP backend configured from GREENLANE_SMTP_URL delivers to a server on loopback."""
    kim = factories.user(Role.VALIDATOR, admin.organisation, username="kim")
    kim.email = "kim@customs.example"
    kim.save()
    people.deliver_password_link.call(kim.pk, False, "https://greenlane.customs.example/")
    assert len(smtp.raw) == 1
    text = smtp.raw[0].decode()
    assert "To: kim@customs.example" in text
    assert "https://greenlane.customs.example/account/set-password/" in text


def test_forgot_password_answers_the_same_for_any_address_and_sends_only_to_an_account(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    kim = factories.user(Role.VALIDATOR, admin.organisation, username="kim")
    kim.email = "Kim@Customs.example"
    kim.save()
    gone = factories.user(Role.VALIDATOR, admin.organisation, username="gone")
    gone.email = "gone@customs.example"
    gone.is_active = False
    gone.save()
    pages = []
    for address in ("kim@customs.example", "nobody@customs.example", "gone@customs.example"):
        with django_capture_on_commit_callbacks(execute=True):
            page = Client().post("/account/forgot/", {"email": address})
        assert page.status_code == 200
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode()))
    assert pages[0] == pages[1] == pages[2]  # nothing tells a known address from another
    assert [m.to for m in mail.outbox] == [["Kim@Customs.example"]]
    link = _link(mail.outbox[0])
    form = Client().get(link, follow=True)
    assert "Choose your password" in form.content.decode()
    asked = AuditEvent.objects.get(action="accounts.user.password_link_asked")
    assert asked.subject_id == str(kim.pk)


def test_forgot_password_is_rate_limited_per_address_and_per_mailbox(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    kim = factories.user(Role.VALIDATOR, admin.organisation, username="kim")
    kim.email = "kim@customs.example"
    kim.save()
    client = Client(REMOTE_ADDR="198.51.100.7")
    answers = []
    for _ in range(people.FORGOT_PER_ADDRESS + 1):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(client.post("/account/forgot/", {"email": "kim@customs.example"}))
    assert [a.status_code for a in answers] == [200] * people.FORGOT_PER_ADDRESS + [429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert len(mail.outbox) == people.FORGOT_PER_EMAIL  # the mailbox is not flooded
    other = Client(REMOTE_ADDR="198.51.100.8")  # another address, same mailbox: nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert other.post("/account/forgot/", {"email": "kim@customs.example"}).status_code == 200
    assert len(mail.outbox) == people.FORGOT_PER_EMAIL


def test_a_mailed_link_starts_with_the_sites_address_whatever_host_the_request_named(
    admin: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.cache import cache

    cache.clear()  # the page's rate limit counts every test client's asking (127.0.0.1)
    settings.SITE_URL = "https://aeo.customs.example"
    kim = factories.user(Role.VALIDATOR, admin.organisation, username="kim")
    kim.email = "kim@customs.example"
    kim.save()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/account/forgot/", {"email": kim.email}, HTTP_HOST="localhost")
    assert "https://aeo.customs.example/account/set-password/" in mail.outbox[0].body
    assert "localhost" not in mail.outbox[0].body
