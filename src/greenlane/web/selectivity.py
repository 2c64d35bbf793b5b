"""Risk analysts' pages for selectivity: rule profiles (checked, dry-run, activated) and the
policy of each office (capacities, random rate, exploration, AEO benefit)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import queue, selectivity
from greenlane.apps.targeting.models import RuleProfile, SelectivityPolicy
from greenlane.apps.targeting.permissions import MODEL_ROLES, SCORE_ROLES
from greenlane.web.exports import FORMATS, table_file
from greenlane.web.filters import QueueFilter, offices
from greenlane.web.params import optional_id
from greenlane.web.refusals import onto_form, shown

DEACTIVATE_MEANS = (
    "from the next decision on, declarations this rule would have matched go by their scores "
    "alone; the rule stays here and can be activated again."
)


class RuleForm(forms.ModelForm):
    class Meta:
        model = RuleProfile
        fields = [
            "name",
            "expression",
            "action",
            "channel",
            "shift",
            "reason",
            "valid_from",
            "valid_to",
        ]
        widgets = {
            "expression": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "expression": format_html(
                "e.g. <code>{}</code>",
                'hs6 startswith "9301" or (origin_country in ["XX", "YY"] and '
                "customs_value / net_mass_kg < 0.5)",
            ),
        }


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SelectivityPolicy
        fields = ["office_code", *selectivity.POLICY_FIELDS]
        labels = {
            "office_code": "Office",
            "capacity": "Physical examinations a day (red)",
            "documentary_capacity": "Documentary checks a day (yellow)",
            "expected_daily": "Declarations expected a day",
            "min_random_rate": "Random compliance sample (share of declarations)",
            "exploration_share": "Exploration (share of the capacity left)",
            "aeo_reduction": "AEO benefit (share taken off the score)",
            "partner_reduction": "MRA partner AEO benefit (share taken off the score)",
            "red_threshold": "Lowest score for red",
            "yellow_threshold": "Lowest score for yellow",
            "blue_revenue": "Revenue at stake for post-clearance audit (blue)",
        }


def _save_rule(
    request: AuthenticatedRequest, form: RuleForm, rule: RuleProfile | None
) -> RuleProfile | None:
    if form.is_valid():
        with onto_form(form):
            return selectivity.save_rule(request.user, form.cleaned_data, rule)
    return None


@role_required(MODEL_ROLES)
def rule_list(request: AuthenticatedRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        saved = _save_rule(request, form, None)
        if saved is not None:
            messages.success(
                request, f"Rule {saved.name} saved as a draft: dry-run it, then activate."
            )
            return redirect("rule_detail", pk=saved.pk)
    rules = list(RuleProfile.objects.all())
    stats = selectivity.rule_statistics(rules)
    return render(
        request,
        "risk/rule_list.html",
        {"rules": [(r, stats[r.name]) for r in rules], "form": form,
         "days": selectivity.STATISTICS_DAYS},
    )  # fmt: skip


@role_required(MODEL_ROLES)
def rule_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RuleProfile, pk=pk)
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST":
        saved = _save_rule(request, form, rule)
        if saved is not None:
            messages.success(request, "Rule changed: back to draft until dry-run and activated.")
            return redirect("rule_detail", pk=saved.pk)
    stats = selectivity.rule_statistics([rule])[rule.name]
    context = {"rule": rule, "form": form, "stats": stats, "deactivate_means": DEACTIVATE_MEANS}
    return render(request, "risk/rule_detail.html", context)


@require_POST
@role_required(MODEL_ROLES)
def rule_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    rule = get_object_or_404(RuleProfile, pk=pk)
    with shown(request):
        if action == "dry-run":
            rule = selectivity.dry_run(rule, request.user)
            messages.success(
                request,
                f"The rule selects {rule.dry_run_hits:,} of {rule.dry_run_rows:,} declarations "
                f"from {rule.dry_run_from} to {rule.dry_run_to}.",
            )
        elif action == "activate":
            selectivity.set_active(rule, request.user, True)
            messages.success(request, "Rule activated.")
        elif action == "deactivate" and request.POST.get("confirm") != "yes":
            messages.error(request, f"Not done: tick the box to confirm — {DEACTIVATE_MEANS}")
        elif action == "deactivate":
            selectivity.set_active(rule, request.user, False, request.POST.get("reason", ""))
            messages.success(request, "Rule deactivated.")
        else:
            messages.error(request, f"Unknown action {action!r}.")
    return redirect("rule_detail", pk=rule.pk)


@role_required(MODEL_ROLES)
def policy_list(request: AuthenticatedRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    office = request.GET.get("office")
    if office:
        current = SelectivityPolicy.objects.filter(office_code=office).order_by("-version").first()
        if current is not None:
            initial = {k: getattr(current, k) for k in ("office_code", *selectivity.POLICY_FIELDS)}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with onto_form(form):
            record = selectivity.save_policy(
                request.user, form.cleaned_data["office_code"], form.cleaned_data
            )
            messages.success(
                request, f"Policy of {record.office_code} saved as version {record.version}."
            )
            return redirect("policy_list")
    return render(
        request,
        "risk/policy_list.html",
        {"policies": selectivity.policies_in_force(), "form": form},
    )


@require_safe
@role_required(SCORE_ROLES)
def inspection_queue(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """Declarations the selectivity sent to a check and that still wait for a result, oldest
    first, filtered as the officer asks; handed to officers; exported as CSV or Excel."""
    form = QueueFilter(request.GET, request.user)
    waiting = queue.waiting(form.chosen(), request.user)
    kind = request.GET.get("export", "")
    if kind in FORMATS:
        return table_file(kind, queue.QUEUE_HEADER, queue.queue_rows(waiting), "inspection-queue")
    page = Paginator(waiting, 100).get_page(request.GET.get("page"))
    pages = dict(
        Declaration.objects.filter(number__in=[d.number for d in page]).values_list("number", "pk")
    )
    context = {
        "form": form,
        "page": page,
        "pages": pages,
        "officers": queue.officers(request.user),
        "assigns": request.user.role in queue.ASSIGNERS,
        "offices": offices(),
    }
    return render(request, "risk/queue.html", context)


@require_POST
@role_required(queue.ASSIGNERS)
def assign_inspections(request: AuthenticatedRequest) -> HttpResponse:
    """Hand the ticked declarations to an officer (or back to nobody)."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("inspection_queue")
    chosen = (optional_id(v) for v in request.POST.getlist("decision"))
    wanted = [pk for pk in chosen if pk is not None]  # not an id: left out, and so refused
    name = request.POST.get("to", "")
    to = None
    if name:
        to = queue.officers(request.user).filter(username=name).first()
        if to is None:
            messages.error(request, f"{name} is not an inspection officer of your organisation.")
            return redirect(back)
    with shown(request):
        changed = queue.assign(wanted, to, request.user)
        who = (to.get_full_name() or to.username) if to else "nobody"
        messages.success(request, f"{changed} declaration(s) handed to {who}.")
    return redirect(back)
