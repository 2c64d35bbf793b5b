"""Case tests written as data (OpenFisca style): one YAML file per programme rule under
``cases/<programme>/``, each citing the source of the rule, each holding one or more cases
(a date, an operator, its answers, and what the self-test must conclude).

A file:

    rule: One sentence: the rule as the source states it.
    programme: kr-aeo
    cites: kcs-criteria          # a source id of the version in force on each case's date
    locator: "article, section or page"
    cases:
      - name: what this case shows
        date: 2010-06-01            # 'on' would read as true in YAML
        profile: {years_in_business: 10, scores: {internal_control: 85}}
        answers: {SEC-PREMISES: not_met}     # changes to "every requirement met"
        expect:
          version: 2009-launch
          best_tier: A                       # null: no tier reachable
          reachable: [A]                     # exactly these tiers, lowest first
          validity_years: {A: 3}             # null: not stated, or no expiry
          no_expiry: [AEOC]                  # exactly these tiers do not expire
          eligibility: {A: ["3 years in business"]}   # texts among the tier's refusals
          gates: {AA: ["(now 85)"]}          # texts among the tier's shut gates (any case)
          msme_provisions: ["80 % of consulting"]
          self_review: {every_months: 12}    # fields of the version's self_review rule
          not_in_force: true                 # no version is in force on the date

Unknown keys are errors, so a misspelt expectation cannot pass silently.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

from greenlane.core.criteria.engine import NotInForce, Profile, ProgrammeReadiness, assess
from greenlane.core.criteria.loader import shipped
from greenlane.core.criteria.schema import Programme, Version

CASES = Path(__file__).parent / "cases"
CATALOGUE = shipped()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    version: str | None = None
    best_tier: str | None = Field(default="-")  # "-": not checked (None is a real answer)
    reachable: list[str] | None = None
    validity_years: dict[str, int | None] = Field(default_factory=dict)
    no_expiry: list[str] | None = None
    eligibility: dict[str, list[str]] = Field(default_factory=dict)
    gates: dict[str, list[str]] = Field(default_factory=dict)
    msme_provisions: list[str] = Field(default_factory=list)
    self_review: dict[str, Any] = Field(default_factory=dict)
    not_in_force: bool = False


class Case(_Strict):
    name: str = Field(min_length=3)
    date: date
    profile: dict[str, Any] = Field(default_factory=dict)
    answers: dict[str, str] = Field(default_factory=dict)
    expect: Expect


class RuleFile(_Strict):
    rule: str = Field(min_length=10)
    programme: str
    cites: str
    locator: str = Field(min_length=2)
    cases: list[Case] = Field(min_length=1)


def _files() -> list[Path]:
    return sorted(CASES.glob("*/*.yaml"))


def _read(path: Path) -> RuleFile:
    return RuleFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _collected() -> list[Any]:
    params = []
    for path in _files():
        try:
            rules = _read(path)
        except (ValueError, yaml.YAMLError):
            continue  # reported, with the file, by test_every_rule_file_reads
        for case in rules.cases:
            name = f"{path.parent.name}/{path.stem}: {case.name}"
            params.append(pytest.param(rules, case, id=name))
    return params


def _profile(facts: dict[str, Any], programme: str) -> Profile:
    facts = dict(facts)
    facts.setdefault("operator_types", ["importer"])
    facts.setdefault("years_in_business", 10.0)
    facts.setdefault("declarations_per_year", 500)
    facts["operator_types"] = frozenset(facts["operator_types"])
    facts["scores"] = {programme: facts.get("scores", {})}
    return Profile(**facts)


def _run(rules: RuleFile, case: Case) -> ProgrammeReadiness | None:
    answers = {r.id: "met" for r in CATALOGUE.baseline.requirements} | case.answers
    try:
        result = assess(
            CATALOGUE,
            answers,
            _profile(case.profile, rules.programme),
            case.date,
            [rules.programme],
        )
    except NotInForce:
        return None
    return result.programme(rules.programme)


def _cited(programme: Programme, version: Version | None, source: str) -> bool:
    versions = [version] if version is not None else programme.versions
    return any(s.id == source for v in versions for s in v.sources)


@pytest.mark.parametrize("path", _files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_rule_file_reads(path: Path) -> None:
    assert path.parent.name in CATALOGUE.programmes, f"{path}: no such programme"
    rules = _read(path)  # a file that does not fit the format fails here, named
    assert rules.programme == path.parent.name, f"{path}: programme is {rules.programme}"


def test_there_are_rule_files() -> None:
    assert len(_files()) >= 1


@pytest.mark.parametrize(("rules", "case"), _collected())
def test_case(rules: RuleFile, case: Case) -> None:
    programme = CATALOGUE.programme(rules.programme)
    readiness = _run(rules, case)
    expect = case.expect
    version = programme.version_on(case.date)
    assert _cited(programme, version, rules.cites), (
        f"{rules.cites!r} is not a source of {rules.programme} on {case.date}"
    )
    if expect.not_in_force:
        assert readiness is None, f"a version is in force on {case.date}"
        return
    assert readiness is not None, f"no version of {rules.programme} is in force on {case.date}"
    tiers = {t.id: t for t in readiness.tiers}
    if expect.version is not None:
        assert readiness.version.version == expect.version
    if expect.best_tier != "-":
        assert readiness.best_tier == expect.best_tier, _why(readiness)
    if expect.reachable is not None:
        assert [t.id for t in readiness.tiers if t.reachable] == expect.reachable, _why(readiness)
    for tier, years in expect.validity_years.items():
        assert tiers[tier].validity_years == years
    if expect.no_expiry is not None:
        assert [t.id for t in readiness.tiers if t.no_expiry] == expect.no_expiry
    for tier, texts in expect.eligibility.items():
        for text in texts:
            assert any(_has(reason, text) for reason in tiers[tier].eligibility), (
                f"{text!r} not among {tiers[tier].eligibility}"
            )
    for tier, texts in expect.gates.items():
        shut = [g.text for g in tiers[tier].gates if not g.passed]
        for text in texts:
            assert any(_has(g, text) for g in shut), f"{text!r} not among shut gates {shut}"
    provisions = [p.text for p in readiness.msme_provisions]
    for text in expect.msme_provisions:
        assert any(_has(p, text) for p in provisions), f"{text!r} not among {provisions}"
    if expect.self_review:
        rule = readiness.version.self_review
        assert rule is not None, "the version has no self-review rule"
        for key, value in expect.self_review.items():
            assert _plain(getattr(rule, key)) == value, key


def _has(text: str, part: str) -> bool:
    """``part`` is in ``text``, whatever the case (the engine capitalises a note's first
    letter)."""
    return part.casefold() in text.casefold()


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _why(readiness: ProgrammeReadiness) -> str:
    lines = []
    for tier in readiness.tiers:
        shut = [g.text for g in tier.gates if not g.passed]
        lines.append(f"{tier.id}: reachable={tier.reachable} refused={tier.eligibility} {shut}")
    return "\n".join(lines)
