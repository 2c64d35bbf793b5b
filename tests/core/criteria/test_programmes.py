"""Case tests for the shipped programmes, one sentence each, through the baseline answers."""

from __future__ import annotations

from datetime import date

from greenlane.core.criteria.engine import Profile, ProgrammeReadiness, assess
from greenlane.core.criteria.loader import shipped

CATALOGUE = shipped()
ALL_MET = {r.id: "met" for r in CATALOGUE.baseline.requirements}
TODAY = date(2026, 6, 1)
IMPORTER = frozenset({"importer"})


def readiness(
    programme: str,
    changes: dict[str, str] | None = None,
    on: date = TODAY,
    **facts: object,
) -> ProgrammeReadiness:
    facts.setdefault("operator_types", IMPORTER)
    facts.setdefault("years_in_business", 10.0)
    facts.setdefault("declarations_per_year", 500)
    answers = ALL_MET | (changes or {})
    result = assess(CATALOGUE, answers, Profile(**facts), on, [programme])  # type: ignore[arg-type]
    return result.programme(programme)


def reachable(p: ProgrammeReadiness) -> list[str]:
    return [t.id for t in p.tiers if t.reachable]


# --- EU ------------------------------------------------------------------------------------


def test_eu_without_security_measures_gives_aeoc_but_not_aeos() -> None:
    p = readiness("eu-aeo", {"SEC-PREMISES": "not_met", "SEC-ACCESS": "not_met"})
    assert reachable(p) == ["AEOC"]


def test_eu_without_practical_competence_gives_aeos_but_not_aeoc() -> None:
    assert reachable(readiness("eu-aeo", {"COMPETENCE": "not_met"})) == ["AEOS"]


def test_eu_a_serious_infringement_two_years_ago_rules_out_every_authorisation() -> None:
    assert readiness("eu-aeo", years_since_serious_infringement=2.0).best_tier is None
    assert readiness("eu-aeo", years_since_serious_infringement=3.0).best_tier == "AEOC-AEOS"


def test_eu_the_day_before_the_union_customs_code_applied_the_2008_rules_apply() -> None:
    assert readiness("eu-aeo", on=date(2016, 4, 30)).version.version == "2008-ccc"
    assert readiness("eu-aeo", on=date(2016, 5, 1)).version.version == "2016-ucc"


# --- India ---------------------------------------------------------------------------------


def test_india_an_msme_with_2_years_in_business_meets_the_msme_eligibility_only() -> None:
    small = {"years_in_business": 2.0, "declarations_per_year": 12}
    assert readiness("in-aeo", msme=True, **small).best_tier == "T2"
    general = readiness("in-aeo", msme=False, **small)
    assert general.best_tier is None
    assert "3 years in business needed, 2 stated" in general.tiers[0].eligibility


def test_india_before_the_msme_circular_a_small_importer_gets_no_tier() -> None:
    small = {"years_in_business": 2.0, "declarations_per_year": 12, "msme": True}
    assert readiness("in-aeo", on=date(2020, 12, 14), **small).best_tier is None
    assert readiness("in-aeo", on=date(2020, 12, 15), **small).best_tier == "T2"


def test_india_t3_keeps_the_general_eligibility_even_for_an_msme() -> None:
    p = readiness("in-aeo", msme=True, years_in_business=2.0, declarations_per_year=12)
    t3 = next(t for t in p.tiers if t.id == "T3")
    assert not t3.reachable
    assert t3.eligibility


def test_india_the_logistics_tier_is_open_to_carriers_not_to_importers() -> None:
    assert "LO" not in reachable(readiness("in-aeo"))
    assert reachable(readiness("in-aeo", operator_types=frozenset({"carrier"}))) == ["LO"]


# --- US CTPAT ------------------------------------------------------------------------------


def test_ctpat_an_importer_meeting_every_criterion_reaches_tier_3() -> None:
    assert readiness("us-ctpat").best_tier == "tier-3"


def test_ctpat_tier_2_needs_an_on_site_validation_the_self_test_cannot_show() -> None:
    tier_2 = readiness("us-ctpat").tiers[1]
    assert tier_2.reachable
    assert any("valid" in step.lower() for step in tier_2.procedure)


def test_ctpat_an_unmet_must_criterion_blocks_every_tier() -> None:
    p = readiness("us-ctpat", {"SEC-CARGO": "not_met"})
    assert p.best_tier is None
    assert any(c.criterion.level == "must" for c in p.unmet)


def test_ctpat_is_a_programme_for_importers_not_exporters() -> None:
    p = readiness("us-ctpat", operator_types=frozenset({"exporter"}))
    assert p.best_tier is None


# --- China ---------------------------------------------------------------------------------

CN_2014 = date(2016, 1, 1)


def test_china_2014_three_items_basically_met_score_97_and_pass() -> None:
    partly = {"COMPETENCE": "partly", "REC-LOGISTICS": "partly", "SEC-IT": "partly"}
    p = readiness("cn-aeo", partly, on=CN_2014)
    assert p.groups[0].score == 97
    assert p.best_tier == "advanced"


def test_china_2014_a_score_of_93_fails() -> None:
    partly = {"COMP-RECORD": "partly", "COMPETENCE": "partly", "REC-LOGISTICS": "partly"}
    p = readiness("cn-aeo", partly | {"SEC-IT": "partly"}, on=CN_2014)
    assert p.groups[0].score == 93
    assert p.best_tier is None


def test_china_2014_one_item_not_met_fails_even_at_98() -> None:
    p = readiness("cn-aeo", {"SEC-IT": "not_met"}, on=CN_2014)
    assert p.groups[0].score == 98
    assert p.best_tier is None


def test_china_order_282_follows_order_251_without_a_gap() -> None:
    assert readiness("cn-aeo", on=date(2026, 3, 31)).version.version == "2021-decree-251"
    assert readiness("cn-aeo", on=date(2026, 4, 1)).version.version == "2026-order-282"
    assert readiness("cn-aeo", on=date(2026, 11, 30)).version.version == "2026-order-282"


def test_every_programme_is_in_force_today_or_says_when_it_ended() -> None:
    for programme in CATALOGUE.programmes.values():
        last = max(programme.versions, key=lambda v: v.valid_from)
        assert programme.version_on(date.today()) is not None or last.valid_to is not None, (
            programme.id
        )


# --- Japan ---------------------------------------------------------------------------------


def test_japan_certifies_each_operator_type_separately() -> None:
    both = readiness("jp-aeo", operator_types=frozenset({"importer", "warehouse_operator"}))
    assert reachable(both) == ["importer", "warehouse-operator"]
    assert reachable(readiness("jp-aeo", operator_types=frozenset({"exporter"}))) == ["exporter"]


def test_japan_an_infringement_two_years_ago_bars_the_importer_type_only() -> None:
    p = readiness(
        "jp-aeo",
        operator_types=frozenset({"importer", "exporter"}),
        years_since_serious_infringement=2.0,
    )
    assert reachable(p) == ["exporter"]


# --- WTO TFA, WCO SAFE, Korea ---------------------------------------------------------------


def test_tfa_meeting_every_requirement_meets_the_baseline_and_supply_chain_security_counts() -> (
    None
):
    assert readiness("wto-tfa").best_tier == "baseline"
    assert readiness("wto-tfa", {"SEC-CARGO": "not_met"}).best_tier is None


def test_safe_an_unmet_condition_such_as_crisis_management_blocks_the_aeo_status() -> None:
    assert readiness("wco-safe").best_tier == "SAFE-AEO"
    assert readiness("wco-safe", {"SEC-INCIDENTS": "partly"}).best_tier is None


def test_korea_internal_control_85_and_legal_compliance_91_give_grade_aa() -> None:
    scores = {"kr-aeo": {"internal_control": 85, "legal_compliance": 91}}
    assert readiness("kr-aeo", scores=scores).best_tier == "AA"
