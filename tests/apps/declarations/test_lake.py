"""Declarations exported to the lake are the declarations on record, month by month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations import lake
from greenlane.apps.declarations.models import Declaration
from greenlane.cli import CommandError, app
from greenlane.core import lake as core_lake
from tests import factories

pytestmark = pytest.mark.django_db


def _lake(root: Path) -> list[tuple[object, ...]]:
    sql = (
        "SELECT year, month, number, declarant_code, seller_code, quantity, customs_value, "
        "attributes::JSON ->> 'note', inspected_on, fraud_found, revenue_recovered "
        "FROM read_parquet(?, hive_partitioning = true) ORDER BY number"
    )
    return duckdb.execute(sql, [core_lake.pattern(root, lake.DATASET)]).fetchall()


def _world() -> list[Declaration]:
    importer = factories.operator()
    made = [
        factories.declaration(
            importer, number="A1", declaration_date=date(2025, 1, 31),
            attributes={"note": 'a "quoted", comma\nnewline é'}, quantity=None,
        ),
        factories.declaration(
            importer, number="A2", declaration_date=date(2025, 2, 1), declarant_code="",
            seller_code="", customs_value=Decimal("1234567.89"),
        ),
        factories.declaration(importer, number="A3", declaration_date=date(2025, 2, 28)),
    ]  # fmt: skip
    factories.inspection(made[1], fraud=True, revenue="250.40")
    return made


def test_an_export_holds_every_declaration_of_its_months_with_its_result(tmp_path: Path) -> None:
    _world()
    done = lake.export(tmp_path)
    assert done.months == {"2025-01": 1, "2025-02": 2}
    rows = _lake(tmp_path)
    assert [r[:3] for r in rows] == [(2025, 1, "A1"), (2025, 2, "A2"), (2025, 2, "A3")]
    a1, a2, a3 = rows
    assert a1[5] is None
    assert a1[7] == 'a "quoted", comma\nnewline é'
    assert a1[8] is None
    assert (a2[3], a2[4]) == ("", "")  # a blank code stays blank, not missing
    assert a2[6] == Decimal("1234567.89")
    assert (a2[9], a2[10]) == (True, Decimal("250.40"))
    assert a3[9] is None
    event = AuditEvent.objects.get(action="declarations.exported")
    assert event.data["months"] == {"2025-01": 1, "2025-02": 2}


def test_exporting_a_period_again_replaces_its_months_and_leaves_the_others(
    tmp_path: Path,
) -> None:
    made = _world()
    lake.export(tmp_path)
    made[2].delete()
    factories.declaration(factories.operator(), number="A4", declaration_date=date(2025, 2, 10))
    again = lake.export(tmp_path, since=date(2025, 2, 1), until=date(2025, 2, 28))
    assert again.months == {"2025-02": 2}
    assert [r[2] for r in _lake(tmp_path)] == ["A1", "A2", "A4"]


def test_the_command_exports_and_refuses_a_bad_date_in_one_line(tmp_path: Path) -> None:
    _world()
    runner = CliRunner()
    result = runner.invoke(app, ["lake", "export", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2025-02" in result.output
    assert len(_lake(tmp_path)) == 3
    bad = runner.invoke(app, ["lake", "export", "--to", str(tmp_path), "--since", "2025-13-01"])
    assert isinstance(bad.exception, CommandError)
    assert "not a date" in str(bad.exception)


def test_the_command_names_a_folder_it_cannot_write_in_one_line(tmp_path: Path) -> None:
    _world()
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    result = CliRunner().invoke(app, ["lake", "export", "--to", str(blocked / "lake")])
    assert isinstance(result.exception, CommandError)
    assert str(blocked) in str(result.exception)
    assert blocked.read_text() == "not a folder"
