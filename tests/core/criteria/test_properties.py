"""Properties of the engine over the whole shipped catalogue."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.criteria.engine import Profile, evaluate_many
from greenlane.core.criteria.gaps import gaps
from greenlane.core.criteria.loader import shipped
from greenlane.core.criteria.schema import Answer, OperatorType

CATALOGUE = shipped()
REQUIREMENTS = CATALOGUE.baseline.requirements
ON = date(2026, 6, 1)


def _answer(na_allowed: bool) -> st.SearchStrategy[str | None]:
    choices: list[str | None] = [None, "met", "partly", "not_met"]
    return st.sampled_from([*choices, "na"] if na_allowed else choices)


answers_strategy = st.fixed_dictionaries({r.id: _answer(r.na_allowed) for r in REQUIREMENTS})
profiles = st.builds(
    Profile,
    years_in_business=st.none() | st.integers(0, 30).map(float),
    declarations_per_year=st.none() | st.integers(0, 5000),
    years_since_serious_infringement=st.none() | st.floats(0, 10),
    arrears=st.booleans(),
    msme=st.booleans(),
    operator_types=st.frozensets(st.sampled_from([t.value for t in OperatorType]), max_size=3),
    annual_turnover=st.none() | st.floats(0, 1e12),
    paid_up_capital=st.none() | st.floats(0, 1e10),
    currency=st.none() | st.sampled_from(["USD", "THB", "KRW"]),
)


@settings(max_examples=150, deadline=None)
@given(answers=answers_strategy, profile=profiles, data=st.data())
def test_meeting_more_requirements_never_lowers_a_tier_or_a_score(
    answers: dict[str, str | None], profile: Profile, data: st.DataObject
) -> None:
    improved = dict(answers)
    for req in data.draw(st.lists(st.sampled_from(REQUIREMENTS), min_size=1, max_size=5)):
        improved[req.id] = Answer.MET
    before = evaluate_many(CATALOGUE, [answers], [profile], ON)
    after = evaluate_many(CATALOGUE, [improved], [profile], ON)
    for b, a in zip(before, after, strict=True):
        assert (a.reachable >= b.reachable).all(), b.compiled.programme.id
        assert a.best[0] >= b.best[0]
        had = ~np.isnan(b.scores)
        assert (a.scores[had] >= b.scores[had] - 1e-9).all(), b.compiled.programme.id


@settings(max_examples=60, deadline=None)
@given(answers=answers_strategy, profile=profiles)
def test_batch_and_single_evaluation_agree(
    answers: dict[str, str | None], profile: Profile
) -> None:
    other = {r.id: "met" for r in REQUIREMENTS}
    batch = evaluate_many(CATALOGUE, [other, answers], [Profile(), profile], ON)
    single = evaluate_many(CATALOGUE, [answers], [profile], ON)
    for b, s in zip(batch, single, strict=True):
        assert (b.reachable[1] == s.reachable[0]).all()
        np.testing.assert_array_equal(b.scores[1], s.scores[0])


@settings(max_examples=40, deadline=None)
@given(answers=answers_strategy, profile=profiles)
def test_a_gap_that_unlocks_a_tier_really_does(
    answers: dict[str, str | None], profile: Profile
) -> None:
    before = evaluate_many(CATALOGUE, [answers], [profile], ON)
    reachable = {
        (e.compiled.programme.id, e.compiled.version.tiers[t].id)
        for e in before
        for t in np.flatnonzero(e.reachable[0])
    }
    for gap in gaps(CATALOGUE, answers, profile, ON):
        assert gap.answer not in ("met", "na")
        closed = evaluate_many(CATALOGUE, [answers | {gap.requirement.id: "met"}], [profile], ON)
        now = {
            (e.compiled.programme.id, e.compiled.version.tiers[t].id)
            for e in closed
            for t in np.flatnonzero(e.reachable[0])
        }
        assert set(gap.unlocks) == now - reachable
