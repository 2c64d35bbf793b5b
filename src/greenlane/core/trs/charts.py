"""Vega-Lite specifications of a study's charts, built from its result document.

Every word a chart shows (title, axis titles, legend and group names, tooltip labels) is
:class:`~greenlane.core.words.Words`; ``all_charts(document, say)`` writes them with ``say``
(English by default; the pages give ``greenlane.apps.wording.translated``), so a
specification is plain JSON in the reader's language. Each chart also carries its data as a
table (``usermeta.table``: column titles and rows) and a ``description`` (the SVG's accessible
name): the text alternative a page shows beside the drawing (WCAG 1.1.1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from greenlane.core.trs.metrics import GROUP_WORDS, group_label
from greenlane.core.words import Figure, Words, _, english

#: Writes words (and figures) as text in the reader's language.
Say = Callable[[Any], str]
WEEKDAYS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
ALL = _("All consignments")
FIGURES = (("mean", _("Mean")), ("median", _("Median")), ("p90", _("90th percentile")))
HOURS = _("hours")
CONSIGNMENTS = _("consignments")
#: Rows of the release curve's table: one every this many hours (the drawing has them all).
CURVE_TABLE_HOURS = 6
NONE = "—"
BASE: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "width": "container",
    "autosize": {"type": "fit-x", "contains": "padding"},
    "config": {"font": "sans-serif", "axis": {"labelFontSize": 11, "titleFontSize": 12}},
}
#: The breakdowns drawn, with their charts' titles.
BREAKDOWN_TITLES: dict[str, Words] = {
    "office_code": _("Arrival to release by office (mean, hours)"),
    "transport_mode": _("Arrival to release by mode of transport (mean, hours)"),
    "channel": _("Arrival to release by control channel (mean, hours)"),
}


def stored(value: Any) -> Any:
    """Words as the result document stores them (``as_json``) back as ``Words``; a plain text
    (a document written before words were stored as data) as it is."""
    if isinstance(value, Mapping) and "message" in value:
        return Words.from_json(value)
    return value


def _figure(value: float | None, places: int = 1, percent: bool = False) -> Figure | str:
    return NONE if value is None else Figure(float(value), places, percent)


def _table(columns: list[Words], rows: list[list[Any]]) -> dict[str, Any]:
    return {"table": {"columns": columns, "rows": rows}}


def release_curve(document: dict[str, Any]) -> dict[str, Any]:
    m = document["metrics"]
    curves: list[tuple[Words, list[dict[str, Any]]]] = [(ALL, m["curve"])]
    aeo = GROUP_WORDS["aeo"]
    for key, curve in m.get("curve_by_aeo", {}).items():
        curves.append((aeo.get(key, Words(key)), curve))
    values = [
        {"hours": p["hours"], "share": p["share"], "group": group}
        for group, curve in curves
        for p in curve
    ]
    title = _("Share of consignments released within ... hours of arrival")
    since = _("hours since arrival")
    by_hours: dict[float, list[Any]] = {}
    for column, (_group, curve) in enumerate(curves):
        for p in curve:
            row = by_hours.setdefault(p["hours"], [p["hours"], *[NONE] * len(curves)])
            row[column + 1] = _figure(p["share"], 1, percent=True)
    hours = sorted(by_hours)
    shown = [h for h in hours if h % CURVE_TABLE_HOURS == 0 or h == hours[-1]]
    rows = [[_figure(h, 0), *by_hours[h][1:]] for h in shown]
    share = _("share released")
    return {
        **BASE,
        "title": title,
        "description": title,
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "line", "interpolate": "step-after"},
        "encoding": {
            "x": {"field": "hours", "type": "quantitative", "title": since},
            "y": {"field": "share", "type": "quantitative", "axis": {"format": "%"}, "title": None},
            "color": {"field": "group", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "group", "title": _("Group")},
                {"field": "hours", "title": since},
                {"field": "share", "format": ".1%", "title": share},
            ],
        },
        "usermeta": _table([since, *[group for group, _curve in curves]], rows),
    }


def intervals(document: dict[str, Any]) -> dict[str, Any]:
    rows = document["metrics"]["intervals"]
    values = [
        {"interval": stored(i["title"]), "figure": figure, "hours": i[key]}
        for i in rows
        for key, figure in FIGURES
        if i[key] is not None
    ]
    title = _("Time per stage (hours)")
    interval = _("Interval")
    return {
        **BASE,
        "title": title,
        "description": title,
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "interval", "type": "nominal", "sort": None, "title": None},
            "yOffset": {"field": "figure"},
            "x": {"field": "hours", "type": "quantitative", "title": HOURS},
            "color": {"field": "figure", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "interval", "title": interval},
                {"field": "figure", "title": _("Figure")},
                {"field": "hours", "format": ".1f", "title": HOURS},
            ],
        },
        "usermeta": _table(
            [interval, *[figure for _key, figure in FIGURES]],
            [[stored(i["title"]), *[_figure(i[key], 2) for key, _f in FIGURES]] for i in rows],
        ),
    }


def breakdown(document: dict[str, Any], name: str, title: Words) -> dict[str, Any]:
    rows = document["metrics"]["breakdowns"].get(name, [])
    values = [
        {
            "group": group_label(name, r["group"]),
            "mean": r["mean"],
            "median": r["median"],
            "n": r["n"],
        }
        for r in rows
    ]
    group, mean, median = _("Group"), _("mean hours"), _("median hours")
    return {
        **BASE,
        "title": title,
        "description": title,
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "group", "type": "nominal", "title": None, "sort": "-x"},
            "x": {"field": "mean", "type": "quantitative", "title": mean},
            "tooltip": [
                {"field": "group", "title": group},
                {"field": "n", "title": CONSIGNMENTS},
                {"field": "mean", "format": ".1f", "title": mean},
                {"field": "median", "format": ".1f", "title": median},
            ],
        },
        "usermeta": _table(
            [group, CONSIGNMENTS, mean, median],
            [[v["group"], v["n"], _figure(v["mean"]), _figure(v["median"])] for v in values],
        ),
    }


def pattern(document: dict[str, Any]) -> dict[str, Any]:
    cells = document["metrics"]["pattern"]
    values = [
        {"hour": p["hour"], "weekday": WEEKDAYS[p["weekday"]], "n": p["n"], "mean": p["mean"]}
        for p in cells
    ]
    title = _("Arrivals by hour and weekday (colour: mean hours to release)")
    weekday, hour, mean = _("weekday"), _("hour of arrival"), _("mean hours to release")
    return {
        **BASE,
        "title": title,
        "description": title,
        "data": {"values": values},
        "mark": "rect",
        "encoding": {
            "x": {"field": "hour", "type": "ordinal", "title": hour},
            "y": {"field": "weekday", "type": "ordinal", "sort": list(WEEKDAYS), "title": None},
            "color": {"field": "mean", "type": "quantitative", "title": HOURS},
            "tooltip": [
                {"field": "weekday", "title": weekday},
                {"field": "hour", "title": hour},
                {"field": "n", "title": CONSIGNMENTS},
                {"field": "mean", "format": ".1f", "title": mean},
            ],
        },
        "usermeta": _table(
            [weekday, hour, CONSIGNMENTS, mean],
            [[v["weekday"], v["hour"], v["n"], _figure(v["mean"])] for v in values],
        ),
    }


def aeo_effect(document: dict[str, Any]) -> dict[str, Any] | None:
    e = document.get("effect")
    if not e or e["matched_hours"] is None:
        return None
    raw, matched = _("raw difference of means"), _("like-for-like (matched strata)")
    values = [
        {"estimate": raw, "hours": e["raw_hours"]},
        {
            "estimate": matched,
            "hours": e["matched_hours"],
            "low": e["ci_low"],
            "high": e["ci_high"],
        },
    ]
    title = _("Hours saved by AEO status (95% bootstrap interval)")
    estimate, saved = _("Estimate"), _("hours saved")
    return {
        **BASE,
        "title": title,
        "description": title,
        "height": 90,
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule"},
                "encoding": {
                    "y": {"field": "estimate", "type": "nominal", "title": None},
                    "x": {"field": "low", "type": "quantitative", "title": saved},
                    "x2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 80},
                "encoding": {
                    "y": {"field": "estimate", "type": "nominal"},
                    "x": {"field": "hours", "type": "quantitative"},
                    "tooltip": [
                        {"field": "estimate", "title": estimate},
                        {"field": "hours", "format": ".2f", "title": saved},
                    ],
                },
            },
        ],
        "usermeta": _table(
            [
                estimate,
                saved,
                # xgettext:no-python-format
                _("95% interval from"),
                # xgettext:no-python-format
                _("95% interval to"),
            ],
            [
                [raw, _figure(e["raw_hours"], 2), NONE, NONE],
                [
                    matched,
                    _figure(e["matched_hours"], 2),
                    _figure(e["ci_low"], 2),
                    _figure(e["ci_high"], 2),
                ],
            ],
        ),
    }


def specifications(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(id, spec) of every chart of the report, in reading order, their words as ``Words``."""
    out: list[tuple[str, dict[str, Any]]] = [
        ("release-curve", release_curve(document)),
        ("intervals", intervals(document)),
    ]
    effect_chart = aeo_effect(document)
    if effect_chart is not None:
        out.append(("aeo-effect", effect_chart))
    for name, title in BREAKDOWN_TITLES.items():
        if document["metrics"]["breakdowns"].get(name):
            out.append((f"by-{name}", breakdown(document, name, title)))
    if document["metrics"]["pattern"]:
        out.append(("pattern", pattern(document)))
    return out


def all_charts(document: dict[str, Any], say: Say = english) -> list[tuple[str, dict[str, Any]]]:
    """(id, spec) of every chart of the report, in reading order, its words written with
    ``say`` (English unless told)."""
    return [(cid, written(spec, say)) for cid, spec in specifications(document)]


def written(value: Any, say: Say = english) -> Any:
    """``value`` with every ``Words`` and ``Figure`` in it written as text with ``say``."""
    if isinstance(value, Words | Figure):
        return say(value)
    if isinstance(value, Mapping):
        return {k: written(v, say) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [written(v, say) for v in value]
    return value
