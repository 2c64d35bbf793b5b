"""People and organisations for the administrator; the page where a person sets a password
from the link they were sent (issue 18, points 1 and 3)."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts import addresses, people
from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.permissions import ANY_ROLE, role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.accounts.roles import ROLES_BY_KIND, OrganisationKind, Role
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.operators import services as operators
from greenlane.apps.operators.models import Operator
from greenlane.web.params import optional_id
from greenlane.web.refusals import onto_form, shown

ADMIN = {Role.ADMINISTRATOR}
DEACTIVATE_MEANS = gettext_lazy(
    "the person can no longer sign in and is signed out everywhere now; what they did stays "
    "on record, and an administrator can reactivate them."
)


class PersonForm(forms.Form):
    organisation = forms.ModelChoiceField(
        Organisation.objects.order_by("name"), label=gettext_lazy("Organisation")
    )
    username = forms.CharField(
        max_length=150,
        label=gettext_lazy("Username"),
        help_text=gettext_lazy("what the person signs in with"),
    )
    first_name = forms.CharField(max_length=150, required=False, label=gettext_lazy("First name"))
    last_name = forms.CharField(max_length=150, required=False, label=gettext_lazy("Last name"))
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        help_text=gettext_lazy("the link to choose a password goes here"),
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        label=gettext_lazy("Role"),
        help_text=gettext_lazy("one role; it must fit the organisation's kind"),
    )
    manages_colleagues = forms.BooleanField(
        required=False,
        label=gettext_lazy("Manages colleagues"),
        help_text=gettext_lazy(
            "a company's or consultancy's person who invites and removes its people"
        ),
    )


class PersonEditForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False, label=gettext_lazy("First name"))
    last_name = forms.CharField(max_length=150, required=False, label=gettext_lazy("Last name"))
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        help_text=gettext_lazy("a new address is used once its owner confirms it by a link"),
    )
    role = forms.ChoiceField(choices=Role.choices, label=gettext_lazy("Role"))
    manages_colleagues = forms.BooleanField(
        required=False,
        label=gettext_lazy("Manages colleagues"),
        help_text=gettext_lazy(
            "a company's or consultancy's person who invites and removes its people"
        ),
    )


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200, label=gettext_lazy("Name"))
    kind = forms.ChoiceField(
        choices=OrganisationKind.choices, label=pgettext_lazy("type of organisation", "Kind")
    )
    country = forms.CharField(
        max_length=2,
        label=gettext_lazy("Country"),
        help_text=gettext_lazy("two letters, ISO 3166-1 (e.g. KR)"),
    )


def _base(request: HttpRequest) -> str:
    """The start of the links in e-mails: the configured address, never the request's Host
    (a proxy may rewrite it, and a forged one must not make a link to elsewhere)."""
    return settings.SITE_URL + "/"


@require_safe
@role_required(ADMIN)
def people_list(request: AuthenticatedRequest) -> HttpResponse:
    found = User.objects.select_related("organisation").order_by("username")
    q = request.GET.get("q", "").strip()[:150]
    if q:
        found = found.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    organisation = optional_id(request.GET.get("organisation"))
    if organisation:
        found = found.filter(organisation_id=organisation)
    state = request.GET.get("state", "")
    if state in ("active", "inactive"):
        found = found.filter(is_active=state == "active")
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "state": state,
        "organisation": organisation,
        "organisations": Organisation.objects.order_by("name"),
    }
    return render(request, "people/list.html", context)


@role_required(ADMIN)
def person_new(request: AuthenticatedRequest) -> HttpResponse:
    initial = {"organisation": optional_id(request.GET.get("organisation"))}
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with onto_form(form):
            user = people.add_person(request.user, data["organisation"], data, _base(request))
            messages.success(
                request,
                _("%(username)s added; a link to choose a password is on its way to %(email)s.")
                % {"username": user.username, "email": user.email},
            )
            return redirect("person_detail", pk=user.pk)
    return render(request, "people/new.html", {"form": form, "fits": _fits()})


def _fits() -> list[tuple[str, list[str]]]:
    """Which roles each kind of organisation takes, for the form's hint."""
    labels = dict(Role.choices)
    return [
        (kind.label, sorted(str(labels[r]) for r in ROLES_BY_KIND[kind]))
        for kind in OrganisationKind
    ]


@role_required(ADMIN)
def person_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User.objects.select_related("organisation"), pk=pk)
    form = PersonEditForm(
        request.POST or None,
        # A pending address shows as the address: saving the page again keeps it waiting.
        initial={
            **{k: getattr(person, k) for k in people.PERSON_FIELDS},
            "email": person.pending_email or person.email,
        },
    )
    if request.method == "POST" and form.is_valid():
        with onto_form(form):
            changed = people.change_person(request.user, person, form.cleaned_data, _base(request))
            messages.success(request, _("Saved."))
            if changed.pending_email and changed.pending_email != person.pending_email:
                messages.info(
                    request,
                    _(
                        "A link to confirm %(email)s is on its way there; mail goes to the old "
                        "address until it is followed."
                    )
                    % {"email": changed.pending_email},
                )
            return redirect("person_detail", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "sessions": len(people.sessions_of(person)),
        "locked": people.locked_out(person),
        "deactivate_means": DEACTIVATE_MEANS,
        "events": audit_events(person),
    }
    return render(request, "people/detail.html", context)


def audit_events(person: User) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(subject_type="accounts.user", subject_id=str(person.pk)).order_by(
            "-seq"
        )[:20]
    )


@require_POST
@role_required(ADMIN)
def person_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    reason = request.POST.get("reason", "")
    with shown(request):
        if action == "deactivate" and request.POST.get("confirm") != "yes":
            messages.error(
                request,
                _("Not done: tick the box to confirm — %(means)s") % {"means": DEACTIVATE_MEANS},
            )
        elif action == "deactivate":
            people.deactivate(request.user, person, reason)
            messages.success(
                request,
                _("%(username)s deactivated and signed out.") % {"username": person.username},
            )
        elif action == "reactivate":
            people.reactivate(request.user, person, reason)
            messages.success(
                request, _("%(username)s can sign in again.") % {"username": person.username}
            )
        elif action == "unlock":
            people.unlock(request.user, person)
            messages.success(
                request,
                _("%(username)s's failed logins are forgotten.") % {"username": person.username},
            )
        elif action == "sign-out":
            ended = people.end_sessions(request.user, person)
            messages.success(
                request,
                ngettext("%(n)d session ended.", "%(n)d sessions ended.", ended) % {"n": ended},
            )
        elif action == "address-link" and person.pending_email:
            addresses.send_link(request.user, person, _base(request))
            messages.success(
                request, _("A link is on its way to %(email)s.") % {"email": person.pending_email}
            )
        elif action == "password-link":
            people.send_password_link(request.user, person, _base(request))
            messages.success(
                request, _("A password link is on its way to %(email)s.") % {"email": person.email}
            )
        else:
            messages.error(request, _("Unknown action %(action)s.") % {"action": repr(action)})
    return redirect("person_detail", pk=person.pk)


@role_required(ADMIN)
def organisation_list(request: AuthenticatedRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with onto_form(form):
            org = people.add_organisation(request.user, form.cleaned_data)
            messages.success(request, _("%(name)s added.") % {"name": org.name})
            return redirect("organisation_detail", pk=org.pk)
    organisations = Organisation.objects.annotate(
        people=Count("users", filter=Q(users__is_active=True))
    ).order_by("name")
    return render(
        request, "people/organisations.html", {"organisations": organisations, "form": form}
    )


@role_required(ADMIN)
def organisation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation, pk=pk)
    linked = Operator.objects.filter(organisation=org).first()
    if request.method == "POST":
        with shown(request):
            code = request.POST.get("operator", "").strip()
            operators.link_company(request.user, org, code)
            messages.success(
                request,
                _("%(name)s is the company of operator %(code)s.")
                % {"name": org.name, "code": code},
            )
        return redirect("organisation_detail", pk=org.pk)
    context = {
        "org": org,
        "members": org.users.order_by("username"),
        "linked": linked,
        "takes_operator": org.kind == OrganisationKind.OPERATOR,
    }
    return render(request, "people/organisation.html", context)


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The page a password link opens: the person chooses a password, once."""

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("login")
    form_class = SetPasswordForm
    post_reset_login = False

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit.record("accounts.password.set", form.user, form.user, {"by": "link"})
        messages.success(self.request, _("Your password is set: sign in with it."))
        return response


class ForgotForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"), max_length=254)


def password_forgot(request: HttpRequest) -> HttpResponse:
    """Public: a person who cannot sign in asks for a password link by e-mail."""
    form = ForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = people.forgot_password(
            form.cleaned_data["email"], get_client_ip_address(request) or "unknown", _base(request)
        )
        if wait:
            context = {"form": form, "wait_minutes": -(-wait // 60)}
            response = render(request, "accounts/password_forgot.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        n = settings.PASSWORD_RESET_TIMEOUT // 3600
        hours = ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
        return render(request, "accounts/password_forgot.html", {"sent": True, "hours": hours})
    return render(request, "accounts/password_forgot.html", {"form": form})


class AddressForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("New e-mail address"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
    )


@role_required(ANY_ROLE)
def address_change(request: AuthenticatedRequest) -> HttpResponse:
    """A person changes their own e-mail address; it is used once they follow the link sent to
    it."""
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with onto_form(form):
            done = addresses.change_own(
                request.user, data["email"], data["password"], _base(request)
            )
            if done.pending_email:
                messages.success(
                    request,
                    _(
                        "A link to confirm %(email)s is on its way there; until you follow it, "
                        "Greenlane writes to your present address."
                    )
                    % {"email": done.pending_email},
                )
            return redirect("address_change")
    return render(request, "accounts/address.html", {"form": form})


def address_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the page the link opens; the address changes when its button is pressed (a
    mail scanner that opens links changes nothing)."""
    if request.method == "POST":
        user = addresses.confirm(token)
        return render(
            request, "accounts/address_confirm.html", {"confirmed": user, "valid": user is not None}
        )
    user = addresses.pending(token)
    return render(
        request, "accounts/address_confirm.html", {"found": user, "valid": user is not None}
    )
