"""Korea AEO: gates on internal control, solvency and security; grade from legal compliance."""

from __future__ import annotations

from datetime import date

import pytest

from greenlane.core.criteria.engine import Profile, ProgrammeReadiness, assess
from greenlane.core.criteria.loader import Catalogue

from .helpers import all_met, catalogue_of

ON = date(2026, 6, 1)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    return catalogue_of(tmp_path_factory.mktemp("kr"), "kr-aeo.yaml")


def korea(
    catalogue: Catalogue,
    internal_control: float | None = None,
    legal_compliance: float | None = None,
    answers: dict[str, str | None] | None = None,
    **facts: object,
) -> ProgrammeReadiness:
    scores = {}
    if internal_control is not None:
        scores["internal_control"] = internal_control
    if legal_compliance is not None:
        scores["legal_compliance"] = legal_compliance
    facts.setdefault("operator_types", frozenset({"importer"}))
    profile = Profile(scores={"kr-aeo": scores}, **facts)  # type: ignore[arg-type]
    answers = answers if answers is not None else all_met(catalogue)
    return assess(catalogue, answers, profile, ON, ["kr-aeo"]).programme("kr-aeo")


def test_internal_control_85_and_legal_compliance_91_give_grade_aa(catalogue: Catalogue) -> None:
    assert korea(catalogue, 85, 91).best_tier == "AA"


def test_legal_compliance_of_exactly_80_is_enough_for_grade_a(catalogue: Catalogue) -> None:
    assert korea(catalogue, 80, 80).best_tier == "A"


def test_legal_compliance_79_gives_no_grade(catalogue: Catalogue) -> None:
    result = korea(catalogue, 85, 79)
    assert result.best_tier is None
    (shut,) = [g for g in result.tiers[0].gates if not g.passed]
    assert "(now 79)" in shut.text


def test_internal_control_below_80_blocks_every_grade_even_with_perfect_compliance(
    catalogue: Catalogue,
) -> None:
    assert korea(catalogue, 79.5, 99).best_tier is None


def test_legal_compliance_95_gives_aaa_only_with_a_best_practice_to_share(
    catalogue: Catalogue,
) -> None:
    answers = all_met(catalogue) | {"SEC-IMPROVEMENT": "partly"}
    without = korea(catalogue, 90, 96, answers=answers)
    assert without.best_tier == "AA"
    aaa = without.tiers[2]
    assert [g.blocking for g in aaa.gates if not g.passed] == [("KR-BP-1",)]
    assert korea(catalogue, 90, 96).best_tier == "AAA"


def test_one_unmet_security_criterion_blocks_every_grade(catalogue: Catalogue) -> None:
    result = korea(catalogue, 90, 96, answers=all_met(catalogue) | {"SEC-PERSONNEL": "not_met"})
    assert result.best_tier is None
    (unmet,) = result.unmet
    assert unmet.criterion.id == "KR-SM-4"
    assert [m.requirement.id for m in unmet.missing] == ["SEC-PERSONNEL"]
    assert unmet.missing[0].requirement.evidence  # what would show it is met


def test_arrears_make_an_operator_ineligible_for_every_grade(catalogue: Catalogue) -> None:
    result = korea(catalogue, 90, 96, arrears=True)
    assert result.best_tier is None
    assert all("arrears of duties or taxes" in t.eligibility for t in result.tiers)


def test_without_entered_scores_the_self_test_estimates_them_from_the_answers(
    catalogue: Catalogue,
) -> None:
    answers = all_met(catalogue) | {"COMP-PROCEDURES": "partly"}
    result = korea(catalogue, answers=answers)
    scores = {g.id: (g.score, g.measured) for g in result.groups}
    # legal compliance: KR-LC-1 met, KR-LC-2 (COMP-PROCEDURES) partly met -> (1 + 0.5) / 2
    assert scores["legal_compliance"] == (75.0, False)
    # internal control: KR-IC-1 partly (COMP-PROCEDURES), KR-IC-2, KR-IC-3 met; KR-BP-1 met
    assert scores["internal_control"] == (87.5, False)
    assert result.best_tier is None


def test_msme_provisions_are_shown_to_small_operators_only(catalogue: Catalogue) -> None:
    assert korea(catalogue, 90, 90, msme=True).msme_provisions
    assert not korea(catalogue, 90, 90, msme=False).msme_provisions


def test_a_grade_comes_with_its_validity_and_the_steps_a_self_test_cannot_show(
    catalogue: Catalogue,
) -> None:
    tier = korea(catalogue, 90, 90).tiers[1]
    assert tier.reachable
    assert tier.validity_years == 5
    assert any("on-site" in step for step in tier.procedure)


def test_every_version_states_the_six_month_renewal_lead_time(catalogue: Catalogue) -> None:
    # A rule added by the 2026 review (renewal review six months before expiry); the case files
    # under cases/kr-aeo cannot check follow-up texts, so it is checked here.
    for version in catalogue.programme("kr-aeo").versions:
        assert any("six months" in p.text for p in version.follow_up), version.version


@pytest.mark.parametrize(
    ("kinds", "on", "eligible"),
    [
        ({"ground_handler"}, date(2026, 6, 1), True),
        ({"ground_handler"}, date(2011, 6, 1), False),  # first certified in 2013
        ({"air_carrier"}, date(2011, 6, 1), True),
        ({"manufacturer"}, date(2026, 6, 1), False),  # not one of the nine kinds
        (set(), date(2026, 6, 1), False),
    ],
)
def test_kcs_certifies_nine_kinds_of_operator(
    catalogue: Catalogue, kinds: set[str], on: date, eligible: bool
) -> None:
    profile = Profile(
        operator_types=frozenset(kinds),
        scores={"kr-aeo": {"internal_control": 90, "legal_compliance": 90}},
    )
    result = assess(catalogue, all_met(catalogue), profile, on, ["kr-aeo"]).programme("kr-aeo")
    assert (not result.tiers[0].eligibility) == eligible
