"""A company's or consultancy's own people: its colleagues, invited and removed by those of
them who manage colleagues (issue 18, point 2; decision 0025). Customs people are the
administrator's (``/people/``); another organisation's people are not found here (404)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts import colleagues
from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.accounts.roles import COMPANY_ROLES
from greenlane.web.refusals import onto_form, shown

REMOVE_MEANS = gettext_lazy(
    "the person can no longer sign in and is signed out everywhere now; what they did stays "
    "on record, and customs can let them in again."
)


class InviteForm(forms.Form):
    first_name = forms.CharField(max_length=150, label=gettext_lazy("First name"))
    last_name = forms.CharField(max_length=150, label=gettext_lazy("Last name"))
    email = forms.EmailField(
        max_length=254,
        label=gettext_lazy("E-mail"),
        help_text=gettext_lazy("the link to choose a password goes here"),
    )
    manages_colleagues = forms.BooleanField(
        required=False, label=gettext_lazy("May invite and remove colleagues too")
    )


def _manager(request: AuthenticatedRequest) -> None:
    if not request.user.manages_colleagues:
        raise PermissionDenied


@require_safe
@role_required(COMPANY_ROLES)
def colleague_list(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "members": colleagues.of(request.user).order_by("-is_active", "last_name", "username"),
        "manages": request.user.manages_colleagues,
        "remove_means": REMOVE_MEANS,
    }
    return render(request, "people/colleagues.html", context)


@role_required(COMPANY_ROLES)
def colleague_new(request: AuthenticatedRequest) -> HttpResponse:
    _manager(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with onto_form(form):
            invited = colleagues.invite(request.user, form.cleaned_data, settings.SITE_URL + "/")
            messages.success(
                request,
                _(
                    "%(name)s is invited as %(username)s; a link to choose a password is on its "
                    "way to %(email)s."
                )
                % {
                    "name": invited.get_full_name(),
                    "username": invited.username,
                    "email": invited.email,
                },
            )
            return redirect("colleague_list")
    return render(request, "people/colleague_new.html", {"form": form})


@require_POST
@role_required(COMPANY_ROLES)
def colleague_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    colleague = get_object_or_404(colleagues.of(request.user), pk=pk)
    _manager(request)
    with shown(request):
        if action == "remove" and request.POST.get("confirm") != "yes":
            messages.error(
                request,
                _("Not done: tick the box to confirm — %(means)s") % {"means": REMOVE_MEANS},
            )
        elif action == "remove":
            colleagues.remove(request.user, colleague, request.POST.get("reason", ""))
            messages.success(
                request,
                _("%(username)s removed and signed out.") % {"username": colleague.username},
            )
        elif action in ("manager", "not-manager"):
            colleagues.set_manages(request.user, colleague, action == "manager")
            messages.success(request, _("Saved."))
        else:
            messages.error(request, _("Unknown action %(action)s.") % {"action": repr(action)})
    return redirect("colleague_list")
