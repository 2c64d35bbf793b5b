"""Channels for one office's declarations of one day, under its inspection capacity.

Order of decision (after ASYCUDA's selectivity, UNCTAD functional manual):

1. **Hard rules** force a channel, whatever else holds (safety, sanctions, prohibitions);
   score rules move the score up or down instead.
2. **Random compliance sampling**: ``min_random_rate`` of the day's declarations, drawn
   uniformly among those the hard rules left free, go red. No benefit exempts from it: AEOs
   are drawn like anyone else.
3. **Exploration**: ``exploration_share`` of the capacity left goes to the most uncertain
   declarations (probability nearest one half), not to the top scores, so the model keeps
   learning where it knows least.
4. **Targeting**: the remaining capacity goes red by adjusted score (the model's probability,
   reduced for an AEO certificate valid on the declaration's date, or for a seller that was a
   partner programme's AEO under a mutual recognition arrangement in force on that date, then
   moved by score rules)
   among those at or above ``red_threshold``; the documentary capacity goes yellow the same
   way above ``yellow_threshold``; a declaration with revenue at stake of ``blue_revenue`` or
   more that is still free goes blue (post-clearance audit); the rest is green.

Guarantees (property-tested): red never exceeds the capacity, except where hard rules alone
force more; the random quota is met; a hard rule's channel always stands; the AEO reduction
applies only to declarations whose operator held a certificate valid on that date, and the
partner reduction only to those whose seller was a partner AEO under an MRA in force on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Channel = Literal["green", "yellow", "red", "blue"]
CHANNELS: tuple[Channel, ...] = ("green", "yellow", "red", "blue")
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class PolicyError(ValueError):
    """A policy that cannot work; the message says why."""


@dataclass(frozen=True)
class Policy:
    office: str
    capacity: int  # physical examinations (red) per day
    documentary_capacity: int  # documentary checks (yellow) per day
    expected_daily: int  # declarations a day, to check the random quota against the capacity
    min_random_rate: float = 0.01
    exploration_share: float = 0.1
    aeo_reduction: float = 0.2  # share taken off an AEO's score (CTPAT caps it at 20%)
    partner_reduction: float = 0.0  # share taken off when the seller is a partner AEO (MRA)
    red_threshold: float = 0.0
    yellow_threshold: float = 0.0
    blue_revenue: float | None = None
    version: str = "1"

    def validate(self) -> None:
        for name in ("min_random_rate", "exploration_share", "aeo_reduction", "partner_reduction"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise PolicyError(f"{name} must be between 0 and 1, not {value}")
        if self.capacity < 0 or self.documentary_capacity < 0 or self.expected_daily <= 0:
            raise PolicyError("capacities cannot be negative and the expected volume must be >0")
        random_daily = math.ceil(self.min_random_rate * self.expected_daily)
        if random_daily > self.capacity:
            raise PolicyError(
                f"the random rate {self.min_random_rate:.1%} of {self.expected_daily:,} "
                f"declarations a day is {random_daily:,} examinations, more than the capacity "
                f"of {self.capacity:,}"
            )


@dataclass
class Decision:
    channel: list[Channel]
    score: FloatArray  # the adjusted score the decision used
    reasons: list[list[str]] = field(default_factory=list)
    random: BoolArray | None = None
    explored: BoolArray | None = None


def assign(
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


def certified_on(
    importers: list[str],
    dates: list[object],
    periods: dict[str, list[tuple[object, object | None]]],
) -> BoolArray:
    """Whether each declaration's importer held an AEO certificate valid on its date
    (``periods``: per operator code, (valid_from, valid_to or None for open-ended))."""
    out = np.zeros(len(importers), dtype=bool)
    for i, (code, day) in enumerate(zip(importers, dates, strict=True)):
        for start, end in periods.get(code, ()):
            if start <= day and (end is None or day <= end):  # type: ignore[operator]
                out[i] = True
                break
    return out


SEVERITY: dict[str, int] = {"green": 0, "blue": 1, "yellow": 2, "red": 3}


@dataclass(frozen=True)
class ProfileRule:
    """A risk analyst's rule: a condition, its dates, and what it does (force a channel or
    move the score), with the reason officers read."""

    id: str
    condition: object  # rulelang.Rule
    reason: str
    force: Channel | None = None
    shift: float = 0.0
    valid_from: object = None  # date, inclusive; None: always
    valid_to: object = None  # date, inclusive; None: open-ended

    def in_force(self, day: object) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (  # type: ignore[operator]
            self.valid_to is None or day <= self.valid_to  # type: ignore[operator]
        )


@dataclass
class RuleOutcome:
    """What the rules in force did to a day's declarations."""

    forced: list[Channel | None]  # the most severe forced channel, per declaration
    why: list[str | None]  # its reason
    shift: FloatArray  # the score rules' total shift
    hits: dict[str, int]  # declarations each rule selected
    matched: list[list[str]]  # the rules each declaration matched, in rule order


def apply_rules(rules: list[ProfileRule], frame: object, day: object) -> RuleOutcome:
    """Forced channels (the most severe when several rules force), their reasons, the total
    score shift per declaration, each rule's hit count, and the rules each declaration
    matched, for rules in force on ``day``."""
    n = len(frame)  # type: ignore[arg-type]
    out = RuleOutcome([None] * n, [None] * n, np.zeros(n), {}, [[] for _ in range(n)])
    for rule in rules:
        if not rule.in_force(day):
            continue
        selected = rule.condition.evaluate(frame)  # type: ignore[attr-defined]
        out.hits[rule.id] = int(selected.sum())
        for i in np.flatnonzero(selected).tolist():
            out.matched[i].append(rule.id)
            if rule.force is not None:
                current = out.forced[i]
                if current is None or SEVERITY[rule.force] > SEVERITY[current]:
                    out.forced[i], out.why[i] = rule.force, f"rule {rule.id}: {rule.reason}"
            else:
                out.shift[i] += rule.shift
    return out
