"""A catalogue file with a mistake does not load; the error names file, line and reason."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from greenlane.core.criteria.loader import CatalogueError, check, load_catalogue
from tests.core.risk.test_hostile_files import billion_laughs

from .helpers import SHIPPED, catalogue_of

GOOD = """\
id: demo
title: Demo programme
authority: Demo customs
jurisdiction: ZZ
kind: national
versions:
  - version: "2020"
    valid_from: 2020-01-01
    valid_to: 2023-12-31
    coverage: complete
    sources:
      - {id: law, title: Demo customs law, url: "https://example.org/law"}
    groups:
      - {id: comp, title: Compliance}
    criteria:
      - id: D-1
        group: comp
        title: Compliance record
        text: No serious infringements in three years.
        maps_to: [COMP-RECORD]
        reference: {source: law, locator: "Art. 1"}
    eligibility:
      min_years_in_business: 3
      reference: {source: law}
    tiers:
      - id: T1
        title: Tier one
        gates:
          - score: comp
            min: 80
            reference: {source: law, locator: "Art. 2"}
        reference: {source: law}
"""
SECOND_VERSION = """\
  - version: "2024"
    valid_from: 2024-01-01
    coverage: complete
    sources:
      - {id: law, title: Demo customs law, url: "https://example.org/law"}
    groups:
      - {id: comp, title: Compliance}
    criteria:
      - id: D-1
        group: comp
        title: Compliance record
        text: No serious infringements in two years.
        maps_to: [COMP-RECORD]
        reference: {source: law, locator: "Art. 1"}
    eligibility:
      min_years_in_business: 2
      reference: {source: law}
    tiers:
      - id: T1
        title: Tier one
        gates:
          - score: comp
            min: 80
            reference: {source: law, locator: "Art. 2"}
        reference: {source: law}
"""


def _check(tmp_path: Path, text: str) -> CatalogueError:
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError) as caught:
        check([path])
    return caught.value


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_it_loads_a_correct_file_with_two_dated_versions(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(GOOD + SECOND_VERSION)
    (programme,) = check([path])
    assert [v.version for v in programme.versions] == ["2020", "2024"]


@pytest.mark.parametrize(
    ("old", "new", "marker", "reason"),
    [
        (
            "coverage: complete\n    sources",
            "coverage: complete\n    colour: red\n    sources",
            "colour: red",
            "versions.0.colour: unknown field",
        ),
        (
            "maps_to: [COMP-RECORD]",
            "maps_to: [COMP-RECORD, COMP-TELEPATHY]",
            "COMP-TELEPATHY",
            "maps to unknown baseline requirement 'COMP-TELEPATHY'",
        ),
        (
            "            min: 80",
            "            min: 180",
            "min: 180",
            "threshold 180 is out of range 0..100",
        ),
        ("group: comp\n", "group: finance\n", "group: finance", "unknown group 'finance'"),
        (
            'reference: {source: law, locator: "Art. 1"}',
            "reference: {source: gazette}",
            "source: gazette",
            "cites unknown source 'gazette'",
        ),
        (
            "  min_years_in_business: 3",
            "  min_years_in_business: -1",
            "min_years_in_business: -1",
            "greater than or equal to 0",
        ),
        (
            "coverage: complete",
            "coverage: partial",
            '- version: "2020"',
            "a partial version must say what is 'missing'",
        ),
        (
            "          - score: comp\n",
            "          - score: comp\n" + 12 * " " + "criteria: {}\n",
            "- score: comp",
            "a gate has exactly one of 'score', 'criteria' or 'share'",
        ),
        (
            "title: Tier one",
            "title: Tier one\n        title: Tier uno",
            "title: Tier uno",
            "duplicate key 'title'",
        ),
        ("jurisdiction: ZZ", "jurisdiction: Zedland", "jurisdiction", "two-letter code"),
        (  # YAML reads it as a date, the calendar has no such day: a line, not a traceback
            "valid_from: 2020-01-01",
            "valid_from: 2020-02-30",
            "valid_from: 2020-02-30",
            "'2020-02-30' is not a date",
        ),
    ],
)
def test_it_names_file_line_and_reason(
    tmp_path: Path, old: str, new: str, marker: str, reason: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    error = _check(tmp_path, text)
    (problem,) = error.problems
    assert problem.file.endswith("demo.yaml")
    assert problem.line == _line_of(text, marker)
    assert reason in problem.reason
    assert f"demo.yaml:{problem.line}:" in str(error)


def test_it_rejects_a_duplicate_criterion_id(tmp_path: Path) -> None:
    duplicate = """      - id: D-1
        group: comp
        title: Records
        text: Records that customs can audit.
        maps_to: [REC-SYSTEM]
        reference: {source: law}
    eligibility:"""
    text = GOOD.replace("    eligibility:", duplicate, 1)
    (problem,) = _check(tmp_path, text).problems
    assert problem.reason == "versions.0.criteria.1.id: duplicate criterion id 'D-1'"
    assert problem.line == _line_of(text, "title: Records") - 2


def test_it_rejects_overlapping_rule_dates(tmp_path: Path) -> None:
    text = GOOD + SECOND_VERSION.replace("valid_from: 2024-01-01", "valid_from: 2023-06-01")
    (problem,) = _check(tmp_path, text).problems
    assert "version 2024 overlaps version 2020" in problem.reason
    assert problem.line == _line_of(text, "valid_from: 2023-06-01")


def test_it_rejects_an_open_ended_version_followed_by_another(tmp_path: Path) -> None:
    text = GOOD.replace("    valid_to: 2023-12-31\n", "") + SECOND_VERSION
    (problem,) = _check(tmp_path, text).problems
    assert "overlaps" in problem.reason


def test_it_rejects_a_gate_selecting_nothing_and_an_unknown_criterion(tmp_path: Path) -> None:
    gate = "          - score: comp\n            min: 80\n"
    text = GOOD.replace(gate, "          - criteria: {ids: [D-9]}\n", 1)
    reasons = [p.reason for p in _check(tmp_path, text).problems]
    assert any("unknown criterion 'D-9'" in r for r in reasons)
    assert any("selects no criteria" in r for r in reasons)


def test_it_reports_broken_yaml_with_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("kind: national", "kind: [national")
    (problem,) = _check(tmp_path, text).problems
    assert problem.reason.startswith("not valid YAML")
    assert problem.line > 1


def test_it_reports_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("maps_to: [COMP-RECORD]", "maps_to: [NOPE]").replace("min: 80", "min: 101")
    assert len(_check(tmp_path, text).problems) == 2


def test_a_whole_catalogue_refuses_to_load_when_one_file_is_broken(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as caught:
        catalogue_of(tmp_path, "kr-aeo.yaml", extra={"broken.yaml": GOOD.replace("ZZ", "zz")})
    assert "broken.yaml" in str(caught.value)


def test_it_rejects_two_files_with_the_same_programme_id(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="duplicate programme id 'demo'"):
        catalogue_of(tmp_path, extra={"a.yaml": GOOD, "b.yaml": GOOD})


def test_the_baseline_is_checked_as_strictly(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    (root / "programmes").mkdir(parents=True)
    text = (SHIPPED / "baseline.yaml").read_text().replace("group: finance", "group: money", 1)
    (root / "baseline.yaml").write_text(text)
    with pytest.raises(CatalogueError, match="unknown group 'money'"):
        load_catalogue(root)


def test_it_rejects_an_operator_type_listed_twice(tmp_path: Path) -> None:
    text = GOOD.replace(
        "        maps_to: [COMP-RECORD]",
        "        operator_types: [importer, importer]\n        maps_to: [COMP-RECORD]",
    )
    (problem,) = _check(tmp_path, text).problems
    assert "an operator type is listed twice" in problem.reason
    assert problem.line == _line_of(text, "operator_types")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (billion_laughs(), "more than 100,000 values, aliases counted"),
        ("a: &a [x, *a]\n", "nested deeper than 32 levels, aliases counted"),
        ("a: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested deeper than 32 levels"),
    ],
)
def test_it_refuses_an_alias_bomb_or_a_bottomless_file_at_once(
    tmp_path: Path, text: str, reason: str
) -> None:
    """Aliases stay allowed (a dated version may repeat the one before), but bounded: a
    catalogue or self-test file comes from a person's disk."""
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    started = time.monotonic()
    with pytest.raises(CatalogueError, match=reason):
        check([path])
    assert time.monotonic() - started < 2
