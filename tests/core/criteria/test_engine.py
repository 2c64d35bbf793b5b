"""The readiness engine's own rules, independent of any one programme."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from greenlane.core.criteria.engine import (
    InvalidAnswers,
    NotInForce,
    Profile,
    answer_problems,
    assess,
    validate_answers,
)
from greenlane.core.words import Figure, Words

from .helpers import all_met, catalogue_of
from .test_loader import GOOD, SECOND_VERSION


def test_the_day_before_a_version_takes_effect_the_old_rule_applies(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path, extra={"demo.yaml": GOOD + SECOND_VERSION})
    answers = all_met(catalogue)
    two_years = Profile(years_in_business=2)
    before = assess(catalogue, answers, two_years, date(2023, 12, 31), ["demo"])
    after = assess(catalogue, answers, two_years, date(2024, 1, 1), ["demo"])
    assert before.programme("demo").version.version == "2020"
    assert before.programme("demo").best_tier is None  # three years needed until 2023
    assert after.programme("demo").version.version == "2024"
    assert after.programme("demo").best_tier == "T1"


def test_a_programme_not_in_force_on_the_date_is_a_clear_error(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path, extra={"demo.yaml": GOOD})
    with pytest.raises(NotInForce, match="no version in force on 2019-12-31"):
        assess(catalogue, {}, Profile(), date(2019, 12, 31), ["demo"])
    everything = assess(catalogue, {}, Profile(), date(2019, 12, 31))
    assert everything.not_in_force == ("demo",)


def test_unanswered_requirements_count_as_not_met_and_say_so(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path, extra={"demo.yaml": GOOD})
    result = assess(catalogue, {}, Profile(years_in_business=5), date(2021, 1, 1), ["demo"])
    (criterion,) = result.programme("demo").criteria
    assert criterion.status == "unanswered"
    assert result.programme("demo").groups[0].score == 0.0


def test_it_refuses_answers_that_do_not_fit_the_baseline(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path)
    errors = validate_answers(
        catalogue,
        {"COMP-RECORD": "na", "SEC-CONVEYANCE": "na", "REC-SYSTEM": "maybe", "XYZ": "met"},
    )
    assert set(errors) == {"COMP-RECORD", "REC-SYSTEM", "XYZ"}
    assert "cannot be 'na'" in errors["COMP-RECORD"]
    with pytest.raises(InvalidAnswers) as caught:
        assess(catalogue, {"REC-SYSTEM": "maybe"}, Profile(), date(2021, 1, 1))
    assert set(caught.value.errors) == {"REC-SYSTEM"}


def test_eligibility_reasons_and_gates_are_words_with_their_values(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path, extra={"demo.yaml": GOOD})
    result = assess(catalogue, {}, Profile(years_in_business=0.5), date(2021, 1, 1), ["demo"])
    tiers = result.programme("demo").tiers
    reasons = [r for t in tiers for r in t.reasons]
    assert reasons, "the demo programme asks for years in business"
    for reason, english in zip(reasons, [e for t in tiers for e in t.eligibility], strict=True):
        assert isinstance(reason, Words)
        assert str(reason) == english
    years = next(r for r in reasons if "year" in r.message)
    assert years.params["stated"] == Figure(0.5, 1)  # written the reader's way: "0,5" in es
    shut = [g for t in tiers for g in t.gates if not g.passed]
    assert all(str(g.words) == g.text for g in shut)


def test_answer_problems_are_words_and_validate_answers_their_english(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path)
    answers = {"REC-SYSTEM": "maybe"}
    (problem,) = answer_problems(catalogue, answers).values()
    assert problem.message == "'%(value)s' is not an answer (use one of %(allowed)s)"
    assert problem.params["value"] == "maybe"
    assert validate_answers(catalogue, answers) == {"REC-SYSTEM": str(problem)}
