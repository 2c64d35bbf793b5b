"""`greenlane trs run`: event files in, a report (HTML or PDF) and a result document out."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from greenlane.cli import CommandError, app
from tests.core.trs.cases import consignments

runner = CliRunner()


def test_it_writes_the_report_and_compares_with_an_earlier_study(tmp_path: Path) -> None:
    events = tmp_path / "events.parquet"
    pq.write_table(consignments(), events)
    first = runner.invoke(
        app,
        [
            "trs", "run", str(events), "--out", str(tmp_path / "r.html"),
            "--json", str(tmp_path / "r.json"), "--targets", "3, 6", "--max-hours", "50",
            "--replicates", "20", "--rate", "XVI=0.8,1.5,2.1", "--rate", "0.5,1,2",
        ],
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "4 consignments measured" in first.output
    assert "1 outliers excluded" in first.output
    assert "mean 5.0 h" in first.output
    html = (tmp_path / "r.html").read_text()
    assert "vegaEmbed" in html
    assert "<h1>Time Release Study</h1>" in html
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["metrics"]["consignments"] == 4
    assert document["effect"]["settings"]["rates"] == {"*": [0.5, 1.0, 2.0], "XVI": [0.8, 1.5, 2.1]}

    second = runner.invoke(
        app,
        [
            "trs", "run", str(events), "--out", str(tmp_path / "r.pdf"),
            "--previous", str(tmp_path / "r.json"), "--max-hours", "50", "--replicates", "20",
        ],
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    cases = [
        (["trs", "run", str(tmp_path / "missing.csv"), "--out", "r.html"], "no such file"),
        (["trs", "run", __file__, "--out", "r.docx"], "must name a .html or .pdf"),
        (["trs", "run", __file__, "--out", "r.html", "--engine", "oracle"], "unknown engine"),
        (["trs", "run", __file__, "--out", "r.html"], "unsupported file type"),
        (["trs", "run", __file__, "--out", "r.html", "--rate", "Z=1,2,3"], "not an HS section"),
    ]
    for args, words in cases:
        result = runner.invoke(app, args)
        assert isinstance(result.exception, CommandError), (args, result.output)
        assert words in str(result.exception)
