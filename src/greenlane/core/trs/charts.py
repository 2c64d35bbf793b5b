"""Vega-Lite specifications of a study's charts, built from its result document."""

from __future__ import annotations

from typing import Any

from greenlane.core.trs.metrics import group_label

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BASE: dict[str, Any] = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "width": "container",
    "autosize": {"type": "fit-x", "contains": "padding"},
    "config": {"font": "sans-serif", "axis": {"labelFontSize": 11, "titleFontSize": 12}},
}


def release_curve(document: dict[str, Any]) -> dict[str, Any]:
    m = document["metrics"]
    values = [{"hours": p["hours"], "share": p["share"], "group": "All"} for p in m["curve"]]
    names = {"true": "AEO", "false": "Not AEO"}
    for key, curve in m.get("curve_by_aeo", {}).items():
        values += [{"hours": p["hours"], "share": p["share"], "group": names[key]} for p in curve]
    return {
        **BASE,
        "title": "Share of consignments released within ... hours of arrival",
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "line", "interpolate": "step-after"},
        "encoding": {
            "x": {"field": "hours", "type": "quantitative", "title": "hours since arrival"},
            "y": {"field": "share", "type": "quantitative", "axis": {"format": "%"}, "title": None},
            "color": {"field": "group", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "group"},
                {"field": "hours"},
                {"field": "share", "format": ".1%"},
            ],
        },
    }


def intervals(document: dict[str, Any]) -> dict[str, Any]:
    values = [
        {"interval": i["title"], "figure": figure, "hours": i[key]}
        for i in document["metrics"]["intervals"]
        for figure, key in (("mean", "mean"), ("median", "median"), ("90th percentile", "p90"))
        if i[key] is not None
    ]
    return {
        **BASE,
        "title": "Time per stage (hours)",
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "interval", "type": "nominal", "sort": None, "title": None},
            "yOffset": {"field": "figure"},
            "x": {"field": "hours", "type": "quantitative", "title": "hours"},
            "color": {"field": "figure", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "interval"},
                {"field": "figure"},
                {"field": "hours", "format": ".1f"},
            ],
        },
    }


def breakdown(document: dict[str, Any], name: str, title: str) -> dict[str, Any]:
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
    return {
        **BASE,
        "title": f"Arrival to release by {title} (mean, hours)",
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "group", "type": "nominal", "title": None, "sort": "-x"},
            "x": {"field": "mean", "type": "quantitative", "title": "mean hours"},
            "tooltip": [
                {"field": "group"},
                {"field": "n", "title": "consignments"},
                {"field": "mean", "format": ".1f"},
                {"field": "median", "format": ".1f"},
            ],
        },
    }


def pattern(document: dict[str, Any]) -> dict[str, Any]:
    values = [
        {"hour": p["hour"], "weekday": WEEKDAYS[p["weekday"]], "n": p["n"], "mean": p["mean"]}
        for p in document["metrics"]["pattern"]
    ]
    return {
        **BASE,
        "title": "Arrivals by hour and weekday (colour: mean hours to release)",
        "data": {"values": values},
        "mark": "rect",
        "encoding": {
            "x": {"field": "hour", "type": "ordinal", "title": "hour of arrival"},
            "y": {"field": "weekday", "type": "ordinal", "sort": list(WEEKDAYS), "title": None},
            "color": {"field": "mean", "type": "quantitative", "title": "hours"},
            "tooltip": [
                {"field": "weekday"},
                {"field": "hour"},
                {"field": "n", "title": "consignments"},
                {"field": "mean", "format": ".1f"},
            ],
        },
    }


def aeo_effect(document: dict[str, Any]) -> dict[str, Any] | None:
    e = document.get("effect")
    if not e or e["matched_hours"] is None:
        return None
    values = [
        {"estimate": "raw difference of means", "hours": e["raw_hours"]},
        {
            "estimate": "like-for-like (matched strata)",
            "hours": e["matched_hours"],
            "low": e["ci_low"],
            "high": e["ci_high"],
        },
    ]
    return {
        **BASE,
        "title": "Hours saved by AEO status (95% bootstrap interval)",
        "height": 90,
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule"},
                "encoding": {
                    "y": {"field": "estimate", "type": "nominal", "title": None},
                    "x": {"field": "low", "type": "quantitative", "title": "hours saved"},
                    "x2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 80},
                "encoding": {
                    "y": {"field": "estimate", "type": "nominal"},
                    "x": {"field": "hours", "type": "quantitative"},
                    "tooltip": [{"field": "estimate"}, {"field": "hours", "format": ".2f"}],
                },
            },
        ],
    }


def all_charts(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(id, spec) of every chart of the report, in reading order."""
    out: list[tuple[str, dict[str, Any]]] = [
        ("release-curve", release_curve(document)),
        ("intervals", intervals(document)),
    ]
    effect_chart = aeo_effect(document)
    if effect_chart is not None:
        out.append(("aeo-effect", effect_chart))
    for name, title in (
        ("office_code", "office"),
        ("transport_mode", "mode"),
        ("channel", "channel"),
    ):
        if document["metrics"]["breakdowns"].get(name):
            out.append((f"by-{name}", breakdown(document, name, title)))
    if document["metrics"]["pattern"]:
        out.append(("pattern", pattern(document)))
    return out
