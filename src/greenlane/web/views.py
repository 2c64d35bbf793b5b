"""Views of the web shell: parse, authorise, call a service or a query, render."""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from greenlane.apps.accounts import services as accounts
from greenlane.apps.accounts.permissions import ANY_ROLE, role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.assessments.permissions import EDIT_ROLES as SELFTEST_EDIT
from greenlane.apps.assessments.permissions import READ_ROLES as SELFTEST_READ
from greenlane.apps.declarations.permissions import (
    sees_declarations,
    visible_declarations_of_importer,
)
from greenlane.apps.monitoring.permissions import OPERATOR_VIEW_ROLES
from greenlane.apps.operators.models import AeoAuthorisation
from greenlane.apps.operators.permissions import (
    OPERATOR_ROLES,
    get_visible_operator,
    visible_operators,
)
from greenlane.apps.tallies import queries as tallies
from greenlane.web.figures import HOME_FIGURES


@require_safe
@role_required(ANY_ROLE)
def home(request: AuthenticatedRequest) -> HttpResponse:
    figures, tables = HOME_FIGURES[request.user.role](request.user)
    return render(request, "web/home.html", {"figures": figures, "tables": tables})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@method_decorator(role_required(ANY_ROLE), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        accounts.change_password(form.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        return super(auth_views.PasswordChangeView, self).form_valid(form)


PasswordChangeView.allowed_roles = None  # type: ignore[attr-defined]


@role_required(ANY_ROLE)
def password_changed(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "accounts/password_changed.html")


@require_safe
@role_required(OPERATOR_ROLES)
def operator_list(request: AuthenticatedRequest) -> HttpResponse:
    operators = visible_operators(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        operators = operators.filter(name__icontains=query) | operators.filter(code__iexact=query)
    page = Paginator(operators.order_by("name", "code"), 50).get_page(request.GET.get("page"))
    return render(request, "operators/list.html", {"page": page, "q": query})


@require_safe
@role_required(OPERATOR_ROLES)
def operator_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = get_visible_operator(request.user, pk)
    authorisations = (
        AeoAuthorisation.objects.filter(operator=operator)
        .select_related("certificate")
        .order_by("-valid_from")
    )
    declarations = visible_declarations_of_importer(request.user, operator.code)
    context: dict[str, Any] = {
        "operator": operator,
        "authorisations": authorisations,
        # Whoever sees declarations and this operator sees all it lodged as importer: the
        # running total counts them without reading them.
        "declaration_count": (
            tallies.declarations_of([operator.code]) if sees_declarations(request.user) else 0
        ),
        "recent": declarations.order_by("-declaration_date", "number")[:20],
        "selftest_links": request.user.role in SELFTEST_READ,
        "can_edit_selftest": request.user.role in SELFTEST_EDIT,
        "monitoring_link": request.user.role in OPERATOR_VIEW_ROLES,
    }
    return render(request, "operators/detail.html", context)


#: Newest first: the chain's sequence numbers are unique and indexed.
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers (no data, no login)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:  # the database is down: say so, without details
        return JsonResponse({"status": "database unavailable"}, status=503)


healthz.allowed_roles = "public"  # type: ignore[attr-defined]


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the site's icon."""
    return redirect(static("greenlane/favicon.svg"), permanent=True)


favicon.allowed_roles = "public"  # type: ignore[attr-defined]


# The error pages do not extend the layout: it reads the session and the user, and the
# database may be what failed. They keep its stylesheet and a way back to the start page, in
# the language the request was being answered in.
ERROR_PAGE = """<!doctype html>
<html lang="%(lang)s"><head><meta charset="utf-8"><title>%(title)s</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/greenlane/greenlane.css">
</head><body><header><a href="/">Greenlane</a></header><main><h1>%(heading)s</h1>
<p>%(text)s</p></main></body></html>
"""


def _error_page(unavailable: bool) -> str:
    if unavailable:
        title = _("Greenlane: temporarily unavailable")
        heading = _("Temporarily unavailable")
        text = _(
            "The database cannot be reached just now. Nothing you sent was half-saved: try "
            'again in a few seconds, or go <a href="%(home)s">back to your start page</a>.'
        )
    else:
        title = _("Greenlane: error")
        heading = _("Something went wrong")
        text = _(
            "The error was logged for the administrators. Nothing you sent was half-saved. Try "
            'again, or go <a href="%(home)s">back to your start page</a>.'
        )
    return ERROR_PAGE % {
        "lang": translation.get_language() or "en",
        "title": title,
        "heading": heading,
        "text": text % {"home": "/"},
    }


def server_error(request: HttpRequest) -> HttpResponse:
    """The answer to an unhandled error (``handler500``): 503 with Retry-After when the database
    cannot be reached (a restart, a network cut), 500 otherwise; never a trace, and nothing that
    needs the database (JSON under /api/)."""
    from django.db import InterfaceError, OperationalError
    from django.http import UnreadablePostError

    error = sys.exc_info()[1]
    if isinstance(error, UnreadablePostError):
        # The client stopped sending its body (``greenlane.server``: too slow, or gone).
        return HttpResponse(
            _("the request body did not arrive in time"),
            status=408,
            content_type="text/plain; charset=utf-8",
        )
    unavailable = isinstance(error, (OperationalError, InterfaceError))
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        detail = (
            _("the database is unavailable; try again shortly")
            if unavailable
            else _("internal error; it was logged")
        )
        response: HttpResponse = JsonResponse({"detail": detail}, status=status)
    else:
        response = HttpResponse(_error_page(unavailable), status=status)
    if unavailable:
        response["Retry-After"] = "5"
    return response
