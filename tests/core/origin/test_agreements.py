"""The agreements data file: cited, dated, checked at load; unknown terms refuse nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenlane.cli import app
from greenlane.core.criteria.loader import CatalogueError
from greenlane.core.origin.agreements import load_agreements, shipped_agreements, terms
from greenlane.core.origin.claims import match
from tests.core.origin.test_claims import certificate, claim

GOOD = """\
agreements:
  - id: XX-YY
    title: An agreement between two parties
    parties: [KR, CN]
    in_force: 2015-12
    proof_of_origin: [authority]
    validity_months: 12
    retroactive: {allowed: true, within_months: 12}
    third_country_invoicing: unknown
    verification: {reply_within_months: unknown, deny_without_reply: unknown}
    exchange: unknown
    sources:
      - {title: The text, url: "https://example.org/text", kind: official, articles: ["3.15"]}
    checked: 2026-12-07
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "agreements.yaml"
    path.write_text(text)
    try:
        load_agreements(path)
    except CatalogueError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_the_shipped_agreements_are_the_five_the_issue_names_each_cited() -> None:
    agreements = {a.id: a for a in shipped_agreements()}
    assert set(agreements) == {"KR-CN", "AKFTA", "ATIGA", "RCEP", "CPTPP"}
    for agreement in agreements.values():
        assert agreement.sources
        assert agreement.checked <= dt.date.today()
        assert any(s.kind in ("official", "mirror") for s in agreement.sources), agreement.id


def test_what_a_source_says_is_a_term_and_what_none_says_is_unknown() -> None:
    by_id = terms()
    assert by_id["KR-CN"].validity_months == 12  # Art. 3.15.3
    assert by_id["KR-CN"].retroactive_allowed is True  # Art. 3.15.4
    assert by_id["RCEP"].validity_months == 12  # Art. 3.16.6
    assert by_id["AKFTA"].validity_months is None  # not read: unknown
    assert by_id["CPTPP"].third_country_invoicing is None


def test_an_unknown_term_never_refuses_a_claim() -> None:
    """Under AKFTA (validity unknown) a certificate six years old is not refused as expired;
    retroactive issue (unknown under AKFTA) is a remark."""
    old = certificate(agreement="AKFTA", issue_date=dt.date(2020, 1, 1), retroactive=True)
    (outcome,) = match([claim(agreement="AKFTA", quantity=Decimal(1))], {"KR-1": old}, terms())
    assert outcome.result == "covered"
    assert outcome.remarks == ("retroactive",)


def test_a_good_record_loads(tmp_path: Path) -> None:
    assert _problems(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("parties: [KR, CN]", "parties: [KR, XQ]"), "not an ISO 3166 country code"),
        (("parties: [KR, CN]", "parties: [KR, KR]"), "a party is listed twice"),
        (("in_force: 2015-12", "in_force: 2015-13"), "is not a date"),
        (("validity_months: 12", "validity_months: a year"), "validity_months"),
        (("kind: official", "kind: blog"), "kind"),
        (("allowed: true", "allowed: false"), "not allowed, yet has a time limit"),
        (("id: XX-YY", "id: xx yy"), "id"),
    ],
)
def test_a_bad_record_is_refused_with_its_line_and_reason(
    tmp_path: Path, change: tuple[str, str], words: str
) -> None:
    old, new = change
    problems = _problems(tmp_path, GOOD.replace(old, new, 1))
    assert problems
    assert any(words in p for p in problems), problems
    line = next(n for n, text in enumerate(GOOD.splitlines(), 1) if old in text)
    assert any(p.startswith(f"{tmp_path / 'agreements.yaml'}:{line}:") for p in problems), problems


def test_an_agreement_is_recorded_once(tmp_path: Path) -> None:
    record = GOOD.split("agreements:\n", 1)[1]
    (problem,) = _problems(tmp_path, GOOD + record)
    assert "duplicate id 'XX-YY'" in problem


def test_catalogue_check_checks_an_agreements_file(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "agreements.yaml"
    path.write_text(GOOD)
    good = runner.invoke(app, ["catalogue", "check", str(path)])
    assert good.exit_code == 0
    assert "1 agreements, each cited and dated" in good.output
    path.write_text(GOOD.replace("kind: official", "kind: blog"))
    bad = runner.invoke(app, ["catalogue", "check", str(path)])
    assert bad.exit_code == 2
    assert "agreements.yaml:" in bad.stderr


def test_origin_agreements_lists_the_terms_and_says_unknown() -> None:
    result = CliRunner().invoke(app, ["origin", "agreements"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if "AKFTA" in line)
    assert "unknown" in row
    assert "2 months" in row
