"""A company manages its own people (issue 18, point 2): a person who manages colleagues
invites and removes them, within their own organisation only; owner / colleague / outsider."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from greenlane.apps.accounts import colleagues
from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.core.errors import NotAllowed
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def company() -> Organisation:
    return factories.organisation("operator", name="Hanbit Logistics")


def _person(role: str, org: Organisation, username: str, manages: bool = False) -> User:
    user = factories.user(role, org, username=username)
    user.email, user.manages_colleagues = f"{username}@example.com", manages
    user.save()
    return user


@pytest.fixture
def owner(company: Organisation) -> User:
    return _person(Role.TRADER, company, "owner", manages=True)


@pytest.fixture
def colleague(company: Organisation) -> User:
    return _person(Role.TRADER, company, "colleague")


@pytest.fixture
def outsider() -> User:
    return _person(Role.TRADER, factories.organisation("operator"), "outsider", manages=True)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_invites_a_colleague_with_the_organisations_role(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    data = {"first_name": "Ji-ho", "last_name": "Lee", "email": "ji-ho.lee@hanbit.example"}
    with django_capture_on_commit_callbacks(execute=True):
        page = _client(owner).post("/colleagues/new/", data, follow=True)
    assert "is invited as ji-ho.lee" in page.content.decode()
    jiho = User.objects.get(email="ji-ho.lee@hanbit.example")
    assert (jiho.username, jiho.role, jiho.organisation) == (
        "ji-ho.lee",
        Role.TRADER,
        owner.organisation,
    )
    assert not jiho.manages_colleagues
    assert not jiho.has_usable_password()
    assert [m.to for m in mail.outbox] == [["ji-ho.lee@hanbit.example"]]
    assert "Username: ji-ho.lee" in mail.outbox[0].body
    assert "/account/set-password/" in mail.outbox[0].body
    created = AuditEvent.objects.get(action="accounts.user.created", subject_id=str(jiho.pk))
    assert created.actor == "owner"

    # The same local part again gets a free username.
    with django_capture_on_commit_callbacks(execute=True):
        _client(owner).post("/colleagues/new/", {**data, "email": "ji-ho.lee@elsewhere.example"})
    assert User.objects.get(email="ji-ho.lee@elsewhere.example").username == "ji-ho.lee2"


def test_a_consultancys_manager_invites_a_consultant(
    django_capture_on_commit_callbacks: Any,
) -> None:
    boss = _person(Role.CONSULTANT, factories.organisation("consultancy"), "boss", manages=True)
    with django_capture_on_commit_callbacks(execute=True):
        _client(boss).post(
            "/colleagues/new/",
            {"first_name": "A", "last_name": "B", "email": "ab@advisers.example",
             "manages_colleagues": "on"},
        )  # fmt: skip
    invited = User.objects.get(email="ab@advisers.example")
    assert (invited.role, invited.organisation, invited.manages_colleagues) == (
        Role.CONSULTANT,
        boss.organisation,
        True,
    )


def test_a_manager_removes_a_colleague_who_is_signed_out_and_whose_history_stays(
    owner: User, colleague: User
) -> None:
    theirs = Client()
    theirs.force_login(colleague)
    client = _client(owner)
    unticked = client.post(f"/colleagues/{colleague.pk}/remove", {"reason": "Left"}, follow=True)
    assert "Not done: tick the box" in unticked.content.decode()
    no_reason = client.post(f"/colleagues/{colleague.pk}/remove", {"confirm": "yes"}, follow=True)
    assert "say why" in no_reason.content.decode()
    colleague.refresh_from_db()
    assert colleague.is_active

    client.post(f"/colleagues/{colleague.pk}/remove", {"reason": "Left", "confirm": "yes"})
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert User.objects.filter(pk=colleague.pk).exists()  # never deleted
    assert theirs.get("/")["Location"].startswith("/login/")
    event = AuditEvent.objects.get(action="accounts.user.deactivated")
    assert (event.actor, event.data["reason"], event.data["signed_out_of"]) == ("owner", "Left", 1)
    assert "removed" in client.get("/colleagues/").content.decode()


def test_another_organisations_people_are_neither_seen_nor_found(
    owner: User, colleague: User, outsider: User
) -> None:
    page = _client(owner).get("/colleagues/").content.decode()
    assert "colleague" in page
    assert "outsider" not in page
    for action in ("remove", "manager", "not-manager"):
        answer = _client(owner).post(
            f"/colleagues/{outsider.pk}/{action}", {"reason": "x", "confirm": "yes"}
        )
        assert answer.status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active
    assert outsider.manages_colleagues
    with pytest.raises(NotAllowed, match="not in your organisation"):
        colleagues.remove(owner, outsider, "x")


def test_a_colleague_who_does_not_manage_people_sees_them_but_changes_nothing(
    owner: User, colleague: User
) -> None:
    client = _client(colleague)
    page = client.get("/colleagues/").content.decode()
    assert "owner" in page
    assert 'data-testid="invite"' not in page
    assert client.get("/colleagues/new/").status_code == 403
    assert (
        client.post(f"/colleagues/{owner.pk}/remove", {"reason": "x", "confirm": "yes"}).status_code
        == 403
    )
    owner.refresh_from_db()
    assert owner.is_active
    with pytest.raises(NotAllowed):
        colleagues.invite(colleague, {"email": "x@example.com"}, "http://testserver/")


def test_customs_people_are_not_managed_here(owner: User) -> None:
    validator = factories.user(Role.VALIDATOR)
    assert _client(validator).get("/colleagues/").status_code == 403
    assert not colleagues.of(validator).exists()


def test_no_one_removes_themselves_or_stops_managing_themselves(
    owner: User, colleague: User
) -> None:
    client = _client(owner)
    refused = client.post(
        f"/colleagues/{owner.pk}/remove", {"reason": "x", "confirm": "yes"}, follow=True
    )
    assert "you cannot remove yourself" in refused.content.decode()
    refused = client.post(f"/colleagues/{owner.pk}/not-manager", follow=True)
    assert "you cannot change this for yourself" in refused.content.decode()
    owner.refresh_from_db()
    assert owner.is_active
    assert owner.manages_colleagues

    client.post(f"/colleagues/{colleague.pk}/manager")
    colleague.refresh_from_db()
    assert colleague.manages_colleagues
    changed = AuditEvent.objects.get(action="accounts.user.changed", subject_id=str(colleague.pk))
    assert (
        changed.data["before"]["manages_colleagues"],
        changed.data["after"]["manages_colleagues"],
    ) == (False, True)


def test_an_administrator_may_let_a_company_person_manage_colleagues_but_not_a_customs_one(
    colleague: User,
) -> None:
    admin = factories.user(Role.ADMINISTRATOR, username="root")
    client = _client(admin)
    data = {"email": colleague.email, "role": Role.TRADER, "manages_colleagues": "on"}
    client.post(f"/people/{colleague.pk}/", data)
    colleague.refresh_from_db()
    assert colleague.manages_colleagues
    officer = factories.user(Role.VALIDATOR, admin.organisation, username="officer")
    officer.email = "officer@customs.example"
    officer.save()
    page = client.post(
        f"/people/{officer.pk}/",
        {"email": officer.email, "role": Role.VALIDATOR, "manages_colleagues": "on"},
    )
    assert "customs people are managed by an administrator" in page.content.decode()
