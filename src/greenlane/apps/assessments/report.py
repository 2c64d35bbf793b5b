"""The gap-analysis report: one context for the page and the PDF (WeasyPrint)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from greenlane.core.criteria.loader import shipped

CHART_WIDTH = 320  # px of the bar area; a score of 100 fills it
LABEL_WIDTH = 270  # px for a criteria group's title, left of its bar


def _chart(programme: dict[str, Any]) -> list[dict[str, Any]]:
    bars = []
    for group in programme["groups"]:
        score = group["score"]
        width = 0.0 if score is None else max(0.0, min(score, 100.0)) / 100 * CHART_WIDTH
        marks = {}
        for t in group["thresholds"]:
            marks.setdefault(t["min"], []).append(t["tier"])
        bars.append(
            {
                "title": group["title"],
                "score": score,
                "measured": group["measured"],
                "width": round(width, 1),
                "y": 26 * len(bars),
                "thresholds": [
                    {
                        "x": round(min(m, 100) / 100 * CHART_WIDTH, 1),
                        "min": m,
                        "label": "/".join(tiers),
                    }
                    for m, tiers in sorted(marks.items())
                ],
            }
        )
    return bars


def report_context(
    result: dict[str, Any],
    *,
    title: str,
    operator: Any = None,
    actions: Iterable[Any] = (),
    snapshot: Any = None,
    focus: Iterable[str] = (),
) -> dict[str, Any]:
    """Everything the report template shows, from a stored or freshly computed result.
    Every programme is in the summary and the ranked gaps; those in ``focus`` (default: the
    administration's own) are also shown in detail, the others folded (and left out of the
    PDF's detail), so that a report on two dozen programmes stays one page."""
    titles = {pid: p.title for pid, p in shipped().programmes.items()}
    focused = set(focus) or {settings.PROGRAMME}
    programmes = []
    for p in result["programmes"]:
        bars = _chart(p)
        programmes.append(
            p
            | {
                "chart": bars,
                "chart_height": 26 * len(bars) + 6,
                "has_thresholds": any(bar["thresholds"] for bar in bars),
                "open": p["programme"] in focused,
            }
        )
    gaps = []
    for gap in result["gaps"]:
        unlocks = [
            f"{titles.get(pid, pid)} {tier}"
            for pid, tier in (k.split(":", 1) for k in gap["unlocks"])
        ]
        gaps.append(gap | {"unlock_labels": unlocks, "blocks_count": len(gap["blocks"])})
    return {
        "title": title,
        "operator": operator,
        "snapshot": snapshot,
        "result": result,
        "programmes": programmes,
        "focus": sorted(focused),
        "gaps": gaps,
        "actions": list(actions),
        "chart_width": CHART_WIDTH,
        "label_width": LABEL_WIDTH,
        "svg_width": LABEL_WIDTH + CHART_WIDTH + 90,
        "generated_at": timezone.now(),
    }


def render_pdf(context: dict[str, Any]) -> bytes:
    import weasyprint

    html = render_to_string("assessments/report_pdf.html", context)
    return bytes(weasyprint.HTML(string=html).write_pdf())
