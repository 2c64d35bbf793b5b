"""Requests for access: the public page a company or consultancy asks on, the link that
confirms its address, and the administrator's pages that approve or refuse (issue 18,
point 2; decision 0025)."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from greenlane.apps.accounts import access, people
from greenlane.apps.accounts.models import AccessRequest
from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.accounts.roles import OrganisationKind, Role
from greenlane.apps.operators.models import TradeRole
from greenlane.web.refusals import onto_form, shown

ADMIN = {Role.ADMINISTRATOR}
COMPANY_ONLY = ("identifier", "trade_role", "employees", "established_on")


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("We are"), choices=AccessRequest._meta.get_field("kind").choices
    )
    legal_name = forms.CharField(max_length=200, label=gettext_lazy("Legal name"))
    country = forms.CharField(
        max_length=2,
        min_length=2,
        label=gettext_lazy("Country or economy"),
        help_text=gettext_lazy("two letters, e.g. KR"),
    )
    identifier = forms.CharField(
        max_length=40,
        required=False,
        label=gettext_lazy("Trader identifier"),
        help_text=gettext_lazy("a company's identifier on its customs declarations"),
    )
    national_id = forms.CharField(
        max_length=40, required=False, label=gettext_lazy("Business registration number")
    )
    eori = forms.CharField(
        max_length=17, required=False, label=gettext_lazy("EORI number (if any)")
    )
    trade_role = forms.ChoiceField(
        choices=[("", "—"), *TradeRole.choices],
        required=False,
        label=gettext_lazy("What the company does"),
    )
    employees = forms.IntegerField(
        min_value=1, max_value=10_000_000, required=False, label=gettext_lazy("Employees")
    )
    established_on = forms.DateField(
        required=False,
        label=gettext_lazy("Established on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    first_name = forms.CharField(max_length=150, label=gettext_lazy("Your first name"))
    last_name = forms.CharField(max_length=150, label=gettext_lazy("Your last name"))
    email = forms.EmailField(
        max_length=254,
        label=gettext_lazy("Your e-mail address"),
        help_text=gettext_lazy("a link to confirm it goes there"),
    )
    phone = forms.CharField(max_length=40, required=False, label=gettext_lazy("Phone"))
    message = forms.CharField(
        max_length=2000,
        required=False,
        label=gettext_lazy("Message to customs"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if not country.isalpha():
            raise forms.ValidationError(_("two letters (ISO 3166-1), e.g. KR"))
        return country

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kind") == OrganisationKind.OPERATOR:
            for field in COMPANY_ONLY:
                if data.get(field) in (None, ""):
                    self.add_error(field, _("a company gives this"))
        return data


def _client(request: HttpRequest) -> str:
    return get_client_ip_address(request) or "unknown"


def access_request(request: HttpRequest) -> HttpResponse:
    """Public: a company or consultancy asks for access."""
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        base = settings.SITE_URL + "/"
        with onto_form(form):
            wait = access.ask(form.cleaned_data, _client(request), base)
            if wait:
                context = {"form": form, "wait_minutes": -(-wait // 60)}
                response = render(request, "accounts/access_request.html", context, status=429)
                response["Retry-After"] = str(wait)
                return response
            hours = settings.EMAIL_LINK_TIMEOUT // 3600
            return render(request, "accounts/access_request.html", {"sent": True, "hours": hours})
    return render(request, "accounts/access_request.html", {"form": form})


def access_request_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the page the mailed link opens. Following the link shows a button; the request
    goes to customs when it is pressed (a mail scanner that opens links confirms nothing)."""
    if request.method == "POST":
        confirmed = access.confirm(token)
        context = {"confirmed": confirmed, "valid": confirmed is not None}
        return render(request, "accounts/access_request_confirm.html", context)
    found = access.unconfirmed(token)
    context = {"found": found, "valid": found is not None}
    return render(request, "accounts/access_request_confirm.html", context)


@require_safe
@role_required(ADMIN)
def access_request_list(request: AuthenticatedRequest) -> HttpResponse:
    found = access.for_customs()
    status = request.GET.get("status", "")
    if status in AccessRequest.Status.values:
        found = found.filter(status=status)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    statuses = [s for s in AccessRequest.Status.choices if s[0] != AccessRequest.Status.UNVERIFIED]
    context = {"page": page, "status": status, "statuses": statuses}
    return render(request, "people/requests.html", context)


class ApproveForm(forms.Form):
    organisation_name = forms.CharField(
        max_length=200,
        label=gettext_lazy("Organisation name"),
        help_text=gettext_lazy("as people will see it"),
    )
    username = forms.CharField(
        max_length=150,
        label=gettext_lazy("Username of the first person"),
        help_text=gettext_lazy("what they sign in with"),
    )
    how = forms.ChoiceField(
        choices=[
            ("link", gettext_lazy("Link to the operator record on file")),
            ("create", gettext_lazy("Create the operator record from the request")),
        ],
        required=False,
        widget=forms.RadioSelect,
        label=gettext_lazy("Operator record"),
    )
    operator = forms.CharField(
        max_length=40,
        required=False,
        label=gettext_lazy("Operator identifier"),
        help_text=gettext_lazy("the record to link, or the identifier of the record to create"),
    )


@role_required(ADMIN)
def access_request_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The request, what is on record that it may match, and the decision."""
    found = get_object_or_404(access.for_customs(), pk=pk)
    candidates = access.candidates(found)
    initial = {
        "organisation_name": found.legal_name,
        "username": people.username_for(found.email),
        "how": "link" if candidates else "create",
        "operator": candidates[0].code if candidates else found.identifier,
    }
    approve = ApproveForm(request.POST or None, initial=initial)
    base = settings.SITE_URL + "/"
    if request.method == "POST" and request.POST.get("decision") == "refuse":
        with shown(request):
            access.refuse(request.user, found, request.POST.get("reason", ""))
            messages.success(request, _("Refused; %(email)s is told why.") % {"email": found.email})
        return redirect("access_request_detail", pk=found.pk)
    if request.method == "POST" and approve.is_valid():
        with onto_form(approve):
            done = access.approve(request.user, found, approve.cleaned_data, base)
            messages.success(
                request,
                _(
                    "Approved: %(username)s is the first person of %(organisation)s; a link to "
                    "choose a password is on its way."
                )
                % {"username": done.user.username, "organisation": done.organisation.name},
            )
            return redirect("access_request_detail", pk=found.pk)
    context = {
        "found": found,
        "candidates": candidates,
        "accounts": access.accounts_with_address(found),
        "approve": approve,
        "company": found.kind == OrganisationKind.OPERATOR,
        "trade_role": dict(TradeRole.choices).get(found.trade_role, found.trade_role),
        "waiting": found.status == AccessRequest.Status.WAITING,
    }
    return render(request, "people/request.html", context)
