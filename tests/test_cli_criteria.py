"""`greenlane catalogue check|list` and `greenlane assess`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from greenlane.cli import app
from greenlane.core.criteria.loader import shipped_root
from tests.core.criteria.test_loader import GOOD

runner = CliRunner()


def test_catalogue_check_passes_the_shipped_catalogue_and_a_good_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalogue", "check"])
    assert result.exit_code == 0, result.output
    assert "OK kr-aeo" in result.output
    mine = tmp_path / "mine.yaml"
    mine.write_text(GOOD)
    result = runner.invoke(app, ["catalogue", "check", str(mine)])
    assert result.exit_code == 0, result.output
    assert "OK demo" in result.output


def test_catalogue_check_names_file_line_and_reason_and_exits_2(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(GOOD.replace("maps_to: [COMP-RECORD]", "maps_to: [COMP-NOPE]"))
    result = runner.invoke(app, ["catalogue", "check", str(mine)])
    assert result.exit_code == 2
    line = next(i for i, t in enumerate(mine.read_text().splitlines(), 1) if "COMP-NOPE" in t)
    assert f"mine.yaml:{line}:" in result.output
    assert "unknown baseline requirement 'COMP-NOPE'" in result.output


def test_catalogue_list_shows_every_programme() -> None:
    result = runner.invoke(app, ["catalogue", "list"])
    assert result.exit_code == 0
    for path in (shipped_root() / "programmes").glob("*.yaml"):
        assert path.stem in result.output


ANSWERS = """\
date: 2026-06-01
profile:
  years_in_business: 2
  declarations_per_year: 12
  msme: true
  operator_types: [importer]
answers:
{answers}
"""


def _answers_file(tmp_path: Path, **changes: str) -> Path:
    from greenlane.core.criteria.loader import shipped

    lines = [f"  {r.id}: {changes.get(r.id, 'met')}" for r in shipped().baseline.requirements]
    path = tmp_path / "answers.yaml"
    path.write_text(ANSWERS.format(answers="\n".join(lines)))
    return path


def test_assess_prints_json_for_a_programme(tmp_path: Path) -> None:
    path = _answers_file(tmp_path, **{"SEC-PERSONNEL": "partly"})
    result = runner.invoke(app, ["assess", str(path), "--programme", "in-aeo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (india,) = data["programmes"]
    assert (
        india["best_tier"] == "T1"
    )  # an MSME; personnel security partly met keeps T2 out of reach
    assert data["gaps"][0]["requirement"] == "SEC-PERSONNEL"
    assert "in-aeo:T2" in data["gaps"][0]["unlocks"]


def test_assess_writes_a_pdf(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = runner.invoke(app, ["assess", str(_answers_file(tmp_path)), "--pdf", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_assess_names_bad_answers_by_line_and_unknown_programmes(tmp_path: Path) -> None:
    path = _answers_file(tmp_path, **{"COMP-RECORD": "na"})
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert "answers.yaml:" in result.output
    assert "cannot be 'na'" in result.output
    result = runner.invoke(app, ["assess", str(_answers_file(tmp_path)), "--programme", "xx"])
    assert result.exit_code != 0
    assert "no programme 'xx'" in str(result.exception or result.output)
