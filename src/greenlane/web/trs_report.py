"""A study's report as a page, a standalone HTML file, a PDF and a TFA 7.6 summary.

One context for all of them; charts are Vega-Lite specifications drawn in the browser by the
vendored vega-embed, and drawn to SVG by vl-convert for the PDF (which runs no script).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.apps.wording import translated
from greenlane.core.trs import charts, metrics
from greenlane.core.trs.events import STAGES

VENDOR = ("vega.min.js", "vega-lite.min.js", "vega-interpreter.min.js", "vega-embed.min.js")
# The TFA 7.6 summary is one self-contained page to publish as is, so its style is inline; the
# page's Content-Security-Policy allows exactly this text by its hash (web/trs.py).
SUMMARY_STYLE = (
    "body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; "
    "padding: 0 1rem; color: #1b2a24; line-height: 1.5; } table { border-collapse: collapse; } "
    "th, td { text-align: left; padding: .25rem .75rem .25rem 0; "
    "border-bottom: 1px solid #d5ddd8; } .num { text-align: right; }"
)
SUMMARY_STYLE_SOURCE = (
    f"'sha256-{base64.b64encode(hashlib.sha256(SUMMARY_STYLE.encode()).digest()).decode()}'"
)
BREAKDOWN_TITLES = {
    "office_code": pgettext_lazy("customs office", "Office"),
    "transport_mode": _("Mode of transport"),
    "channel": _("Control channel"),
    "aeo": _("AEO status"),
    "mra_partner": _("MRA partner programme"),
    "pre_arrival": _("Pre-arrival filing"),
    "other_agency": _("Other agency involved"),
    "hs_section": _("HS section"),
}


def context(document: dict[str, Any], **extra: Any) -> dict[str, Any]:
    m = document["metrics"]
    total = next((i for i in m["intervals"] if i["name"] == "total"), None)
    aeo_rows = {r["group"]: r for r in m["breakdowns"].get("aeo", [])}
    return {
        "doc": document,
        "m": m,
        "total": total,
        "aeo": aeo_rows.get("true"),
        "non_aeo": aeo_rows.get("false"),
        "effect": document.get("effect"),
        "charts": [
            {"id": cid, "spec_id": f"spec-{cid}", "spec": spec}
            for cid, spec in charts.all_charts(document, say=translated)
        ],
        "breakdowns": [
            {
                "name": name,
                "title": BREAKDOWN_TITLES.get(name, name),
                "rows": [
                    r
                    | {
                        "label": metrics.group_label(name, r["group"]),
                        "within": [r.get(f"within_{i}") for i in range(len(m["targets"]))],
                    }
                    for r in rows
                ],
            }
            for name, rows in m["breakdowns"].items()
        ],
        "stages": STAGES,
        "rejected_total": sum(f["rows_rejected"] for f in document["input"]["files"]),
        **extra,
    }


def render_page_body(document: dict[str, Any], **extra: Any) -> str:
    return render_to_string("trs/_report_body.html", context(document, **extra))


def render_standalone(document: dict[str, Any]) -> str:
    """One HTML file that draws its charts without a server or a network."""
    scripts = []
    for name in VENDOR:
        found = finders.find(f"greenlane/vendor/{name}")
        with open(str(found), encoding="utf-8") as handle:
            scripts.append(handle.read().replace("</script", "<\\/script"))
    with open(str(finders.find("greenlane/trs-charts.js")), encoding="utf-8") as handle:
        scripts.append(handle.read())
    # trs-charts.js keeps vega-embed from injecting its styles (for the pages' policy).
    with open(str(finders.find("greenlane/vendor/vega-embed.css")), encoding="utf-8") as handle:
        style = handle.read()
    return render_to_string(
        "trs/report_standalone.html", context(document, inline_scripts=scripts, inline_style=style)
    )


def render_pdf(document: dict[str, Any]) -> bytes:
    import vl_convert
    import weasyprint

    from greenlane.web.templatetags.humanize_figures import chart_locales

    ctx = context(document)
    locale = chart_locales()
    ctx["svgs"] = [
        {
            "id": c["id"],
            "spec": c["spec"],
            "svg": vl_convert.vegalite_to_svg(
                _fixed_width(c["spec"]),
                format_locale=locale["number"],
                time_format_locale=locale["time"],
            ),
        }
        for c in ctx["charts"]
    ]
    html = render_to_string("trs/report_pdf.html", ctx)
    return bytes(weasyprint.HTML(string=html).write_pdf())


def _fixed_width(spec: dict[str, Any]) -> dict[str, Any]:
    return {**spec, "width": 520} if spec.get("width") == "container" else spec


def render_summary(document: dict[str, Any]) -> str:
    return render_to_string("trs/summary.html", context(document, summary_style=SUMMARY_STYLE))
