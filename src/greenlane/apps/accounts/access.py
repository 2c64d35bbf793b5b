"""Companies and consultancies that come by themselves (issue 18, point 2; decision 0025).

1. Anyone may ask for access on the public page: the organisation, its identifiers, a contact
   person and their e-mail address. The answer is the same whatever is asked and whoever asks
   (nobody learns which addresses have accounts), and a client address or a mailbox asking too
   often is held back (``limits``).
2. A link goes to that address (signed, working once, for ``GREENLANE_EMAIL_LINK_HOURS``); the
   request reaches customs only once the link is followed, and the administrators are told.
3. An administrator approves it, in one transaction: the organisation is made, a company's is
   linked to its operator record (one on record, or one made from what the company said), and
   the contact person becomes its first person, who manages their colleagues and gets the link
   to choose a password. Or the administrator refuses it with a reason, which the requester
   is sent.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from greenlane import jobs
from greenlane.apps.accounts import limits, links, people
from greenlane.apps.accounts.languages import offered
from greenlane.apps.accounts.models import AccessRequest, User
from greenlane.apps.accounts.roles import ROLES_BY_KIND, OrganisationKind, Role
from greenlane.apps.audit import services as audit
from greenlane.apps.operators import services as operators
from greenlane.apps.operators.models import Operator
from greenlane.core.errors import NotAllowed, Refused
from greenlane.core.words import gettext_noop

PURPOSE = "access-request"
#: Requests one client address may make, and verification links one mailbox may be sent, per
#: ``WINDOW`` seconds.
PER_ADDRESS = 5
PER_EMAIL = 3
WINDOW = 3600
FIELDS = (
    "kind", "legal_name", "country", "identifier", "national_id", "eori", "trade_role",
    "employees", "established_on", "first_name", "last_name", "email", "phone", "message",
)  # fmt: skip
Status = AccessRequest.Status


def _snapshot(request: AccessRequest) -> dict[str, Any]:
    return {
        "status": request.status,
        "organisation": request.organisation_id,
        "user": request.user_id,
        "refusal_reason": request.refusal_reason,
    }


def ask(data: dict[str, Any], client: str, base: str) -> int:
    """A request for access from the public page (already checked by its form). Past the
    limits nothing is stored or sent and the seconds to wait are returned; else 0, whatever
    became of it (the page says the same either way)."""
    wait = limits.retry_after(f"access:{client}", PER_ADDRESS, WINDOW)
    if wait:
        return wait
    email = str(data.get("email", "")).strip()
    if limits.retry_after(f"access-mail:{email.lower()}", PER_EMAIL, WINDOW):
        return 0  # the mailbox has had its links: say nothing different, send nothing more
    with transaction.atomic():
        request = AccessRequest(**{f: data[f] for f in FIELDS if data.get(f) is not None})
        request.email = email
        request.country = request.country.upper()
        people.validated(request)
        request.save()
        audit.record(
            "accounts.access_request.received",
            None,
            request,
            {"legal_name": request.legal_name, "kind": request.kind, "client": client},
        )
        # The link is written in the language the requester asked in (they have no account to
        # hold one).
        language = translation.get_language() or ""
        transaction.on_commit(lambda: deliver_request_link.enqueue(request.pk, base, language))
    return 0


def _state(request: AccessRequest) -> str:
    # The link confirms this address for a request not yet confirmed: once it is, the state
    # differs and the link is dead.
    return f"{request.status}\n{request.email}"


def link(request: AccessRequest, base: str) -> str:
    token = links.make(PURPOSE, request.pk, _state(request))
    return base.rstrip("/") + reverse("access_request_confirm", args=[token])


def unconfirmed(token: str) -> AccessRequest | None:
    """The request whose address the token confirms, or None when it does not (any more)."""
    found = links.read(PURPOSE, token)
    if found is None:
        return None
    request = AccessRequest.objects.filter(pk=found[0], status=Status.UNVERIFIED).first()
    if request is None or not links.matches(PURPOSE, found[1], _state(request)):
        return None
    return request


@transaction.atomic
def confirm(token: str) -> AccessRequest | None:
    """The requester followed the link: the request goes to customs. None when the link does
    not work."""
    request = unconfirmed(token)
    if request is None:
        return None
    changed = AccessRequest.objects.filter(pk=request.pk, status=Status.UNVERIFIED).update(
        status=Status.WAITING, verified_at=timezone.now()
    )
    if not changed:
        return None  # confirmed by another request in between
    request.refresh_from_db()
    audit.record(
        "accounts.access_request.confirmed",
        None,
        request,
        {"before": {"status": Status.UNVERIFIED}, "after": {"status": request.status}},
    )
    _tell_customs(request)
    return request


def _tell_customs(request: AccessRequest) -> None:
    """Customs hears of a request once its address is confirmed: a notice to every active
    administrator (their inbox, and e-mail as each chose), in the confirming transaction."""
    from greenlane.apps.notices.models import Kind
    from greenlane.apps.notices.services import notify

    # Stored as words, each read in the administrator's own language.
    person = f"{request.first_name} {request.last_name}"
    if request.kind == OrganisationKind.CONSULTANCY:
        body = gettext_noop(
            "A consultancy in %(country)s; the address of %(person)s is confirmed. "
            "Approve or refuse it.",
            country=request.country, person=person,
        )  # fmt: skip
    else:
        body = gettext_noop(
            "A company (economic operator) in %(country)s; the address of %(person)s is "
            "confirmed. Approve or refuse it.",
            country=request.country, person=person,
        )  # fmt: skip
    notify(
        Kind.ACCESS_REQUESTED,
        User.objects.filter(role=Role.ADMINISTRATOR, is_active=True),
        title=gettext_noop("%(organisation)s asks for access", organisation=request.legal_name),
        body=body,
        link=reverse("access_request_detail", args=[request.pk]),
        about=request,
        may_see=lambda user: user.role == Role.ADMINISTRATOR,
    )


#: An unconfirmed request is forgotten this long after it was made (its link expired long
#: before): nobody ever saw it, and it holds a stranger's name and address.
FORGET_UNCONFIRMED_AFTER = timedelta(days=7)


@jobs.periodic("access-requests", setting=None)
def forget_unconfirmed(day: date) -> int | None:
    """Once a day in the worker: delete the requests whose address was never confirmed."""
    from greenlane.apps.notices import sweeps

    if not sweeps.first_today("accounts.forget_unconfirmed", day):
        return None
    made_before = timezone.now() - max(
        FORGET_UNCONFIRMED_AFTER, timedelta(seconds=2 * settings.EMAIL_LINK_TIMEOUT)
    )
    with transaction.atomic():
        stale = AccessRequest.objects.filter(status=Status.UNVERIFIED, created_at__lt=made_before)
        count = stale.count()
        if count:
            stale.delete()
            audit.record(
                "accounts.access_request.forgotten",
                None,
                None,
                {"unconfirmed": count, "made_before": made_before.isoformat()},
            )
    return count


def for_customs() -> QuerySet[AccessRequest]:
    """Requests whose address is confirmed, those waiting first, newest first within each."""
    first = Case(
        When(status=Status.WAITING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        AccessRequest.objects.exclude(status=Status.UNVERIFIED)
        .annotate(waiting_first=first)
        .order_by("waiting_first", "-verified_at", "-pk")
    )


def candidates(request: AccessRequest) -> list[Operator]:
    """Operator records the request may be for: same identifier (as the code, the national
    number or the EORI), or a name containing the legal name's first word."""
    wanted = Q(pk__in=[])
    for value in {request.identifier.strip(), request.national_id.strip(), request.eori.strip()}:
        if value:
            wanted |= Q(code__iexact=value) | Q(national_id__iexact=value) | Q(eori__iexact=value)
    word = request.legal_name.split()[0] if request.legal_name.split() else ""
    if len(word) >= 3:
        wanted |= Q(name__icontains=word)
    return list(Operator.objects.filter(wanted).select_related("organisation")[:10])


def accounts_with_address(request: AccessRequest) -> list[User]:
    """People on record with the requester's address, for customs to see before approving."""
    return list(User.objects.filter(email__iexact=request.email).select_related("organisation"))


def _waiting(request: AccessRequest) -> AccessRequest:
    locked = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status == Status.APPROVED:
        raise NotAllowed(_("the request is approved: nothing to do"))
    if locked.status == Status.REFUSED:
        raise NotAllowed(_("the request is refused: nothing to do"))
    if locked.status != Status.WAITING:
        raise NotAllowed(_("the request's address is not confirmed: nothing to do"))
    return locked


@transaction.atomic
def approve(admin: User, request: AccessRequest, data: dict[str, Any], base: str) -> AccessRequest:
    """Make the organisation, link a company's to its operator record (``how``: ``link`` to
    the record ``operator``, or ``create`` one under that identifier), and make the requester
    its first person, who manages colleagues; their password link goes out on commit."""
    locked = _waiting(request)
    before = _snapshot(locked)
    how, code = str(data.get("how", "")), str(data.get("operator", "")).strip()
    company = locked.kind == OrganisationKind.OPERATOR
    if company and how not in ("link", "create"):
        raise Refused(_("link the company to its operator record, or create the record"), "how")
    name = str(data.get("organisation_name", "")).strip() or locked.legal_name
    organisation = people.add_organisation(
        admin, {"name": name, "kind": locked.kind, "country": locked.country}
    )
    if company:
        if how == "create":
            code = code or locked.identifier
            operators.create_operator(admin, _operator_facts(locked, code))
        operators.link_company(admin, organisation, code)
    (role,) = ROLES_BY_KIND[locked.kind]
    person = {
        "username": str(data.get("username", "")).strip() or people.username_for(locked.email),
        "first_name": locked.first_name,
        "last_name": locked.last_name,
        "email": locked.email,
        "role": role,
        "manages_colleagues": True,
    }
    user = people.add_person(admin, organisation, person, base)
    locked.status, locked.decided_at, locked.decided_by = Status.APPROVED, timezone.now(), admin
    locked.organisation, locked.user = organisation, user
    locked.save()
    audit.record(
        "accounts.access_request.approved",
        admin,
        locked,
        {"before": before, "after": _snapshot(locked), "operator": code if company else None},
    )
    return locked


def _operator_facts(request: AccessRequest, code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": request.legal_name,
        "country": request.country,
        "trade_role": request.trade_role,
        "national_id": request.national_id,
        "eori": request.eori,
        "employees": request.employees,
        "established_on": request.established_on,
    }


@transaction.atomic
def refuse(admin: User, request: AccessRequest, reason: str) -> AccessRequest:
    """Refuse with a reason, which the requester is sent."""
    reason = people.reason_given(reason)
    locked = _waiting(request)
    before = _snapshot(locked)
    locked.status, locked.decided_at, locked.decided_by = Status.REFUSED, timezone.now(), admin
    locked.refusal_reason = reason
    locked.save()
    audit.record(
        "accounts.access_request.refused",
        admin,
        locked,
        {"before": before, "after": _snapshot(locked)},
    )
    transaction.on_commit(lambda: deliver_refusal.enqueue(locked.pk))
    return locked


@task()
def deliver_request_link(request_id: int, base: str, language: str = "") -> None:
    """The link that confirms the requester's address (made when it is sent: the queue and the
    audit log never hold it), in ``language``, the one they asked in."""
    request = AccessRequest.objects.filter(pk=request_id, status=Status.UNVERIFIED).first()
    if request is None:
        return
    with translation.override(language if language in offered() else settings.LANGUAGE_CODE):
        subject = _("Greenlane: confirm your request for access")
        body = "\n\n".join(
            [
                _("Someone asked for access to Greenlane for %(name)s, giving this address.")
                % {"name": request.legal_name},
                links.confirm_here(link(request, base)),
                _(
                    "Customs sees the request once it is confirmed, and writes to you with its "
                    "answer. If you did not ask, ignore this message: nothing happens without "
                    "the link."
                ),
            ]
        )
    send_mail(subject, body, None, [request.email])


@task()
def deliver_refusal(request_id: int) -> None:
    """The refusal and its reason, to the requester (in the default language: the request
    keeps no language of its own)."""
    request = AccessRequest.objects.filter(pk=request_id, status=Status.REFUSED).first()
    if request is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Greenlane: your request for access")
        body = "\n\n".join(
            [
                _("Customs has refused the request for access to Greenlane for %(name)s.")
                % {"name": request.legal_name},
                _("The reason given:") + "\n" + request.refusal_reason,
                _("You may ask again once the reason no longer holds."),
            ]
        )
    send_mail(subject, body, None, [request.email])
