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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from greenlane.core.words import Figure, Words, _

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


@dataclass(frozen=True)
class Day:
    """One office-day's declarations as the model and the rules left them, one entry each:
    the model's ``probability`` and ``revenue`` at stake, whether the importer held an AEO
    certificate valid on the declaration's date (``aeo_valid``) and whether the seller was a
    partner programme's AEO under an MRA in force on it (``partner_valid``), the hard rules'
    channel (``forced``, None where no rule forces one) and its reason, and the score rules'
    total ``shift``."""

    probability: FloatArray
    revenue: FloatArray
    aeo_valid: BoolArray
    forced: list[Channel | None]
    forced_reasons: list[Words | None]
    shift: FloatArray
    partner_valid: BoolArray | None = None

    def __len__(self) -> int:
        return len(self.probability)


@dataclass(frozen=True)
class Used:
    """What the office-day has already used, for a caller deciding in real time: the red
    and yellow channels given earlier in the day, and the random draw of these declarations
    (each drawn with the random rate's chance, since a quota cannot be met one declaration at
    a time). A whole day decided at once (a simulation) uses nothing and draws the exact
    quota from the generator instead."""

    red: int = 0
    yellow: int = 0
    sampled: BoolArray | None = None


@dataclass
class Decision:
    channel: list[Channel]
    score: FloatArray  # the adjusted score the decision used
    reasons: list[list[Words]]
    random: BoolArray  # drawn by the random compliance sample
    explored: BoolArray  # sent red to explore where the model is unsure


@dataclass
class _Progress:
    """The decision as the stages build it: who is still free and what capacity is left."""

    channel: list[Channel]
    reasons: list[list[Words]]
    free: BoolArray
    red_left: int
    yellow_left: int

    def send(
        self, rows: npt.NDArray[np.intp], channel: Channel, reason: Words | Callable[[int], Words]
    ) -> None:
        """Send ``rows`` to ``channel``; ``reason`` is a text or a function of the row."""
        for i in rows.tolist():
            self.channel[i] = channel
            self.reasons[i].append(reason if isinstance(reason, Words) else reason(i))
        self.free[rows] = False


def assign(
    policy: Policy, day: Day, used: Used | None = None, rng: np.random.Generator | None = None
) -> Decision:
    """Channels for one office-day, in the stages the module documents. ``rng`` draws the
    random sample when ``used`` brings no draw of its own (a whole day at once)."""
    used = used or Used()
    score, domestic, partner = benefit_scores(policy, day)
    progress = _Progress(
        ["green"] * len(day), [[] for _ in range(len(day))], np.ones(len(day), dtype=bool), 0, 0
    )
    forced_red = hard_rules(progress, day)
    progress.red_left = max(policy.capacity - used.red - forced_red, 0)
    progress.yellow_left = max(policy.documentary_capacity - used.yellow, 0)
    random = random_sample(progress, policy, used.sampled, rng)
    explored = explore(progress, policy, day.probability)
    target(progress, policy, score)
    post_clearance(progress, policy, day.revenue)
    for i in np.flatnonzero(domestic).tolist():
        progress.reasons[i].append(
            _(
                "AEO benefit: score reduced by %(share)s",
                share=Figure(policy.aeo_reduction, percent=True),
            )
        )
    for i in np.flatnonzero(partner).tolist():
        progress.reasons[i].append(
            _(
                "MRA partner AEO benefit: score reduced by %(share)s",
                share=Figure(policy.partner_reduction, percent=True),
            )
        )
    return Decision(progress.channel, score, progress.reasons, random, explored)


def benefit_scores(policy: Policy, day: Day) -> tuple[FloatArray, BoolArray, BoolArray]:
    """The adjusted score (the model's probability reduced for an AEO, or for a partner
    AEO under an MRA, whichever reduction is larger, once; then moved by the score rules),
    and which declarations got the domestic and which the partner reduction."""
    partner_valid = (
        np.zeros(len(day), dtype=bool) if day.partner_valid is None else day.partner_valid
    )
    domestic = day.aeo_valid & (~partner_valid | (policy.aeo_reduction >= policy.partner_reduction))
    partner = partner_valid & ~domestic
    kept = np.where(
        domestic,
        1.0 - policy.aeo_reduction,
        np.where(partner, 1.0 - policy.partner_reduction, 1.0),
    )
    return np.clip(day.probability * kept + day.shift, 0.0, 1.0), domestic, partner


def hard_rules(progress: _Progress, day: Day) -> int:
    """Stage 1: each hard rule's channel stands; returns how many it sent red."""
    forced_red = 0
    for i, (channel, why) in enumerate(zip(day.forced, day.forced_reasons, strict=True)):
        if channel is not None:
            progress.send(np.array([i]), channel, why or _("hard rule"))
            forced_red += channel == "red"
    return forced_red


def random_sample(
    progress: _Progress,
    policy: Policy,
    sampled: BoolArray | None,
    rng: np.random.Generator | None,
) -> BoolArray:
    """Stage 2: the random compliance sample among the declarations still free, within the
    red capacity left: the caller's draw, or else exactly the random rate of the day drawn
    from ``rng``."""
    random = np.zeros(len(progress.free), dtype=bool)
    if sampled is not None:
        picked = np.flatnonzero(sampled & progress.free)[: progress.red_left]
    else:
        quota = min(
            math.ceil(policy.min_random_rate * len(progress.free)),
            progress.red_left,
            int(progress.free.sum()),
        )
        if not quota:
            return random
        if rng is None:
            raise ValueError("a whole day's random sample needs a random generator")
        picked = rng.choice(np.flatnonzero(progress.free), size=quota, replace=False)
    random[picked] = True
    progress.send(picked, "red", _("random compliance sample"))
    progress.red_left -= len(picked)
    return random


def explore(progress: _Progress, policy: Policy, probability: FloatArray) -> BoolArray:
    """Stage 3: a share of the red capacity left goes to the declarations the model is
    least sure of (probability nearest one half)."""
    explored = np.zeros(len(progress.free), dtype=bool)
    count = min(int(policy.exploration_share * progress.red_left), int(progress.free.sum()))
    if not count:
        return explored
    uncertainty = np.where(progress.free, -np.abs(probability - 0.5), -np.inf)
    picked = np.argsort(-uncertainty, kind="stable")[:count]
    explored[picked] = True
    progress.send(
        picked,
        "red",
        lambda i: _(
            "exploration: the model is unsure (%(probability)s)",
            probability=Figure(float(probability[i]), percent=True),
        ),
    )
    progress.red_left -= count
    return explored


def target(progress: _Progress, policy: Policy, score: FloatArray) -> None:
    """Stage 4: by adjusted score, highest first, the red capacity left goes to those at or
    above the red threshold, then the documentary capacity to those at or above the yellow
    threshold. A zero score is never selected."""
    order = np.argsort(-score, kind="stable")
    candidates = order[progress.free[order] & (score[order] > 0)]
    red = candidates[score[candidates] >= policy.red_threshold][: progress.red_left]
    progress.send(
        red,
        "red",
        lambda i: _(
            "risk score %(score)s among the day's highest",
            score=Figure(float(score[i]), percent=True),
        ),
    )
    progress.red_left -= len(red)
    rest = candidates[progress.free[candidates]]
    yellow = rest[score[rest] >= policy.yellow_threshold][: progress.yellow_left]
    progress.send(
        yellow,
        "yellow",
        lambda i: _(
            "risk score %(score)s: documents to check", score=Figure(float(score[i]), percent=True)
        ),
    )
    progress.yellow_left -= len(yellow)


def post_clearance(progress: _Progress, policy: Policy, revenue: FloatArray) -> None:
    """Stage 5: a declaration still free with revenue at stake of ``blue_revenue`` or more
    goes blue (post-clearance audit); the rest stays green."""
    if policy.blue_revenue is None:
        return
    rows = np.flatnonzero(progress.free & (revenue >= policy.blue_revenue))
    progress.send(
        rows,
        "blue",
        lambda i: _(
            "revenue at stake %(revenue)s: post-clearance audit",
            revenue=Figure(float(revenue[i])),
        ),
    )


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
    why: list[Words | None]  # its reason
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
                    out.forced[i] = rule.force
                    out.why[i] = _("rule %(rule)s: %(reason)s", rule=rule.id, reason=rule.reason)
            else:
                out.shift[i] += rule.shift
    return out
