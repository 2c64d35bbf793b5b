"""Readiness of an operator for every AEO programme, from one set of baseline answers.

The catalogue is compiled, for an assessment date, into index arrays; answers become a matrix
of credits (met 1, partly met 0.5, not met or unanswered 0, not applicable NaN). Every step is
a NumPy operation over all assessments at once, so one self-test and ten thousand share the
same code (:func:`evaluate_many`); :func:`assess` adds the explanations a person reads.

Rules, all stated in the catalogue files:
- a programme criterion's credit is the lowest credit of the baseline requirements it maps to,
  ignoring those answered 'not applicable'; it is not applicable when all of them are, or when
  it concerns operator types the operator is not;
- a ``percent`` group score is 100 x the weighted mean credit of its applicable criteria; a
  ``deduction`` group starts at 100, loses ``deduct_partly``/``deduct_not_met`` per criterion
  and gains ``bonus`` per bonus criterion met; a measured score the operator enters replaces
  the estimate;
- a tier is reachable when the operator is eligible and every gate of the tier holds; the best
  tier is the last reachable one in the file's order (lowest to highest).
Meeting more requirements never lowers a credit, a score or a tier (property-tested).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from greenlane.core.criteria.loader import Catalogue
from greenlane.core.criteria.schema import (
    Answer,
    Criterion,
    Eligibility,
    Gate,
    Money,
    OperatorType,
    Programme,
    Provision,
    Requirement,
    Selector,
    Version,
)
from greenlane.core.words import Figure, Words, _, ngettext

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

CREDIT: dict[str, float] = {
    Answer.MET: 1.0,
    Answer.PARTLY: 0.5,
    Answer.NOT_MET: 0.0,
    Answer.NOT_APPLICABLE: np.nan,
}
_TYPE_BIT = {t.value: 1 << i for i, t in enumerate(OperatorType)}
_EPS = 1e-9


class NotInForce(ValueError):
    """No version of the programme is in force on the assessment date."""


class InvalidAnswers(ValueError):
    """Answers that do not fit the baseline; ``errors`` maps requirement id → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Profile:
    """Facts about the operator that eligibility rules and scores need.

    ``None`` means "not stated": a rule that needs the fact is then not met, and says so.
    ``years_since_serious_infringement`` is ``None`` when there has never been one.
    ``scores`` holds scores customs measured itself: programme id → group id → score.
    """

    years_in_business: float | None = None
    declarations_per_year: int | None = None
    years_since_serious_infringement: float | None = None
    arrears: bool = False
    msme: bool = False
    operator_types: frozenset[str] = frozenset()
    scores: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    annual_turnover: float | None = None
    paid_up_capital: float | None = None
    currency: str | None = None  # of the turnover and the capital


def answer_problems(catalogue: Catalogue, answers: Mapping[str, str | None]) -> dict[str, Words]:
    """Per requirement, why an answer cannot be accepted (empty when all are fine), in words
    translated where they are shown."""
    requirements = {r.id: r for r in catalogue.baseline.requirements}
    errors: dict[str, Words] = {}
    allowed = ", ".join(a.value for a in Answer)
    for key, value in answers.items():
        req = requirements.get(key)
        if req is None:
            errors[key] = _("not a baseline requirement")
        elif value is None:
            continue
        elif value not in CREDIT:
            errors[key] = _(
                "'%(value)s' is not an answer (use one of %(allowed)s)",
                value=value,
                allowed=allowed,
            )
        elif value == Answer.NOT_APPLICABLE and not req.na_allowed:
            errors[key] = _("this requirement applies to every operator: it cannot be 'na'")
    return errors


def validate_answers(catalogue: Catalogue, answers: Mapping[str, str | None]) -> dict[str, str]:
    """Per requirement, why an answer cannot be accepted (empty when all are fine), in
    English (the command line, a self-test file's problems)."""
    return {k: str(v) for k, v in answer_problems(catalogue, answers).items()}


# --------------------------------------------------------------------------- compilation


@dataclass(frozen=True)
class _Gate:
    gate: Gate
    kind: str
    group: int = -1
    criteria: npt.NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, np.intp))
    threshold: float = 0.0


@dataclass(frozen=True)
class _Tier:
    gates: tuple[_Gate, ...]
    general: Eligibility
    msme: Eligibility


@dataclass(frozen=True)
class _Group:
    members: npt.NDArray[np.intp]
    weights: Floats
    bonus: Bools


@dataclass(frozen=True)
class Compiled:
    """One programme version, compiled for array evaluation."""

    programme: Programme
    version: Version
    maps: tuple[npt.NDArray[np.intp], ...]
    type_mask: npt.NDArray[np.int64]
    groups: tuple[_Group, ...]
    tiers: tuple[_Tier, ...]


def _selected(selector: Selector, criteria: Sequence[Criterion]) -> npt.NDArray[np.intp]:
    return np.array([i for i, c in enumerate(criteria) if selector.matches(c)], dtype=np.intp)


def _compile_gate(gate: Gate, version: Version, group_index: dict[str, int]) -> _Gate:
    if gate.score is not None:
        return _Gate(gate, "score", group=group_index[gate.score], threshold=float(gate.min or 0))
    if gate.criteria is not None:
        threshold = 1.0 if gate.at_least == "met" else 0.5
        selected = _selected(gate.criteria, version.criteria)
        return _Gate(gate, "criteria", criteria=selected, threshold=threshold)
    assert gate.share is not None
    selected = _selected(gate.share, version.criteria)
    return _Gate(gate, "share", criteria=selected, threshold=float(gate.min or 0))


def _types(types: Iterable[str]) -> int:
    mask = 0
    for t in set(types):
        mask |= _TYPE_BIT[t]
    return mask


def compile_version(
    programme: Programme, version: Version, requirements: Sequence[str]
) -> Compiled:
    column = {r: i for i, r in enumerate(requirements)}
    group_index = {g.id: i for i, g in enumerate(version.groups)}
    groups = []
    for g in version.groups:
        members = [i for i, c in enumerate(version.criteria) if c.group == g.id]
        groups.append(
            _Group(
                np.array(members, dtype=np.intp),
                np.array([version.criteria[i].weight for i in members], dtype=np.float64),
                np.array([version.criteria[i].bonus for i in members], dtype=np.bool_),
            )
        )
    tiers = []
    msme_override = version.msme.eligibility if version.msme else None
    for tier in version.tiers:
        general = version.eligibility.merged(tier.eligibility)
        msme = version.eligibility.merged(msme_override).merged(tier.eligibility)
        gates = tuple(_compile_gate(g, version, group_index) for g in tier.gates)
        tiers.append(_Tier(gates, general, msme))
    return Compiled(
        programme,
        version,
        tuple(np.array([column[r] for r in c.maps_to], np.intp) for c in version.criteria),
        np.array([_types(c.operator_types) for c in version.criteria], dtype=np.int64),
        tuple(groups),
        tuple(tiers),
    )


@functools.lru_cache(maxsize=64)
def compiled(catalogue: Catalogue, on: date) -> tuple[Compiled, ...]:
    """Every programme with a version in force on ``on``, compiled (cached per catalogue/date)."""
    requirements = [r.id for r in catalogue.baseline.requirements]
    out = []
    for programme in catalogue.programmes.values():
        version = programme.version_on(on)
        if version is not None:
            out.append(compile_version(programme, version, requirements))
    return tuple(out)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Profiles:
    """The facts of many operators as arrays (one entry per assessment)."""

    years: Floats
    declarations: Floats
    since_infringement: Floats
    arrears: Bools
    msme: Bools
    types: npt.NDArray[np.int64]
    scores: tuple[Mapping[str, Mapping[str, float]], ...]
    turnover: Floats
    capital: Floats
    currency: npt.NDArray[np.str_]

    @classmethod
    def of(cls, profiles: Sequence[Profile]) -> Profiles:
        def floats(values: list[float | None], missing: float) -> Floats:
            return np.array([missing if v is None else v for v in values], dtype=np.float64)

        return cls(
            floats([p.years_in_business for p in profiles], np.nan),
            floats([p.declarations_per_year for p in profiles], np.nan),
            floats([p.years_since_serious_infringement for p in profiles], np.inf),
            np.array([p.arrears for p in profiles], dtype=np.bool_),
            np.array([p.msme for p in profiles], dtype=np.bool_),
            np.array([_types(sorted(p.operator_types)) for p in profiles], dtype=np.int64),
            tuple(p.scores for p in profiles),
            floats([p.annual_turnover for p in profiles], np.nan),
            floats([p.paid_up_capital for p in profiles], np.nan),
            np.array([p.currency or "" for p in profiles], dtype=np.str_),
        )


@dataclass(frozen=True)
class Evaluation:
    """Array results for one programme version over n assessments."""

    compiled: Compiled
    credits: Floats  # n x criteria (NaN: not applicable)
    scores: Floats  # n x groups (NaN: nothing applicable)
    measured: Bools  # n x groups: the score was entered, not estimated
    eligible: Bools  # n x tiers
    gates: Bools  # n x tiers x max gates (True where a gate holds or does not exist)

    @property
    def reachable(self) -> Bools:
        return np.asarray(self.eligible & self.gates.all(axis=2))

    @property
    def best(self) -> npt.NDArray[np.intp]:
        """Index of the best reachable tier per assessment, -1 when none."""
        reachable = self.reachable
        last = reachable.shape[1] - 1 - np.argmax(reachable[:, ::-1], axis=1)
        return np.where(reachable.any(axis=1), last, -1).astype(np.intp)


def encode(catalogue: Catalogue, answers: Sequence[Mapping[str, str | None]]) -> Floats:
    """Answers as an n x requirements matrix of credits (unanswered counts as not met)."""
    columns = {r.id: i for i, r in enumerate(catalogue.baseline.requirements)}
    matrix = np.zeros((len(answers), len(columns)), dtype=np.float64)
    for row, answer in enumerate(answers):
        for key, value in answer.items():
            if value is not None:
                matrix[row, columns[key]] = CREDIT[value]
    return matrix


def _credits(c: Compiled, matrix: Floats, types: npt.NDArray[np.int64]) -> Floats:
    n = matrix.shape[0]
    credits = np.empty((n, len(c.maps)), dtype=np.float64)
    for j, columns in enumerate(c.maps):
        credits[:, j] = np.fmin.reduce(matrix[:, columns], axis=1)
        if c.type_mask[j]:
            credits[(types & c.type_mask[j]) == 0, j] = np.nan
    return credits


def _group_scores(c: Compiled, credits: Floats, profiles: Profiles) -> tuple[Floats, Bools]:
    n = credits.shape[0]
    scores = np.full((n, len(c.groups)), np.nan)
    measured = np.zeros((n, len(c.groups)), dtype=np.bool_)
    for g, (group, spec) in enumerate(zip(c.groups, c.version.groups, strict=True)):
        values = credits[:, group.members]
        applicable = ~np.isnan(values)
        if spec.scoring == "percent":
            den = (applicable * group.weights).sum(axis=1)
            num = (np.nan_to_num(values) * group.weights).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                scores[:, g] = np.where(den > 0, 100.0 * num / den, np.nan)
        else:
            lost = np.where(values >= 0.5, spec.deduct_partly, spec.deduct_not_met)
            penalty = np.where(values >= 1, 0.0, lost)
            penalty = np.where(applicable & ~group.bonus, penalty, 0.0)
            bonus = np.where(applicable & group.bonus & (values >= 1), spec.bonus, 0.0)
            scores[:, g] = 100.0 - penalty.sum(axis=1) + bonus.sum(axis=1)
    pid = c.programme.id
    for row, entered in enumerate(profiles.scores):
        for g, spec in enumerate(c.version.groups):
            value = entered.get(pid, {}).get(spec.id)
            if value is not None:
                scores[row, g] = value
                measured[row, g] = True
    return scores, measured


def _gate(g: _Gate, credits: Floats, scores: Floats) -> Bools:
    if g.kind == "score":
        return np.asarray(scores[:, g.group] >= g.threshold - _EPS)
    values = credits[:, g.criteria]
    applicable = ~np.isnan(values)
    if g.kind == "criteria":
        return np.asarray((~applicable | (values >= g.threshold - _EPS)).all(axis=1))
    met = (applicable & (values >= 1)).sum(axis=1)
    count = applicable.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((count == 0) | (100.0 * met / count >= g.threshold - _EPS))


def _eligible(rule: Eligibility, p: Profiles) -> Bools:
    ok = np.ones(p.years.shape[0], dtype=np.bool_)
    if rule.min_years_in_business is not None:
        ok &= p.years >= rule.min_years_in_business
    if rule.min_declarations_per_year is not None:
        ok &= p.declarations >= rule.min_declarations_per_year
    if rule.compliance_lookback_years is not None:
        ok &= p.since_infringement >= rule.compliance_lookback_years
    if rule.no_arrears:
        ok &= ~p.arrears
    if rule.operator_types:
        ok &= (p.types & _types(rule.operator_types)) != 0
    for threshold, stated in ((rule.min_annual_turnover, p.turnover),
                              (rule.min_paid_up_capital, p.capital)):  # fmt: skip
        if threshold is not None:
            ok &= (p.currency == threshold.currency) & (stated >= threshold.amount)
    return ok


def evaluate_compiled(c: Compiled, matrix: Floats, profiles: Profiles) -> Evaluation:
    credits = _credits(c, matrix, profiles.types)
    scores, measured = _group_scores(c, credits, profiles)
    n, width = matrix.shape[0], max((len(t.gates) for t in c.tiers), default=0)
    gates = np.ones((n, len(c.tiers), max(width, 1)), dtype=np.bool_)
    eligible = np.empty((n, len(c.tiers)), dtype=np.bool_)
    for t, tier in enumerate(c.tiers):
        eligible[:, t] = np.where(
            profiles.msme, _eligible(tier.msme, profiles), _eligible(tier.general, profiles)
        )
        for k, g in enumerate(tier.gates):
            gates[:, t, k] = _gate(g, credits, scores)
    return Evaluation(c, credits, scores, measured, eligible, gates)


def evaluate_many(
    catalogue: Catalogue,
    answers: Sequence[Mapping[str, str | None]] | Floats,
    profiles: Sequence[Profile],
    on: date,
) -> list[Evaluation]:
    """Every programme in force on ``on`` against every assessment, as arrays."""
    matrix = answers if isinstance(answers, np.ndarray) else encode(catalogue, answers)
    facts = Profiles.of(profiles)
    return [evaluate_compiled(c, matrix, facts) for c in compiled(catalogue, on)]


# --------------------------------------------------------------------------- explanations


@dataclass(frozen=True)
class Missing:
    """A baseline requirement behind an unmet criterion, with the operator's answer."""

    requirement: Requirement
    answer: str | None


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    status: str  # met, partly, not_met, unanswered, na
    missing: tuple[Missing, ...]


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    passed: bool
    #: The condition in words (translated where shown); a catalogue note without a score is
    #: the catalogue's own text, a plain ``str``, never translated.
    words: Words | str
    blocking: tuple[str, ...]  # criterion ids that keep the gate shut

    @property
    def text(self) -> str:
        """The condition in English (the command line, JSON export)."""
        return str(self.words)


@dataclass(frozen=True)
class TierResult:
    id: str
    title: str
    reachable: bool
    reasons: tuple[Words, ...]  # why the operator is not eligible (empty: eligible)
    gates: tuple[GateResult, ...]
    procedure: tuple[str, ...]
    validity_years: int | None
    no_expiry: bool = False

    @property
    def eligibility(self) -> tuple[str, ...]:
        """The reasons the operator is not eligible, in English (command line, export)."""
        return tuple(str(r) for r in self.reasons)


@dataclass(frozen=True)
class GroupScore:
    id: str
    title: str
    score: float | None
    measured: bool


@dataclass(frozen=True)
class ProgrammeReadiness:
    programme: Programme
    version: Version
    best_tier: str | None
    tiers: tuple[TierResult, ...]
    groups: tuple[GroupScore, ...]
    criteria: tuple[CriterionResult, ...]
    msme_provisions: tuple[Provision, ...]

    @property
    def unmet(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status not in ("met", "na"))


@dataclass(frozen=True)
class Readiness:
    on: date
    programmes: tuple[ProgrammeReadiness, ...]
    not_in_force: tuple[str, ...]  # programmes with no version in force on the date

    def programme(self, programme_id: str) -> ProgrammeReadiness:
        for p in self.programmes:
            if p.programme.id == programme_id:
                return p
        raise KeyError(programme_id)


def _status(credit: float, missing: Sequence[Missing]) -> str:
    if np.isnan(credit):
        return "na"
    if credit >= 1:
        return "met"
    if credit >= 0.5:
        return "partly"
    answered = {m.answer for m in missing}
    return "not_met" if Answer.NOT_MET in answered else "unanswered"


def _number(value: float) -> int | Figure:
    """A stated or required figure as the reader writes it: whole numbers as ``int``, others
    with the decimals they have (at most 2), as ``{:g}`` wrote them."""
    if float(value).is_integer():
        return int(value)
    decimals = f"{value:.2f}".rstrip("0").split(".")[1]
    return Figure(value, len(decimals))


def _money(rule: str, threshold: Money, stated: float | None, currency: str | None) -> Words:
    """Why a money threshold (``rule``: turnover or capital) is not met: whole sentences."""
    need = {"currency": threshold.currency, "amount": _number(threshold.amount)}
    if rule == "turnover":
        if stated is None:
            return _("annual turnover of at least %(currency)s %(amount)s needed, not stated",
                     **need)  # fmt: skip
        if currency != threshold.currency:
            if not currency:
                return _("annual turnover of at least %(currency)s %(amount)s needed; state it "
                         "in %(currency)s (stated in no currency, which is not converted)",
                         **need)  # fmt: skip
            return _("annual turnover of at least %(currency)s %(amount)s needed; state it in "
                     "%(currency)s (stated in %(stated_currency)s, which is not converted)",
                     stated_currency=currency, **need)  # fmt: skip
        return _("annual turnover of at least %(currency)s %(amount)s needed, %(currency)s "
                 "%(stated)s stated", stated=Figure(stated), **need)  # fmt: skip
    if stated is None:
        return _("paid-up capital of at least %(currency)s %(amount)s needed, not stated",
                 **need)  # fmt: skip
    if currency != threshold.currency:
        if not currency:
            return _("paid-up capital of at least %(currency)s %(amount)s needed; state it in "
                     "%(currency)s (stated in no currency, which is not converted)",
                     **need)  # fmt: skip
        return _("paid-up capital of at least %(currency)s %(amount)s needed; state it in "
                 "%(currency)s (stated in %(stated_currency)s, which is not converted)",
                 stated_currency=currency, **need)  # fmt: skip
    return _("paid-up capital of at least %(currency)s %(amount)s needed, %(currency)s "
             "%(stated)s stated", stated=Figure(stated), **need)  # fmt: skip


def _ineligible(rule: Eligibility, profile: Profile) -> list[Words]:
    reasons = []
    if rule.min_years_in_business is not None:
        have = profile.years_in_business
        if have is None:
            reasons.append(_("years in business not stated"))
        elif have < rule.min_years_in_business:
            reasons.append(
                ngettext(
                    "%(count)s year in business needed, %(stated)s stated",
                    "%(count)s years in business needed, %(stated)s stated",
                    rule.min_years_in_business,
                    stated=_number(have),
                )
            )
    if rule.min_declarations_per_year is not None:
        count = profile.declarations_per_year
        if count is None:
            reasons.append(_("declarations per year not stated"))
        elif count < rule.min_declarations_per_year:
            reasons.append(
                ngettext(
                    "%(count)s declaration a year needed, %(stated)s stated",
                    "%(count)s declarations a year needed, %(stated)s stated",
                    rule.min_declarations_per_year,
                    stated=count,
                )
            )
    since = profile.years_since_serious_infringement
    lookback = rule.compliance_lookback_years
    if lookback is not None and since is not None and since < lookback:
        reasons.append(
            ngettext(
                "a serious infringement within the last year",
                "a serious infringement within the last %(count)s years",
                lookback,
            )
        )
    if rule.no_arrears and profile.arrears:
        reasons.append(_("arrears of duties or taxes"))
    if rule.operator_types and not set(rule.operator_types) & profile.operator_types:
        kinds = ", ".join(t.replace("_", " ") for t in rule.operator_types)
        reasons.append(_("open to: %(kinds)s", kinds=kinds))
    if rule.min_annual_turnover is not None:
        reasons.extend(_money_reason("turnover", rule.min_annual_turnover, profile))
    if rule.min_paid_up_capital is not None:
        reasons.extend(_money_reason("capital", rule.min_paid_up_capital, profile))
    return reasons


def _money_reason(rule: str, threshold: Money, profile: Profile) -> list[Words]:
    stated = profile.annual_turnover if rule == "turnover" else profile.paid_up_capital
    met = stated is not None and stated >= threshold.amount
    if met and profile.currency == threshold.currency:
        return []
    return [_money(rule, threshold, stated, profile.currency)]


def _gate_text(g: Gate, version: Version, score: float | None) -> Words | str:
    """The gate's condition (and, for a score, the score now) as one sentence; a catalogue
    note stands for the condition as the catalogue words it."""
    note = g.note[0].upper() + g.note[1:] if g.note else ""
    now = Figure(score) if score is not None else None
    if g.score is not None:
        if note:
            if now is None:
                return _("%(condition)s (no score yet)", condition=note)
            return _("%(condition)s (now %(score)s)", condition=note, score=now)
        title = next(x.title for x in version.groups if x.id == g.score)
        need = _number(g.min or 0)
        if now is None:
            return _("%(group)s score at least %(min)s (no score yet)", group=title, min=need)
        return _("%(group)s score at least %(min)s (now %(score)s)", group=title, min=need,
                 score=now)  # fmt: skip
    if note:
        return note
    if g.share is not None:
        return _("At least %(share)s%% of the selected criteria met", share=_number(g.min or 0))
    if g.at_least == "met":
        return _("Every selected criterion met")
    return _("Every selected criterion at least partly met")


def _explain(
    e: Evaluation,
    row: int,
    answers: Mapping[str, str | None],
    profile: Profile,
    requirements: Mapping[str, Requirement],
) -> ProgrammeReadiness:
    c = e.compiled
    version = c.version
    criteria = []
    for j, crit in enumerate(version.criteria):
        credit = float(e.credits[row, j])
        missing = tuple(
            Missing(requirements[r], answers.get(r))
            for r in crit.maps_to
            if answers.get(r) not in (Answer.MET, Answer.NOT_APPLICABLE)
        )
        criteria.append(CriterionResult(crit, _status(credit, missing), missing))
    scores = [None if np.isnan(s) else float(s) for s in e.scores[row]]
    groups = tuple(
        GroupScore(g.id, g.title, scores[k], bool(e.measured[row, k]))
        for k, g in enumerate(version.groups)
    )
    tiers = []
    for t, (tier, compiled_tier) in enumerate(zip(version.tiers, c.tiers, strict=True)):
        rule = compiled_tier.msme if profile.msme else compiled_tier.general
        results = []
        for k, g in enumerate(compiled_tier.gates):
            passed = bool(e.gates[row, t, k])
            members = c.groups[g.group].members if g.kind == "score" else g.criteria
            blocking = tuple(
                version.criteria[j].id
                for j in members
                if not passed and criteria[j].status not in ("met", "na")
            )
            score = scores[g.group] if g.kind == "score" else None
            words = _gate_text(g.gate, version, score)
            results.append(GateResult(g.gate, passed, words, blocking))
        tiers.append(
            TierResult(
                tier.id,
                tier.title,
                bool(e.reachable[row, t]),
                tuple(_ineligible(rule, profile)),
                tuple(results),
                tuple(tier.procedure),
                tier.validity_years,
                tier.no_expiry,
            )
        )
    best = int(e.best[row])
    provisions = tuple(version.msme.provisions) if profile.msme and version.msme else ()
    return ProgrammeReadiness(
        c.programme,
        version,
        version.tiers[best].id if best >= 0 else None,
        tuple(tiers),
        groups,
        tuple(criteria),
        provisions,
    )


def assess(
    catalogue: Catalogue,
    answers: Mapping[str, str | None],
    profile: Profile,
    on: date,
    programmes: Sequence[str] | None = None,
) -> Readiness:
    """Readiness for every programme (or the ones named) on ``on``, with explanations.

    Raises :class:`InvalidAnswers` for answers that do not fit the baseline and
    :class:`NotInForce` when a programme that is asked for by name has no version in force.
    """
    errors = validate_answers(catalogue, answers)
    if errors:
        raise InvalidAnswers(errors)
    wanted = list(programmes) if programmes is not None else list(catalogue.programmes)
    for pid in wanted:
        programme = catalogue.programme(pid)
        if programmes is not None and programme.version_on(on) is None:
            periods = ", ".join(
                f"{v.valid_from} to {v.valid_to or 'open'}" for v in programme.versions
            )
            raise NotInForce(f"{programme.title} has no version in force on {on} ({periods})")
    every = evaluate_many(catalogue, [answers], [profile], on)
    evaluations = [e for e in every if e.compiled.programme.id in wanted]
    requirements = {r.id: r for r in catalogue.baseline.requirements}
    results = tuple(_explain(e, 0, answers, profile, requirements) for e in evaluations)
    found = {r.programme.id for r in results}
    return Readiness(on, results, tuple(p for p in wanted if p not in found))
