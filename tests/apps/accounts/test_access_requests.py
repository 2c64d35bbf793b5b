"""Companies that come by themselves (issue 18, point 2): a stranger asks for access, confirms
the address by the mailed link, and an administrator approves (linking or creating the
operator record, making the organisation and its first person) or refuses with a reason."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client

from greenlane.apps.accounts import access
from greenlane.apps.accounts.models import AccessRequest, Organisation, User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.notices.models import Kind, Notice
from greenlane.apps.operators.models import Operator
from tests import factories
from tests.mailserver import Mailbox

pytestmark = pytest.mark.django_db
Status = AccessRequest.Status
ASKED = {
    "kind": "operator", "legal_name": "Hanbit Logistics Co., Ltd.", "country": "kr",
    "identifier": "KR0042", "national_id": "110-81-12345", "eori": "", "trade_role": "importer",
    "employees": "37", "established_on": "2011-03-02", "first_name": "Min-ji",
    "last_name": "Kim", "email": "minji@hanbit.example", "phone": "+82 2 555 0100",
    "message": "We import electronics through Busan.",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


@pytest.fixture
def admin() -> User:
    root = factories.user(Role.ADMINISTRATOR, factories.organisation("customs"), username="root")
    root.email = "root@customs.example"
    root.save()
    return root


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ask(captured: Any, client: Client | None = None, **changes: str) -> Any:
    with captured(execute=True):
        return (client or Client()).post("/account/request/", {**ASKED, **changes})


def _page(response: Any) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _confirmed(captured: Any, **changes: str) -> AccessRequest:
    _ask(captured, **changes)
    request = AccessRequest.objects.latest("pk")
    token = re.search(r"/account/request/confirm/([^/\s]+)/", mail.outbox[-1].body)
    assert token, mail.outbox[-1].body
    with captured(execute=True):
        Client().post(f"/account/request/confirm/{token.group(1)}/")
    request.refresh_from_db()
    assert request.status == Status.WAITING
    return request


def test_a_stranger_asks_confirms_by_the_mailed_link_and_only_then_customs_sees_it(
    admin: User, smtp: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    page = _ask(django_capture_on_commit_callbacks)
    assert 'data-testid="request-sent"' in page.content.decode()
    request = AccessRequest.objects.get()
    assert (request.status, request.country, request.employees) == (Status.UNVERIFIED, "KR", 37)
    customs = _client(admin)
    assert "Hanbit" not in customs.get("/people/requests/").content.decode()
    assert customs.get(f"/people/requests/{request.pk}/").status_code == 404

    link = smtp.link("minji@hanbit.example", "/account/request/confirm/")
    path = link.split("testserver", 1)[1]
    opened = Client().get(path)
    assert "Confirm and send to customs" in opened.content.decode()
    assert AccessRequest.objects.get().status == Status.UNVERIFIED  # opening changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = Client().post(path)
    assert 'data-testid="request-confirmed"' in done.content.decode()
    request.refresh_from_db()
    assert request.status == Status.WAITING
    assert request.verified_at is not None
    told = smtp.to("root@customs.example")
    assert len(told) == 1
    assert "Hanbit Logistics Co., Ltd. asks for access" in told[0]["Subject"]
    notice = Notice.objects.get(kind=Kind.ACCESS_REQUESTED)  # in the administrator's inbox
    assert notice.link == f"/people/requests/{request.pk}/"
    assert f"/inbox/{notice.pk}/" in told[0].get_body(("plain",)).get_content()

    # The link works once.
    assert 'data-testid="link-invalid"' in Client().get(path).content.decode()
    assert 'data-testid="link-invalid"' in Client().post(path).content.decode()
    listed = customs.get("/people/requests/").content.decode()
    assert "Hanbit Logistics Co., Ltd." in listed
    events = list(
        AuditEvent.objects.filter(subject_type="accounts.accessrequest").values_list(
            "action", flat=True
        )
    )
    assert events == ["accounts.access_request.received", "accounts.access_request.confirmed"]
    assert link not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_the_answer_is_the_same_whoever_asks_and_whatever_the_address(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    kim = factories.user(Role.TRADER, username="kim")
    kim.email = "kim@trader.example"
    kim.save()
    pages = [
        _page(_ask(django_capture_on_commit_callbacks, email=address))
        for address in ("kim@trader.example", "nobody@new.example", "root@customs.example")
    ]
    assert pages[0] == pages[1] == pages[2]


def test_a_company_gives_its_identifiers_and_facts_and_a_consultancy_need_not(
    django_capture_on_commit_callbacks: Any,
) -> None:
    page = _ask(django_capture_on_commit_callbacks, identifier="", employees="")
    assert page.status_code == 200
    assert page.content.decode().count("a company gives this") == 2
    assert not AccessRequest.objects.exists()
    bad = _ask(django_capture_on_commit_callbacks, kind="customs")
    assert "Select a valid choice" in bad.content.decode()
    _ask(
        django_capture_on_commit_callbacks,
        kind="consultancy", identifier="", trade_role="", employees="", established_on="",
    )  # fmt: skip
    assert AccessRequest.objects.get().kind == "consultancy"
    assert len(mail.outbox) == 1


def test_asking_is_rate_limited_per_client_and_per_mailbox(
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client(REMOTE_ADDR="198.51.100.7")
    answers = [
        _ask(django_capture_on_commit_callbacks, client, email=f"a{i}@x.example")
        for i in range(access.PER_ADDRESS + 1)
    ]
    assert [a.status_code for a in answers] == [200] * access.PER_ADDRESS + [429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert AccessRequest.objects.count() == access.PER_ADDRESS
    mail.outbox.clear()
    for n in range(access.PER_EMAIL + 2):  # one mailbox, from many places
        other = Client(REMOTE_ADDR=f"198.51.100.{20 + n}")
        assert _ask(django_capture_on_commit_callbacks, other).status_code == 200
    assert len(mail.outbox) == access.PER_EMAIL  # the mailbox is not flooded


def test_a_confirmation_link_dies_after_its_hours(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _ask(django_capture_on_commit_callbacks)
    path = re.search(r"/account/request/confirm/[^/\s]+/", mail.outbox[0].body).group(0)  # type: ignore[union-attr]
    later = time.time() + settings.EMAIL_LINK_TIMEOUT + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert 'data-testid="link-invalid"' in Client().post(path).content.decode()
    assert AccessRequest.objects.get().status == Status.UNVERIFIED


def _approve(client: Client, request: AccessRequest, captured: Any, **data: str) -> Any:
    with captured(execute=True):
        return client.post(
            f"/people/requests/{request.pk}/",
            {"decision": "approve", "organisation_name": request.legal_name,
             "username": "minji", **data},
        )  # fmt: skip


def test_an_administrator_approves_linking_the_company_to_its_operator_on_record(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    record = factories.operator(None, code="KR0042", name="Hanbit Logistics")
    request = _confirmed(django_capture_on_commit_callbacks)
    client = _client(admin)
    detail = client.get(f"/people/requests/{request.pk}/").content.decode()
    assert "KR0042" in detail
    assert "none yet" in detail
    mail.outbox.clear()

    page = _approve(
        client, request, django_capture_on_commit_callbacks, how="link", operator="KR0042"
    )
    assert page.status_code == 302
    request.refresh_from_db()
    minji = User.objects.get(username="minji")
    assert (request.status, request.decided_by, request.user) == (Status.APPROVED, admin, minji)
    assert request.organisation.kind == "operator"
    assert Operator.objects.get(pk=record.pk).organisation == request.organisation
    assert (minji.role, minji.email, minji.manages_colleagues) == (
        Role.TRADER,
        ASKED["email"],
        True,
    )
    assert not minji.has_usable_password()
    assert [m.to for m in mail.outbox] == [["minji@hanbit.example"]]
    assert "/account/set-password/" in mail.outbox[0].body
    approved = AuditEvent.objects.get(action="accounts.access_request.approved")
    assert (approved.actor, approved.data["operator"]) == ("root", "KR0042")
    assert (approved.data["before"]["status"], approved.data["after"]["status"]) == (
        "waiting",
        "approved",
    )
    assert approved.data["after"]["user"] == minji.pk
    assert AuditEvent.objects.filter(action="operators.organisation.attached").exists()


def test_approving_may_create_the_operator_record_from_the_request(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = _confirmed(django_capture_on_commit_callbacks)
    _approve(_client(admin), request, django_capture_on_commit_callbacks, how="create", operator="")
    made = Operator.objects.get(code="KR0042")
    assert (made.name, made.country, made.trade_role) == (ASKED["legal_name"], "KR", "importer")
    assert (made.employees, made.size_class, made.national_id) == (37, "small", "110-81-12345")
    assert made.organisation.name == ASKED["legal_name"]
    created = AuditEvent.objects.get(action="operators.operator.created")
    assert created.actor == "root"
    assert created.data["after"]["code"] == "KR0042"


def test_a_consultancys_request_makes_a_consultancy_and_its_consultant(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = _confirmed(
        django_capture_on_commit_callbacks,
        kind="consultancy", legal_name="Seoul Customs Advisers", identifier="",
    )  # fmt: skip
    _approve(_client(admin), request, django_capture_on_commit_callbacks)
    minji = User.objects.get(username="minji")
    assert (minji.role, minji.organisation.kind) == (Role.CONSULTANT, "consultancy")
    assert not Operator.objects.filter(organisation=minji.organisation).exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"how": "link", "operator": "TAKEN1"}, "is the company of another organisation"),
        ({"how": "link", "operator": "NOPE"}, "no operator &#x27;NOPE&#x27; on record"),
        ({"how": "create", "operator": "TAKEN1"}, "operator TAKEN1 is on record: link to it"),
        ({"how": ""}, "link the company to its operator record, or create the record"),
        ({"how": "link", "operator": "KR0042", "username": "root"}, "is taken"),
        ({"how": "link", "operator": "KR0042", "organisation_name": "Taken Co"}, "exists"),
    ],
)
def test_an_approval_that_cannot_be_done_leaves_nothing_behind(
    admin: User, django_capture_on_commit_callbacks: Any, data: dict[str, str], words: str
) -> None:
    factories.operator(factories.organisation("operator", name="Taken Co"), code="TAKEN1")
    factories.operator(None, code="KR0042")
    request = _confirmed(django_capture_on_commit_callbacks)
    organisations, people = Organisation.objects.count(), User.objects.count()
    mail.outbox.clear()
    page = _approve(_client(admin), request, django_capture_on_commit_callbacks, **data)
    assert page.status_code == 200
    assert words in page.content.decode()
    request.refresh_from_db()
    assert request.status == Status.WAITING
    assert (Organisation.objects.count(), User.objects.count()) == (organisations, people)
    assert not Operator.objects.filter(code="KR0042", organisation__isnull=False).exists()
    assert mail.outbox == []


def test_refusing_takes_a_reason_which_the_requester_is_sent(
    admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = _confirmed(django_capture_on_commit_callbacks)
    client = _client(admin)
    mail.outbox.clear()
    no_reason = client.post(
        f"/people/requests/{request.pk}/", {"decision": "refuse", "reason": " "}, follow=True
    )
    assert "say why" in no_reason.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/people/requests/{request.pk}/",
            {"decision": "refuse", "reason": "No operator under KR0042 trades with us."},
        )
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (Status.REFUSED, admin)
    assert [m.to for m in mail.outbox] == [["minji@hanbit.example"]]
    assert "No operator under KR0042 trades with us." in mail.outbox[0].body
    refused = AuditEvent.objects.get(action="accounts.access_request.refused")
    assert refused.data["after"]["refusal_reason"] == "No operator under KR0042 trades with us."

    again = _approve(client, request, django_capture_on_commit_callbacks, how="create")
    assert "the request is refused: nothing to do" in again.content.decode()
    assert not User.objects.filter(username="minji").exists()


def test_customs_sees_waiting_requests_first(admin: User) -> None:
    done = factories.access_request("approved", legal_name="Decided Earlier")
    waiting = factories.access_request(legal_name="Still Waiting")
    factories.access_request("unverified", legal_name="Never Confirmed")
    AccessRequest.objects.filter(pk=waiting.pk).update(verified_at=done.verified_at)
    page = _client(admin).get("/people/requests/").content.decode()
    assert page.index("Still Waiting") < page.index("Decided Earlier")
    assert "Never Confirmed" not in page
    only = _client(admin).get("/people/requests/?status=approved").content.decode()
    assert "Still Waiting" not in only
    assert "Decided Earlier" in only


def test_requests_never_confirmed_are_forgotten_after_a_week_once_a_day() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from greenlane.apps.accounts import access

    old = factories.access_request(status="unverified")
    recent = factories.access_request(status="unverified")
    waiting = factories.access_request(status="waiting")
    AccessRequest.objects.filter(pk__in=[old.pk, waiting.pk]).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    today = timezone.localdate()
    assert access.forget_unconfirmed(today) == 1
    assert access.forget_unconfirmed(today) is None  # once a day, whatever the workers
    assert set(AccessRequest.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    forgotten = AuditEvent.objects.get(action="accounts.access_request.forgotten")
    assert forgotten.data["unconfirmed"] == 1
