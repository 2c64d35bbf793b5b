"""The inbox: a person's notices, each opening the thing it is about, and how each kind
arrives (issue 18, point 4). Everyone sees only their own notices."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import ANY_ROLE, role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.notices import services as notices
from greenlane.apps.notices.models import KINDS_BY_ROLE, Delivery


@require_safe
@role_required(ANY_ROLE)
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    found = notices.inbox(request.user)
    if show == "unread":
        found = found.filter(read_at__isnull=True)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "notices/inbox.html", {"page": page, "show": show})


@require_safe
@role_required(ANY_ROLE)
def notice_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark the notice read and go to the thing it is about (the link in the e-mail too)."""
    notice = notices.open_notice(request.user, pk)
    if notice is None:
        raise Http404(_("no such notice"))
    if not url_has_allowed_host_and_scheme(notice.link, allowed_hosts=None):
        return redirect("inbox")  # only paths of this site are ever stored; never elsewhere
    return redirect(notice.link)


@require_POST
@role_required(ANY_ROLE)
def notices_read(request: AuthenticatedRequest) -> HttpResponse:
    count = notices.mark_all_read(request.user)
    messages.success(
        request,
        ngettext("%(n)d notice(s) marked read.", "%(n)d notice(s) marked read.", count)
        % {"n": count},
    )
    return redirect("inbox")


class PreferencesForm(forms.Form):
    """One choice per kind of notice the person's role can be sent."""

    def __init__(self, role: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for kind in KINDS_BY_ROLE.get(role, ()):
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=Delivery.choices, widget=forms.RadioSelect
            )


@role_required(ANY_ROLE)
def notice_settings(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        form = PreferencesForm(request.user.role, request.POST)
        if form.is_valid():
            changed = notices.set_preferences(request.user, form.cleaned_data)
            messages.success(
                request,
                ngettext("Saved: %(n)d change(s).", "Saved: %(n)d change(s).", len(changed))
                % {"n": len(changed)}
                if changed
                else _("Nothing changed."),
            )
            return redirect("notice_settings")
    else:
        form = PreferencesForm(request.user.role, initial=notices.preferences(request.user))
    return render(
        request,
        "notices/settings.html",
        {"form": form, "has_email": bool(request.user.email), "delivery_choices": Delivery.choices},
    )
