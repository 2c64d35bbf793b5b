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
from django.utils.formats import date_format, number_format
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import queue, selectivity
from greenlane.apps.targeting.models import CHANNEL_NAMES, RuleProfile, SelectivityPolicy
from greenlane.apps.targeting.permissions import MODEL_ROLES, SCORE_ROLES
from greenlane.web.exports import FORMATS, table_file
from greenlane.web.filters import QueueFilter, offices
from greenlane.web.params import optional_id
from greenlane.web.refusals import onto_form, shown

DEACTIVATE_MEANS = gettext_lazy(
    "from the next decision on, declarations this rule would have matched go by their scores "
    "alone; the rule stays here and can be activated again."
)
RULE_EXAMPLE = (
    'hs6 startswith "9301" or (origin_country in ["XX", "YY"] and '
    "customs_value / net_mass_kg < 0.5)"
)


def _expression_help() -> SafeString:
    # The translation is trusted (as a template's is); the example is escaped.
    return mark_safe(
        _("e.g. %(example)s") % {"example": format_html("<code>{}</code>", RULE_EXAMPLE)}
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
        labels = {
            "name": gettext_lazy("Name"),
            "expression": gettext_lazy("Expression"),
            "action": pgettext_lazy("what a selectivity rule does", "Action"),
            "channel": pgettext_lazy("selectivity channel: red, yellow or green", "Channel"),
            "shift": gettext_lazy("Shift"),
            "reason": gettext_lazy("Reason"),
            "valid_from": gettext_lazy("Valid from"),
            "valid_to": gettext_lazy("Valid to"),
        }
        help_texts = {"expression": lazy(_expression_help, SafeString)()}


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SelectivityPolicy
        fields = ["office_code", *selectivity.POLICY_FIELDS]
        labels = {
            "office_code": gettext_lazy("Office"),
            "capacity": gettext_lazy("Physical examinations a day (red)"),
            "documentary_capacity": gettext_lazy("Documentary checks a day (yellow)"),
            "expected_daily": gettext_lazy("Declarations expected a day"),
            "min_random_rate": gettext_lazy("Random compliance sample (share of declarations)"),
            "exploration_share": gettext_lazy("Exploration (share of the capacity left)"),
            "aeo_reduction": gettext_lazy("AEO benefit (share taken off the score)"),
            "partner_reduction": gettext_lazy(
                "MRA partner AEO benefit (share taken off the score)"
            ),
            "red_threshold": gettext_lazy("Lowest score for red"),
            "yellow_threshold": gettext_lazy("Lowest score for yellow"),
            "blue_revenue": gettext_lazy("Revenue at stake for post-clearance audit (blue)"),
        }


def _day(day: Any) -> str:
    return date_format(day, "SHORT_DATE_FORMAT") if day else ""


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
                request,
                _("Rule %(name)s saved as a draft: dry-run it, then activate.")
                % {"name": saved.name},
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
            messages.success(request, _("Rule changed: back to draft until dry-run and activated."))
            return redirect("rule_detail", pk=saved.pk)
    stats = selectivity.rule_statistics([rule])[rule.name]
    context = {
        "rule": rule,
        "form": form,
        "stats": stats,
        "deactivate_means": DEACTIVATE_MEANS,
        "channel_names": CHANNEL_NAMES,
    }
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
                ngettext(
                    "The rule selects %(hits)s of %(rows)s declaration from %(from)s to %(to)s.",
                    "The rule selects %(hits)s of %(rows)s declarations from %(from)s to %(to)s.",
                    rule.dry_run_rows or 0,
                )
                % {
                    "hits": number_format(rule.dry_run_hits or 0, force_grouping=True),
                    "rows": number_format(rule.dry_run_rows or 0, force_grouping=True),
                    "from": _day(rule.dry_run_from),
                    "to": _day(rule.dry_run_to),
                },
            )
        elif action == "activate":
            selectivity.set_active(rule, request.user, True)
            messages.success(request, _("Rule activated."))
        elif action == "deactivate" and request.POST.get("confirm") != "yes":
            messages.error(
                request,
                _("Not done: tick the box to confirm — %(means)s") % {"means": DEACTIVATE_MEANS},
            )
        elif action == "deactivate":
            selectivity.set_active(rule, request.user, False, request.POST.get("reason", ""))
            messages.success(request, _("Rule deactivated."))
        else:
            messages.error(request, _("Unknown action %(action)r.") % {"action": action})
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
                request,
                _("Policy of %(office)s saved as version %(version)s.")
                % {"office": record.office_code, "version": record.version},
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
            messages.error(
                request,
                _("%(name)s is not an inspection officer of your organisation.") % {"name": name},
            )
            return redirect(back)
    with shown(request):
        changed = queue.assign(wanted, to, request.user)
        who = (to.get_full_name() or to.username) if to else ""
        if to is None:
            done = ngettext(
                "%(n)s declaration(s) handed to nobody.",
                "%(n)s declaration(s) handed to nobody.",
                changed,
            )
        else:
            done = ngettext(
                "%(n)s declaration(s) handed to %(who)s.",
                "%(n)s declaration(s) handed to %(who)s.",
                changed,
            )
        messages.success(request, done % {"n": changed, "who": who})
    return redirect(back)
