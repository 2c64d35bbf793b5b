"""Risk analysts' pages for the selectivity simulation (a past period replayed week by week
under a policy) and the what-if (frauds and revenue captured at an inspection rate)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.tallies import queries as tallies
from greenlane.apps.targeting import selectivity, simulations
from greenlane.apps.targeting.models import ModelVersion, SimulationRun
from greenlane.apps.targeting.permissions import MODEL_ROLES
from greenlane.apps.wording import translated
from greenlane.core.risk import whatif
from greenlane.core.risk.simulation import Scenario
from greenlane.web.refusals import onto_form
from greenlane.web.risk import scoring_runs

DEFAULT_WEEKS = 26
DEFAULT_DAYS = 90
DEFAULT_PERCENT = 5.0
RUNS = (
    ("scenario", pgettext_lazy("run of a simulation", "scenario")),
    ("no_exploration", pgettext_lazy("run of a simulation", "no exploration")),
)
BASE: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "width": "container",
    "height": 240,
    "autosize": {"type": "fit-x", "contains": "padding"},
    "config": {"font": "sans-serif", "axis": {"labelFontSize": 11, "titleFontSize": 12}},
}


def _offices() -> list[tuple[str, str]]:
    return [("", _("every office")), *((c, c) for c in tallies.offices())]


class SimulationForm(forms.ModelForm):
    office_code = forms.ChoiceField(required=False, label=gettext_lazy("Office"))

    class Meta:
        model = SimulationRun
        fields = list(simulations.FIELDS)
        widgets = {
            "period_from": forms.DateInput(attrs={"type": "date"}),
            "period_to": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "period_from": pgettext_lazy("start of a period", "From"),
            "period_to": pgettext_lazy("end of a period", "To"),
            "inspection_rate": gettext_lazy("Inspection rate"),
            "min_random_rate": gettext_lazy("Random compliance sample"),
            "exploration_share": gettext_lazy("Exploration share"),
            "aeo_reduction": gettext_lazy("AEO benefit (share taken off the score)"),
            "seed": gettext_lazy("Random seed"),
        }
        help_texts = {
            "inspection_rate": gettext_lazy(
                "share of each week's declarations examined (0.05 = 5%)"
            ),
            "min_random_rate": gettext_lazy("share drawn at random, part of the inspections"),
            "exploration_share": gettext_lazy("share of the capacity left after the random sample"),
            "aeo_reduction": gettext_lazy("share taken off the score of a certificate holder"),
            "seed": gettext_lazy("the same seed gives the same run"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office_code"].choices = _offices()


def _newest_result() -> date | None:
    newest: date | None = (
        simulations.inspected(date.min, date.max)
        .order_by("-declaration_date")
        .values_list("declaration_date", flat=True)
        .first()
    )
    return newest


def _simulation_defaults(office: str) -> dict[str, Any]:
    """The last 26 weeks with results; the office's policy in force, when one is named."""
    end = _newest_result() or date.today()
    scenario = Scenario()
    initial: dict[str, Any] = {
        "period_from": end - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1),
        "period_to": end,
        "office_code": "",
        "inspection_rate": scenario.inspection_rate,
        "min_random_rate": scenario.min_random_rate,
        "exploration_share": scenario.exploration_share,
        "aeo_reduction": scenario.aeo_reduction,
        "seed": 0,
    }
    policy = {p.office_code: p for p in selectivity.policies_in_force()}.get(office)
    if policy is not None:
        initial["office_code"] = office
        for name in ("min_random_rate", "exploration_share", "aeo_reduction"):
            initial[name] = getattr(policy, name)
    return initial


@role_required(MODEL_ROLES)
def simulation_list(request: AuthenticatedRequest) -> HttpResponse:
    form = SimulationForm(
        request.POST or None, initial=_simulation_defaults(request.GET.get("office", ""))
    )
    if request.method == "POST" and form.is_valid():
        with onto_form(form):
            run = simulations.request(request.user, form.cleaned_data)
            messages.success(request, _("Simulation queued: this page follows its progress."))
            return redirect("simulation_detail", pk=run.pk)
    return render(
        request,
        "risk/simulation_list.html",
        {
            "runs": SimulationRun.objects.select_related("requested_by")[:50],
            "form": form,
            "policies": selectivity.policies_in_force(),
        },
    )


@require_safe
@role_required(MODEL_ROLES)
def simulation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(SimulationRun, pk=pk)
    context: dict[str, Any] = {"run": run}
    if run.status == SimulationRun.Status.DONE and run.result:
        result = run.result
        # Kept in English with the run; read in the reader's language when it is the usual text.
        context["limitation"] = _(result["limitation"]) if result.get("limitation") else ""
        context["summaries"] = [(label, result[key]["summary"]) for key, label in RUNS]
        context["weeks"] = list(
            zip(result["scenario"]["weeks"], result["no_exploration"]["weeks"], strict=True)
        )
        context["charts"] = [
            {"id": name, "spec_id": f"spec-{name}", "spec": spec}
            for name, spec in simulation_charts(result)
        ]
    return render(request, "risk/simulation_detail.html", context)


@require_safe
@role_required(MODEL_ROLES)
def simulation_progress(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(SimulationRun, pk=pk)
    return JsonResponse(
        {"status": run.status, "progress": run.progress, "text": translated(run.message)}
    )


def _tips() -> dict[str, str]:
    """The charts' tooltip keys in the reader's language (English: the data's field names)."""
    return {
        "run": pgettext("chart tooltip: which run of a simulation", "run"),
        "of": pgettext("chart tooltip: frauds or revenue", "of"),
        "week": pgettext("chart tooltip", "week"),
        "share": pgettext("chart tooltip", "share"),
        "group": pgettext("chart tooltip: AEO or other declarations", "group"),
        "rate": pgettext("chart tooltip", "rate"),
        "hit_rate": pgettext("chart tooltip", "hit_rate"),
    }


def _tip(field: str, tips: dict[str, str], **more: Any) -> dict[str, Any]:
    return {"field": field, "title": tips.get(field, field), **more}


def simulation_charts(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Hit rate per week, cumulative shares captured (both runs) and the inspection rates of
    AEO and other declarations (the scenario)."""
    hits, captured, rates = [], [], []
    kinds = (("frauds", _("frauds")), ("revenue", _("revenue")))
    for key, label in RUNS:
        name = str(label)
        weeks = result[key]["weeks"]
        total = {"frauds": sum(w["frauds"] for w in weeks),
                 "revenue": sum(w["revenue"] for w in weeks)}  # fmt: skip
        found = money = 0.0
        for w in weeks:
            found, money = found + w["frauds_found"], money + w["revenue_found"]
            if w["hit_rate"] is not None:
                hits.append({"week": w["start"], "run": name, "hit_rate": w["hit_rate"]})
            for (kind, of), part in zip(kinds, (found, money), strict=True):
                if total[kind]:
                    captured.append(
                        {"week": w["start"], "run": name, "of": of, "share": part / total[kind]}
                    )
    groups = ((_("AEO"), "aeo_rate"), (pgettext("declarations of others than AEOs", "other"),
                                       "other_rate"))  # fmt: skip
    for w in result["scenario"]["weeks"]:
        for group, field in groups:
            if w[field] is not None:
                rates.append({"week": w["start"], "group": group, "rate": w[field]})
    tips = _tips()
    week = {"field": "week", "type": "temporal", "title": _("week from")}
    share = {"type": "quantitative", "axis": {"format": "%"}}
    return [
        (
            "hit-rate",
            _lines(_("Hit rate per week (frauds found / examinations)"), hits, week,
                   {**share, "field": "hit_rate", "title": _("hit rate")}, "run", tips),
        ),
        (
            "captured",
            {
                **_lines(_("Cumulative share of frauds and of revenue captured"), captured,
                         week, {**share, "field": "share", "title": None}, "run", tips),
                "encoding": {
                    "x": week,
                    "y": {**share, "field": "share", "title": None},
                    "color": {"field": "run", "type": "nominal", "title": None},
                    "strokeDash": {"field": "of", "type": "nominal", "title": None},
                    "tooltip": [_tip("run", tips), _tip("of", tips), _tip("week", tips),
                                _tip("share", tips, format=".1%")],
                },
            },
        ),
        (
            "aeo-rates",
            _lines(_("Inspection rate per week: AEO and other declarations (scenario)"), rates,
                   week, {**share, "field": "rate", "title": _("inspected")}, "group", tips),
        ),
    ]  # fmt: skip


def _lines(
    title: str,
    values: list[dict[str, Any]],
    x: dict[str, Any],
    y: dict[str, Any],
    by: str,
    tips: dict[str, str],
) -> dict[str, Any]:
    return {
        **BASE,
        "title": title,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": x,
            "y": y,
            "color": {"field": by, "type": "nominal", "title": None},
            "tooltip": [
                _tip(by, tips),
                _tip("week", tips),
                _tip(y["field"], tips, format=".1%"),
            ],
        },
    }


class WhatIfForm(forms.Form):
    # The page labels the inputs itself; these labels name a field in a message about it.
    period_from = forms.DateField(
        required=False,
        label=gettext_lazy("period from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period_to = forms.DateField(
        required=False,
        label=gettext_lazy("period to"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    office = forms.ChoiceField(required=False, label=pgettext_lazy("customs office", "office"))
    percent = forms.FloatField(
        required=False,
        min_value=whatif.STEP,
        max_value=whatif.RATES[-1],
        label=pgettext_lazy("inspection rate in per cent", "percent"),
    )
    slider = forms.FloatField(
        required=False,
        min_value=whatif.STEP,
        max_value=whatif.RATES[-1],
        label=pgettext_lazy("inspection rate on a slider", "slider"),
    )
    shown = forms.FloatField(
        required=False, label=pgettext_lazy("inspection rate the page showed", "shown")
    )
    random_only = forms.BooleanField(
        required=False, label=gettext_lazy("Random compliance samples only")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = _offices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and end < start:
            self.add_error("period_to", _("the period ends before it starts"))
        return data


def _whatif_values(request: HttpRequest, active: ModelVersion | None) -> dict[str, Any]:
    """The analyst's choices; anything unreadable falls back to its default, with a message."""
    form = WhatIfForm(request.GET)
    form.is_valid()
    if form.errors:
        problems = "; ".join(
            # Translators: a form field's name, then what is wrong with its value.
            _("%(field)s: %(errors)s")
            % {
                "field": form.fields[k].label if k in form.fields else k.replace("_", " "),
                "errors": " ".join(v),
            }
            for k, v in form.errors.items()
        )
        messages.warning(
            request,
            _("Some values could not be used (%(problems)s): defaults shown.")
            % {"problems": problems},
        )
    data = form.cleaned_data
    newest = (simulations.newest_scored(active) if active else None) or date.today()
    end = data.get("period_to") or newest
    start = data.get("period_from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        end, start = newest, newest - timedelta(days=DEFAULT_DAYS - 1)
    typed, moved, shown = data.get("percent"), data.get("slider"), data.get("shown")
    # Without script, the slider and the number both arrive: the one changed since the page
    # was shown wins.
    percent = moved if moved is not None and (typed is None or typed == shown) else typed
    return {
        "period_from": start,
        "period_to": end,
        "office": data.get("office") or "",
        "percent": percent or DEFAULT_PERCENT,
        "random_only": bool(data.get("random_only")),
    }


@require_safe
@role_required(MODEL_ROLES)
def what_if(request: AuthenticatedRequest) -> HttpResponse:
    active = ModelVersion.objects.filter(is_active=True).first()
    values = _whatif_values(request, active)
    form = WhatIfForm(initial={**values, "slider": values["percent"], "shown": values["percent"]})
    context: dict[str, Any] = {
        "form": form, "active": active, "values": values, "scoring_runs": scoring_runs(),
    }  # fmt: skip
    if active is not None:
        ranking = simulations.ranking(
            active, values["period_from"], values["period_to"], values["office"],
            values["random_only"],
        )  # fmt: skip
        context["ranking"] = ranking
        if ranking.n:
            point = ranking.at(values["percent"])
            curve = ranking.curve()
            policy = {p.office_code: p for p in selectivity.policies_in_force()}.get(
                values["office"]
            )
            context.update(
                point=point,
                policy=policy,
                daily=math.ceil(values["percent"] * policy.expected_daily / 100)
                if policy
                else None,
                curve=[
                    {"percent": p.percent, "inspected": p.inspected, "frauds_found": p.frauds_found,
                     "frauds_share": p.frauds_share, "revenue_share": p.revenue_share,
                     "hit_rate": p.hit_rate}
                    for p in curve
                ],
                spec=whatif_chart(curve, values["percent"]),
                # The chart's text alternative: the curve at a few rates, as a table.
                curve_table=[p for p in curve if p.percent in TABLE_RATES],
            )  # fmt: skip
    return render(request, "risk/what_if.html", context)


#: The inspection rates (in %) at which the what-if curve is also given as a table.
TABLE_RATES = (1, 2, 5, 10, 20, 30, 50, 75, 100)


def whatif_chart(curve: list[whatif.Point], percent: float) -> dict[str, Any]:
    frauds, revenue = _("frauds"), _("revenue")
    values = [
        {"rate": p.percent / 100, "of": of, "share": share}
        for p in curve
        for of, share in ((frauds, p.frauds_share), (revenue, p.revenue_share))
    ]
    tips = _tips()
    x = {"field": "rate", "type": "quantitative", "axis": {"format": "%"},
         "title": _("inspection rate")}  # fmt: skip
    return {
        **BASE,
        "title": _("Share captured at each inspection rate"),
        "height": 280,
        "layer": [
            {
                "data": {"values": values},
                "mark": "line",
                "encoding": {
                    "x": x,
                    "y": {"field": "share", "type": "quantitative", "axis": {"format": "%"},
                          "title": None, "scale": {"domain": [0, 1]}},
                    "color": {"field": "of", "type": "nominal", "title": _("captured")},
                    "tooltip": [_tip("of", tips), _tip("rate", tips, format=".1%"),
                                _tip("share", tips, format=".1%")],
                },
            },
            {
                "data": {"values": [{"rate": percent / 100}]},
                "mark": {"type": "rule", "strokeDash": [4, 3]},
                "encoding": {"x": x},
            },
        ],
    }  # fmt: skip
