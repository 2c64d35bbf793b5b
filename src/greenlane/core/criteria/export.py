"""Readiness and gaps as plain JSON-ready data (CLI ``--json``, API, stored snapshots)."""

from __future__ import annotations

from typing import Any

from greenlane.core.criteria.engine import ProgrammeReadiness, Readiness
from greenlane.core.criteria.gaps import Gap


def programme_dict(p: ProgrammeReadiness) -> dict[str, Any]:
    return {
        "programme": p.programme.id,
        "title": p.programme.title,
        "version": p.version.version,
        "coverage": p.version.coverage,
        "best_tier": p.best_tier,
        "tiers": [
            {
                "id": t.id,
                "title": t.title,
                "reachable": t.reachable,
                "not_eligible_because": list(t.eligibility),
                "gates": [
                    {"passed": g.passed, "text": g.text, "blocking": list(g.blocking)}
                    for g in t.gates
                ],
                "procedure": list(t.procedure),
                "validity_years": t.validity_years,
                "no_expiry": t.no_expiry,
            }
            for t in p.tiers
        ],
        "groups": [
            {
                "id": g.id,
                "title": g.title,
                "score": g.score,
                "measured": g.measured,
                "thresholds": [
                    {"tier": t.id, "min": gate.min}
                    for t in p.version.tiers
                    for gate in t.gates
                    if gate.score == g.id
                ],
            }
            for g in p.groups
        ],
        "unmet": [
            {
                "criterion": c.criterion.id,
                "title": c.criterion.title,
                "level": c.criterion.level,
                "status": c.status,
                "missing": [
                    {
                        "requirement": m.requirement.id,
                        "title": m.requirement.title,
                        "answer": m.answer,
                    }
                    for m in c.missing
                ],
            }
            for c in p.unmet
        ],
        "msme_provisions": [m.text for m in p.msme_provisions],
    }


def gap_dict(gap: Gap) -> dict[str, Any]:
    return {
        "requirement": gap.requirement.id,
        "title": gap.requirement.title,
        "answer": gap.answer,
        "unlocks": [f"{p}:{t}" for p, t in gap.unlocks],
        "blocks": [f"{p}:{t}" for p, t in gap.blocks],
        "evidence": list(gap.requirement.evidence),
    }


def readiness_dict(readiness: Readiness, gaps: list[Gap]) -> dict[str, Any]:
    return {
        "date": readiness.on.isoformat(),
        "programmes": [programme_dict(p) for p in readiness.programmes],
        "not_in_force": list(readiness.not_in_force),
        "gaps": [gap_dict(g) for g in gaps],
    }


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Progress between two results of :func:`readiness_dict`, per programme in both."""
    earlier = {p["programme"]: p for p in before["programmes"]}
    out = []
    for p in after["programmes"]:
        old = earlier.get(p["programme"])
        if old is None:
            continue
        old_scores = {g["id"]: g["score"] for g in old["groups"]}
        out.append(
            {
                "programme": p["programme"],
                "title": p["title"],
                "tier_before": old["best_tier"],
                "tier_after": p["best_tier"],
                "unmet_before": len(old["unmet"]),
                "unmet_after": len(p["unmet"]),
                "scores": [
                    {"group": g["title"], "before": old_scores.get(g["id"]), "after": g["score"]}
                    for g in p["groups"]
                ],
            }
        )
    return out
