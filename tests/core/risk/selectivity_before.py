"""The selectivity decision exactly as it was before it was split into stages (issue 24),
kept verbatim as the reference the staged decision is checked against. Do not change it."""

from __future__ import annotations

import math

import numpy as np

from greenlane.core.risk.selectivity import BoolArray, Channel, Decision, FloatArray, Policy


def assign_before(
    policy: Policy,
    probability: FloatArray,
    revenue: FloatArray,
    aeo_valid: BoolArray,
    forced: list[Channel | None],
    forced_reasons: list[str | None],
    score_shift: FloatArray,
    rng: np.random.Generator,
    used_red: int = 0,
    used_yellow: int = 0,
    sampled: BoolArray | None = None,
    partner_valid: BoolArray | None = None,
) -> Decision:
    """Channels for one office-day. ``forced`` holds the hard rules' channel per declaration
    (None: no hard rule), ``score_shift`` the score rules' total adjustment, ``aeo_valid``
    whether the declaration's operator held a certificate valid on its date, ``partner_valid``
    whether its seller was a partner programme's AEO under an MRA in force on that date (when
    both hold, the larger reduction applies, once).

    A real-time caller passes what the day already used (``used_red``, ``used_yellow``) and
    its own random draw (``sampled``: each declaration drawn with the random rate's chance),
    since a quota cannot be met one declaration at a time; a whole day (a simulation) leaves
    them out and gets the exact quota."""
    n = len(probability)
    channel: list[Channel] = ["green"] * n
    reasons: list[list[str]] = [[] for _ in range(n)]
    partner = np.zeros(n, dtype=bool) if partner_valid is None else partner_valid
    domestic_wins = aeo_valid & (~partner | (policy.aeo_reduction >= policy.partner_reduction))
    partner_wins = partner & ~domestic_wins
    reduction = np.where(
        domestic_wins,
        1.0 - policy.aeo_reduction,
        np.where(partner_wins, 1.0 - policy.partner_reduction, 1.0),
    )
    score = np.clip(probability * reduction + score_shift, 0.0, 1.0)
    free = np.ones(n, dtype=bool)
    red_used = 0
    for i, (forced_channel, why) in enumerate(zip(forced, forced_reasons, strict=True)):
        if forced_channel is not None:
            channel[i] = forced_channel
            reasons[i].append(why or "hard rule")
            free[i] = False
            red_used += forced_channel == "red"
    capacity_left = max(policy.capacity - used_red - red_used, 0)

    random = np.zeros(n, dtype=bool)
    if sampled is None:
        quota = min(math.ceil(policy.min_random_rate * n), capacity_left, int(free.sum()))
        picked = (
            rng.choice(np.flatnonzero(free), size=quota, replace=False)
            if quota
            else np.empty(0, dtype=np.int64)
        )
    else:
        picked = np.flatnonzero(sampled & free)[:capacity_left]
        quota = len(picked)
    if quota:
        random[picked] = True
        for i in picked.tolist():
            channel[i] = "red"
            reasons[i].append("random compliance sample")
        free[picked] = False
        capacity_left -= quota

    explored = np.zeros(n, dtype=bool)
    explore = min(int(policy.exploration_share * capacity_left), int(free.sum()))
    if explore:
        uncertainty = np.where(free, -np.abs(probability - 0.5), -np.inf)
        picked = np.argsort(-uncertainty, kind="stable")[:explore]
        explored[picked] = True
        for i in picked:
            channel[i] = "red"
            reasons[i].append(f"exploration: the model is unsure ({probability[i]:.0%})")
        free[picked] = False
        capacity_left -= explore

    order = np.argsort(-score, kind="stable")
    yellow_left = max(policy.documentary_capacity - used_yellow, 0)
    for i in order:
        if not free[i]:
            continue
        if capacity_left and score[i] >= policy.red_threshold and score[i] > 0:
            channel[i] = "red"
            reasons[i].append(f"risk score {score[i]:.0%} among the day's highest")
            capacity_left -= 1
            free[i] = False
        elif yellow_left and score[i] >= policy.yellow_threshold and score[i] > 0:
            channel[i] = "yellow"
            reasons[i].append(f"risk score {score[i]:.0%}: documents to check")
            yellow_left -= 1
            free[i] = False
    if policy.blue_revenue is not None:
        for i in np.flatnonzero(free & (revenue >= policy.blue_revenue)).tolist():
            channel[i] = "blue"
            reasons[i].append(f"revenue at stake {revenue[i]:,.0f}: post-clearance audit")
            free[i] = False
    for i in np.flatnonzero(domestic_wins).tolist():
        reasons[i].append(f"AEO benefit: score reduced by {policy.aeo_reduction:.0%}")
    for i in np.flatnonzero(partner_wins).tolist():
        reasons[i].append(
            f"MRA partner AEO benefit: score reduced by {policy.partner_reduction:.0%}"
        )
    return Decision(channel, score, reasons, random, explored)
