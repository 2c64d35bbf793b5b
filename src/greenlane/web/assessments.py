"""Self-test, readiness and gap-analysis pages, evidence files, action plan, catalogue."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import ANY_ROLE, role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services
from greenlane.apps.assessments.models import ActionItem, Evidence, SelfAssessment
from greenlane.apps.assessments.permissions import (
    EDIT_ROLES,
    READ_ROLES,
    can_read_evidence,
    editable_operator,
    readable_operator,
    visible_assessments,
)
from greenlane.apps.assessments.report import render_pdf, report_context
from greenlane.apps.certification.economies import economy_label
from greenlane.apps.operators.models import Operator
from greenlane.apps.operators.permissions import visible_operators
from greenlane.apps.wording import said
from greenlane.core.certification.mras import shipped_mras
from greenlane.core.certification.network import APEC, network
from greenlane.core.criteria.export import compare
from greenlane.core.criteria.schema import Answer, OperatorType
from greenlane.core.errors import Refused
from greenlane.web.exports import private_file
from greenlane.web.middleware import takes_files
from greenlane.web.params import optional_date
from greenlane.web.refusals import refusal, shown
from greenlane.web.templatetags.humanize_figures import OPERATOR_TYPE_LABELS

DELETE_ACTION_MEANS = gettext_lazy("the action leaves the plan; the audit log keeps what it said.")
ANSWER_CHOICES = [
    (Answer.MET.value, pgettext_lazy("self-test answer", "Met")),
    (Answer.PARTLY.value, pgettext_lazy("self-test answer", "Partly met")),
    (Answer.NOT_MET.value, pgettext_lazy("self-test answer", "Not met")),
    (Answer.NOT_APPLICABLE.value, pgettext_lazy("self-test answer", "Not applicable")),
]
#: The inputs a refusal of the company facts or of the action plan names, in words.
FIELD_LABELS = {
    "declarations_per_year": gettext_lazy("declarations per year"),
    "years_since_serious_infringement": gettext_lazy("years since serious infringement"),
    "annual_turnover": gettext_lazy("annual turnover"),
    "paid_up_capital": gettext_lazy("paid up capital"),
    "currency": gettext_lazy("currency"),
    "operator_types": gettext_lazy("operator types"),
    "scores": gettext_lazy("scores"),
    "action": pgettext_lazy("a step of the action plan", "action"),
    "requirement": gettext_lazy("requirement"),
    "target_date": gettext_lazy("target date"),
    "status": gettext_lazy("status"),
    "owner": pgettext_lazy("who does an action of the plan", "owner"),
}


@require_safe
@role_required(EDIT_ROLES)
def selftest_start(request: AuthenticatedRequest) -> HttpResponse:
    operators = list(visible_operators(request.user)[:200])
    if request.user.role == Role.TRADER and len(operators) == 1:
        return redirect("selftest_edit", pk=operators[0].pk)
    return render(request, "assessments/start.html", {"operators": operators})


def _form_context(operator: Operator, draft: SelfAssessment | None) -> dict[str, Any]:
    catalogue = services.catalogue()
    answers = {a.requirement: a for a in draft.answers.all()} if draft else {}
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    for item in draft.evidence.all() if draft else []:
        evidence[item.requirement].append(item)
    groups = []
    for group in catalogue.baseline.groups:
        rows = [
            {
                "req": r,
                "answer": answers[r.id].answer if r.id in answers else "",
                "comment": answers[r.id].comment if r.id in answers else "",
                "evidence": evidence.get(r.id, []),
                "choices": [c for c in ANSWER_CHOICES if c[0] != "na" or r.na_allowed],
            }
            for r in catalogue.baseline.requirements
            if r.group == group.id
        ]
        groups.append({"group": group, "rows": rows})
    answered = sum(1 for a in answers.values() if a.answer)
    today = timezone.localdate()
    measured = [
        {"programme": p, "groups": [g for g in v.groups if g.measured]}
        for p in catalogue.programmes.values()
        if (v := p.version_on(today)) is not None and any(g.measured for g in v.groups)
    ]
    profile = draft.profile if draft else {}
    return {
        "operator": operator,
        "draft": draft,
        "groups": groups,
        "answered": answered,
        "total": len(catalogue.baseline.requirements),
        "profile": profile,
        "types": [(t.value, OPERATOR_TYPE_LABELS.get(t.value, t.value)) for t in OperatorType],
        "chosen_types": profile.get("operator_types")
        or [services.DEFAULT_TYPES[operator.trade_role].value],  # type: ignore[index]
        "measured": measured,
        "snapshot": services.latest_snapshot(operator),
    }


@role_required(EDIT_ROLES)
def selftest_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    errors: dict[str, str] = {}
    if request.method == "POST":  # the form without JavaScript: save every answer at once
        for req in services.catalogue().baseline.requirements:
            if f"answer-{req.id}" not in request.POST and f"comment-{req.id}" not in request.POST:
                continue
            answer = request.POST.get(f"answer-{req.id}", "")
            comment = request.POST.get(f"comment-{req.id}", "")
            if refused := refusal(
                services.save_answer, operator, request.user, req.id, answer, comment
            ):
                errors[req.id] = said(refused)
        if not errors:
            messages.success(request, _("Answers saved."))
            return redirect("selftest_edit", pk=operator.pk)
    context = _form_context(operator, services.current(operator))
    context["errors"] = errors
    return render(request, "assessments/selftest.html", context, status=400 if errors else 200)


@require_POST
@role_required(EDIT_ROLES)
def selftest_answer(request: AuthenticatedRequest, pk: int, requirement: str) -> JsonResponse:
    """Autosave of one answer; answers JSON so the page can show "saved" or the error."""
    operator = editable_operator(request.user, pk)
    try:  # not ``refusal``: the answer goes on with the row saved
        row = services.save_answer(
            operator,
            request.user,
            requirement,
            request.POST.get("answer", ""),
            request.POST.get("comment", ""),
        )
    except services.Refused as exc:
        return JsonResponse({"field": exc.field, "error": said(exc)}, status=exc.status)
    draft = row.assessment
    answered = draft.answers.exclude(answer="").count()
    return JsonResponse(
        {"saved_at": timezone.localtime(row.updated_at).strftime("%H:%M:%S"), "answered": answered}
    )


def _naming_the_field(sentence: str) -> Callable[[Refused], str]:
    """Words for ``shown``: "Company facts not saved: declarations per year: between ...";
    ``sentence`` (translated) has the places ``%(field)s`` and ``%(reason)s``."""

    def words(exc: Refused) -> str:
        field = exc.field or ""
        return sentence % {
            "field": FIELD_LABELS.get(field, field.replace("_", " ")),
            "reason": exc,
        }

    return words


@require_POST
@role_required(EDIT_ROLES)
def selftest_profile(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    scores: dict[str, dict[str, str]] = defaultdict(dict)
    for key, value in request.POST.items():
        parts = key.split(":")
        if parts[0] == "score" and len(parts) == 3:
            scores[parts[1]][parts[2]] = value
    data = {
        "declarations_per_year": request.POST.get("declarations_per_year", ""),
        "years_since_serious_infringement": request.POST.get(
            "years_since_serious_infringement", ""
        ),
        "annual_turnover": request.POST.get("annual_turnover", ""),
        "paid_up_capital": request.POST.get("paid_up_capital", ""),
        "currency": request.POST.get("currency", ""),
        "arrears": request.POST.get("arrears") == "on",
        "operator_types": request.POST.getlist("operator_types"),
        "scores": scores,
    }
    with shown(request, _naming_the_field(_("Company facts not saved: %(field)s: %(reason)s"))):
        services.save_profile(operator, request.user, data)
        messages.success(request, _("Company facts saved."))
    return redirect(reverse("selftest_edit", args=[operator.pk]) + "#profile")


@takes_files("evidence")
@require_POST
@role_required(EDIT_ROLES)
def evidence_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    requirement = request.POST.get("requirement", "")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(
            request,
            _("%(requirement)s: choose a file to attach.") % {"requirement": requirement},
        )
    else:
        with shown(request, lambda exc: f"{requirement}: {exc}"):
            services.add_evidence(operator, request.user, requirement, upload)
            messages.success(
                request,
                _("%(requirement)s: %(file)s attached.")
                % {"requirement": requirement, "file": upload.name},
            )
    return redirect(reverse("selftest_edit", args=[operator.pk]) + f"#req-{requirement}")


@require_POST
@role_required(EDIT_ROLES)
def evidence_remove(request: AuthenticatedRequest, pk: int, evidence_id: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    evidence = get_object_or_404(Evidence, pk=evidence_id, assessment__operator=operator)
    with shown(request):
        services.remove_evidence(evidence, request.user)
    return redirect(reverse("selftest_edit", args=[operator.pk]) + f"#req-{evidence.requirement}")


@require_safe
@role_required(READ_ROLES)
def evidence_download(request: AuthenticatedRequest, evidence_id: int) -> HttpResponse:
    evidence = get_object_or_404(Evidence.objects.select_related("assessment"), pk=evidence_id)
    if not can_read_evidence(request.user, evidence):
        raise Http404
    services.evidence_downloaded(evidence, request.user)
    return private_file(evidence.file, evidence.original_name, evidence.content_type)


@require_POST
@role_required(EDIT_ROLES)
def selftest_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    with shown(request, lambda exc: _("Not submitted: %(reason)s.") % {"reason": exc}):
        snapshot = services.submit(operator, request.user)
        messages.success(request, _("Self-test submitted: this snapshot is now frozen."))
        return redirect("snapshot_report", pk=operator.pk, sid=snapshot.pk)
    return redirect("selftest_edit", pk=operator.pk)


def _rules_date(request: HttpRequest) -> tuple[date | None, str]:
    """The date whose rules a draft is assessed against (?on=YYYY-MM-DD; default today)."""
    raw = request.GET.get("on", "").strip()
    if not raw:
        return None, ""
    day = optional_date(raw)
    return day, "" if day else _("'%(value)s' is not a date: use YYYY-MM-DD.") % {"value": raw}


def _report(
    request: AuthenticatedRequest,
    operator: Operator,
    assessment: SelfAssessment | None,
    on: date | None = None,
) -> dict[str, Any]:
    can_edit = request.user.role in EDIT_ROLES
    live = assessment is None or assessment.is_draft or on is not None
    result = services.evaluate(operator, assessment, on, frozen=not live)
    title = _("Gap analysis: %(operator)s") % {"operator": operator.name}
    # The action plan is the company's working document, not part of what it submitted.
    actions = operator.action_items.all() if can_edit else []
    known = services.catalogue().programmes
    focus = [pid for pid in request.GET.getlist("programme") if pid in known]
    context = report_context(
        result, title=title, operator=operator, actions=actions, snapshot=assessment, focus=focus
    )
    context["focus_query"] = urlencode([("programme", pid) for pid in focus])
    context["can_edit"] = can_edit
    context["delete_means"] = DELETE_ACTION_MEANS
    context["evidence"] = [
        e
        for e in (assessment.evidence.select_related("assessment") if assessment else [])
        if can_read_evidence(request.user, e)
    ]
    context["requirements"] = services.catalogue().baseline.requirements
    return context


@require_safe
@role_required(EDIT_ROLES)
def selftest_report(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The current self-test against the rules of today, or of another date (?on=)."""
    operator = editable_operator(request.user, pk)
    on, error = _rules_date(request)
    context = _report(request, operator, services.current(operator), on)
    context["on_error"] = error
    context["on_value"] = request.GET.get("on", "")
    return render(request, "assessments/report.html", context, status=400 if error else 200)


@require_safe
@role_required(EDIT_ROLES)
def selftest_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    on, _error = _rules_date(request)
    context = _report(request, operator, services.current(operator), on)
    return _pdf(context, f"{operator.code}-draft")


def _snapshot(request: AuthenticatedRequest, pk: int, sid: int) -> tuple[Operator, SelfAssessment]:
    operator = readable_operator(request.user, pk)
    snapshot = get_object_or_404(
        visible_assessments(request.user).filter(status=SelfAssessment.Status.SUBMITTED),
        pk=sid,
        operator=operator,
    )
    return operator, snapshot


@require_safe
@role_required(READ_ROLES)
def snapshot_report(request: AuthenticatedRequest, pk: int, sid: int) -> HttpResponse:
    operator, snapshot = _snapshot(request, pk, sid)
    services.snapshot_read([snapshot], request.user, "page")
    return render(request, "assessments/report.html", _report(request, operator, snapshot))


@require_safe
@role_required(READ_ROLES)
def snapshot_pdf(request: AuthenticatedRequest, pk: int, sid: int) -> HttpResponse:
    operator, snapshot = _snapshot(request, pk, sid)
    services.snapshot_read([snapshot], request.user, "pdf")
    return _pdf(_report(request, operator, snapshot), f"{operator.code}-selftest-{snapshot.pk}")


def _pdf(context: dict[str, Any], name: str) -> HttpResponse:
    response = HttpResponse(render_pdf(context | {"in_pdf": True}), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="gap-analysis-{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@role_required(READ_ROLES)
def selftest_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Snapshots of an operator, and the progress between two of them."""
    operator = readable_operator(request.user, pk)
    snapshots = list(
        visible_assessments(request.user)
        .filter(operator=operator, status=SelfAssessment.Status.SUBMITTED)
        .order_by("-submitted_at", "-pk")
    )
    by_id = {str(s.pk): s for s in snapshots}
    before, after = (
        by_id.get(request.GET.get("before", "")),
        by_id.get(request.GET.get("after", "")),
    )
    changes, answer_changes, error = None, None, ""
    if request.GET.get("before") or request.GET.get("after"):
        if before is None or after is None:
            error = _("Choose two snapshots of this operator.")
        else:
            if (before.submitted_at or before.created_at) > (
                after.submitted_at or after.created_at
            ):
                before, after = after, before
            services.snapshot_read([before, after], request.user, "comparison")
            changes = compare(before.result or {}, after.result or {})
            old = services.answers_of(before)
            new = services.answers_of(after)
            answer_changes = [
                (r, old.get(r.id), new.get(r.id))
                for r in services.catalogue().baseline.requirements
                if old.get(r.id) != new.get(r.id)
            ]
    context = {
        "operator": operator,
        "snapshots": snapshots,
        "before": before,
        "after": after,
        "changes": changes,
        "answer_changes": answer_changes,
        "error": error,
        "can_edit": request.user.role in EDIT_ROLES,
    }
    return render(request, "assessments/history.html", context, status=400 if error else 200)


@require_POST
@role_required(EDIT_ROLES)
def action_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    with shown(request, _naming_the_field(_("Action not added: %(field)s: %(reason)s"))):
        services.save_action(operator, request.user, request.POST.dict())
        messages.success(request, _("Action added to the plan."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("selftest_report", args=[operator.pk])
    return redirect(target)


@require_POST
@role_required(EDIT_ROLES)
def action_edit(request: AuthenticatedRequest, pk: int, item: int) -> HttpResponse:
    operator = editable_operator(request.user, pk)
    action = get_object_or_404(ActionItem, pk=item, operator=operator)
    with shown(request, _naming_the_field(_("Action not saved: %(field)s: %(reason)s"))):
        if request.POST.get("delete") and request.POST.get("confirm") != "yes":
            messages.error(
                request,
                _(
                    "Not deleted: tick the box to confirm — the action leaves the plan; the "
                    "audit log keeps what it said."
                ),
            )
            return redirect(reverse("selftest_report", args=[operator.pk]) + "#plan")
        if request.POST.get("delete"):
            services.delete_action(action, request.user)
        else:
            services.save_action(operator, request.user, request.POST.dict(), action)
        messages.success(request, _("Action plan updated."))
    return redirect(reverse("selftest_report", args=[operator.pk]) + "#plan")


# --------------------------------------------------------------------------- catalogue


@require_safe
@role_required(ANY_ROLE)
def catalogue_list(request: AuthenticatedRequest) -> HttpResponse:
    catalogue = services.catalogue()
    national = [p for p in catalogue.programmes.values() if p.kind != "framework"]
    arrangements = shipped_mras()
    graph = network(arrangements, [(p.jurisdiction, p.id) for p in national], name=economy_label)
    today = timezone.localdate()
    rows = [
        {
            "programme": p,
            "economy": (
                economy_label(p.jurisdiction)
                if p.kind != "framework"
                else _("International framework")
            ),
            "version": p.version_on(today),
            "tiers": (p.version_on(today) or p.versions[-1]).tiers,
            "ended": max((v.valid_to for v in p.versions if v.valid_to), default=None),
        }
        for p in sorted(
            catalogue.programmes.values(),
            key=lambda p: (p.kind != "framework", economy_label(p.jurisdiction)),
        )
    ]
    return render(
        request,
        "catalogue/list.html",
        {
            "rows": rows,
            "programmes": catalogue.programmes.values(),
            "baseline": catalogue.baseline,
            "graph": graph,
            "arrangements": sorted(arrangements, key=lambda a: a.title()),
            "names": {n.code: n.name for n in graph.economies},
            "apec_encoded": sum(1 for p in national if p.jurisdiction in APEC),
        },
    )


@require_safe
@role_required(ANY_ROLE)
def catalogue_programme(request: AuthenticatedRequest, programme_id: str) -> HttpResponse:
    programme = services.catalogue().programmes.get(programme_id)
    if programme is None:
        raise Http404
    wanted = request.GET.get("version")
    version = programme.version_named(wanted) if wanted else None
    version = version or programme.version_on(timezone.localdate()) or programme.versions[-1]
    sources = {s.id: s for s in version.sources}
    requirements = {r.id: r for r in services.catalogue().baseline.requirements}
    return render(
        request,
        "catalogue/programme.html",
        {
            "programme": programme,
            "version": version,
            "sources": sources,
            "requirements": requirements,
            "groups": [
                (g, [c for c in version.criteria if c.group == g.id]) for g in version.groups
            ],
            "group_titles": {g.id: g.title for g in version.groups},
            "json": json,
        },
    )
