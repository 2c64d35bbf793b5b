"""Gap analysis: which unmet requirements matter most.

A gap is a baseline requirement not answered 'met' (nor 'not applicable'). Its impact is
measured two ways, both across every programme at once:
- ``unlocks``: the programme tiers that become reachable if this gap alone is closed
  (computed by re-evaluating the self-test with the requirement met);
- ``blocks``: the tiers where it is one of the things keeping a gate shut, even if closing it
  alone is not enough.
Gaps are ranked by tiers unlocked, then by tiers blocked, then in baseline order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from greenlane.core.criteria.engine import (
    Profile,
    Readiness,
    assess,
    encode,
    evaluate_many,
)
from greenlane.core.criteria.loader import Catalogue
from greenlane.core.criteria.schema import Answer, Requirement

TierKey = tuple[str, str]  # (programme id, tier id)


@dataclass(frozen=True)
class Gap:
    requirement: Requirement
    answer: str | None
    unlocks: tuple[TierKey, ...]
    blocks: tuple[TierKey, ...]

    @property
    def impact(self) -> tuple[int, int]:
        return len(self.unlocks), len(self.blocks)


def _blocks(readiness: Readiness) -> dict[str, list[TierKey]]:
    """Requirement id → the tiers whose shut gates it is part of."""
    out: dict[str, list[TierKey]] = {}
    for p in readiness.programmes:
        by_id = {c.criterion.id: c for c in p.criteria}
        for tier in p.tiers:
            if tier.reachable:
                continue
            involved = {
                m.requirement.id
                for gate in tier.gates
                for cid in gate.blocking
                for m in by_id[cid].missing
            }
            for req in involved:
                out.setdefault(req, []).append((p.programme.id, tier.id))
    return out


def gaps(
    catalogue: Catalogue,
    answers: Mapping[str, str | None],
    profile: Profile,
    on: date,
    readiness: Readiness | None = None,
) -> list[Gap]:
    """Every gap of a self-test, the most useful to close first."""
    readiness = readiness or assess(catalogue, answers, profile, on)
    open_reqs = [
        r
        for r in catalogue.baseline.requirements
        if answers.get(r.id) not in (Answer.MET, Answer.NOT_APPLICABLE)
    ]
    if not open_reqs:
        return []
    base = encode(catalogue, [answers])
    columns = {r.id: i for i, r in enumerate(catalogue.baseline.requirements)}
    matrix = np.repeat(base, len(open_reqs) + 1, axis=0)
    for row, req in enumerate(open_reqs, start=1):
        matrix[row, columns[req.id]] = 1.0
    wanted = {p.programme.id for p in readiness.programmes}  # only what was asked about
    evaluations = [
        e
        for e in evaluate_many(catalogue, matrix, [profile] * matrix.shape[0], on)
        if e.compiled.programme.id in wanted
    ]
    unlocks: dict[str, list[TierKey]] = {r.id: [] for r in open_reqs}
    for e in evaluations:
        reachable = e.reachable
        newly = reachable[1:] & ~reachable[0]
        for row, req in enumerate(open_reqs):
            for t in np.flatnonzero(newly[row]):
                unlocks[req.id].append((e.compiled.programme.id, e.compiled.version.tiers[t].id))
    blocked = _blocks(readiness)
    found = [
        Gap(r, answers.get(r.id), tuple(unlocks[r.id]), tuple(blocked.get(r.id, ())))
        for r in open_reqs
    ]
    order = {r.id: i for i, r in enumerate(catalogue.baseline.requirements)}
    return sorted(found, key=lambda g: (-g.impact[0], -g.impact[1], order[g.requirement.id]))
