"""MRAs, partner AEO lists and the recognised-AEO look-up."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.certification import mra
from greenlane.apps.certification.economies import economy_label
from greenlane.apps.certification.models import MutualRecognition, PartnerImport
from greenlane.apps.certification.services import Refused
from greenlane.apps.wording import said, translated
from greenlane.core.criteria.loader import shipped
from greenlane.web.csvfiles import streamed_csv
from greenlane.web.middleware import takes_files
from greenlane.web.params import optional_date
from greenlane.web.refusals import shown

VIEW = mra.VIEW_ROLES


@role_required(VIEW)
def mra_list(request: AuthenticatedRequest) -> HttpResponse:
    error, field = "", ""
    if request.method == "POST":
        data = {
            "partner_programme": request.POST.get("partner_programme", ""),
            "partner_authority": request.POST.get("partner_authority", ""),
            "partner_tiers": request.POST.getlist("partner_tiers"),
            "partner_roles": request.POST.getlist("partner_roles"),
            "effective_from": optional_date(request.POST.get("effective_from")),
            "effective_to": optional_date(request.POST.get("effective_to")),
            "signed_on": optional_date(request.POST.get("signed_on")),
            "benefits": request.POST.getlist("benefits"),
            "reference_url": request.POST.get("reference_url", ""),
        }
        try:
            created = mra.create_mra(request.user, data)
        except Refused as exc:
            error, field = said(exc), exc.field
        else:
            messages.success(request, _("MRA recorded."))
            return redirect("mra_detail", pk=created.pk)
    today = timezone.localdate()
    context = {
        "mras": MutualRecognition.objects.all(),
        "today": today,
        "benefits": mra.BENEFITS.items(),
        "roles": mra.ROLES.items(),
        "programmes": shipped().programmes.values(),
        "can_manage": request.user.role in mra.MANAGE_ROLES,
        "error": error,
        "field": field,
    }
    return render(request, "certification/mra_list.html", context, status=400 if error else 200)


@require_safe
@role_required(VIEW)
def mra_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(MutualRecognition, pk=pk)
    return render(
        request,
        "certification/mra_detail.html",
        {
            "mra": item,
            "imports": item.imports.all(),
            "aeos": item.aeos.count(),
            "benefits": [mra.BENEFITS.get(b, b) for b in item.benefits],
            "parties": parties(item),
            "roles": [mra.ROLES.get(r, r) for r in item.partner_roles],
            "can_manage": request.user.role in mra.MANAGE_ROLES,
        },
    )


def parties(item: MutualRecognition) -> list[str]:
    """Each party as "Canada", "Korea (kr-aeo)" or "European Union (eu-aeo): tiers AEOS,
    AEOC-AEOS; roles exporter" (the economy's name in the reader's language)."""
    out = []
    for party in item.parties:
        text = economy_label(str(party.get("economy") or "")) or "?"
        if party.get("programme"):
            text += f" ({party['programme']})"
        tiers = ", ".join(party.get("tiers") or ())
        roles = ", ".join(str(mra.ROLES.get(r, r)) for r in party.get("roles") or ())
        values = {"party": text, "tiers": tiers, "roles": roles}
        if tiers and roles:
            text = _("%(party)s: tiers %(tiers)s; roles %(roles)s") % values
        elif tiers:
            text = _("%(party)s: tiers %(tiers)s") % values
        elif roles:
            text = _("%(party)s: roles %(roles)s") % values
        out.append(text)
    return out


@takes_files("list")
@require_POST
@role_required(mra.MANAGE_ROLES)
def mra_import(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(MutualRecognition, pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the partner's list (CSV)."))
        return redirect("mra_detail", pk=item.pk)
    with shown(request):
        batch = mra.import_list(item, request.user, upload.name or "list.csv", upload.read())
        messages.success(
            request,
            ngettext(
                "%(file)s: %(read)d rows read, %(accepted)d imported, %(refused)d refused.",
                "%(file)s: %(read)d rows read, %(accepted)d imported, %(refused)d refused.",
                batch.rows_read,
            )
            % {
                "file": batch.file_name,
                "read": batch.rows_read,
                "accepted": batch.rows_accepted,
                "refused": batch.rows_rejected,
            },
        )
    return redirect("mra_detail", pk=item.pk)


@require_safe
@role_required(VIEW)
def mra_rejected_csv(request: AuthenticatedRequest, pk: int, batch: int) -> StreamingHttpResponse:
    found = get_object_or_404(PartnerImport, pk=batch, mra_id=pk)
    rows: list[list[Any]] = [["row", "reason", "partner_id", "name"]]
    for r in found.rejected:
        raw = r.get("raw") or {}
        # the reason in the reader's language (an import before it was kept as words: as is)
        rows.append([r["row"], translated(r["reason"]), raw.get("partner_id"), raw.get("name")])
    return streamed_csv(rows, f"rejected-{found.pk}.csv")


@require_safe
@role_required(VIEW)
def mra_status(request: AuthenticatedRequest) -> HttpResponse:
    identifier = request.GET.get("identifier", "").strip()
    raw_on = request.GET.get("on", "")
    picked = optional_date(raw_on)
    on = picked or timezone.localdate()
    error = (
        _("'%(value)s' is not a date (YYYY-MM-DD)") % {"value": raw_on}
        if raw_on and picked is None
        else ""
    )
    found = mra.status(identifier, on) if identifier and not error else None
    return render(
        request,
        "certification/mra_status.html",
        {"identifier": identifier, "on": on, "found": found, "error": error},
        status=400 if error else 200,
    )
