"""Months moved out of the database to the lake (``lake.retire``): only once the lake holds
them as the database does; their results, corrections and scores leave with them, the
running totals follow, the lake's file becomes the record; no ingest or export touches a
retired month again."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations import ingest, lake
from greenlane.apps.declarations.models import (
    Declaration,
    Inspection,
    InspectionCorrection,
    RetiredMonth,
)
from greenlane.apps.tallies import services as tallies
from greenlane.apps.targeting import lake as decisions_lake
from greenlane.apps.targeting.models import ChannelDecision, Score, SelectivityPolicy
from greenlane.cli import CommandError, app
from greenlane.core import lake as core_lake
from greenlane.core.errors import Refused
from tests import factories
from tests.core.risk.rows import MAPPING, good_row, write_csv

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 7)  # the newest month a retirement may reach: 2024-12


def _lake_numbers(root: Path) -> list[str]:
    sql = "SELECT number FROM read_parquet(?, hive_partitioning = true) ORDER BY number"
    return [r[0] for r in duckdb.execute(sql, [core_lake.pattern(root, lake.DATASET)]).fetchall()]


def _world() -> dict[str, Declaration]:
    importer = factories.operator()
    made = {
        number: factories.declaration(importer, number=number, declaration_date=day)
        for number, day in (
            ("J1", date(2023, 1, 1)), ("J2", date(2023, 1, 31)), ("F1", date(2023, 2, 1)),
        )
    }  # fmt: skip
    result = factories.inspection(made["J2"], fraud=True, revenue="125.50")
    InspectionCorrection.objects.create(
        inspection=result, reason="typo", before={"fraud_found": False}, after={}
    )
    factories.inspection(made["F1"])
    version = factories.model_version()
    policy = SelectivityPolicy.objects.create(
        office_code="ICN1", version=1, capacity=20, documentary_capacity=10, expected_daily=200
    )
    for d in made.values():
        Score.objects.create(
            declaration=d, model_version=version, probability=0.5, revenue_at_stake=Decimal(1)
        )
        ChannelDecision.objects.create(
            number=d.number, office_code="ICN1", declaration_date=d.declaration_date,
            importer_code=d.importer_code, channel="red", probability=0.5, score=0.5,
            revenue_at_stake=1.0, reasons=["risk score 50%"], policy=policy,
            model_version=version,
        )  # fmt: skip
    return made


def _decisions_in_lake(root: Path) -> list[str]:
    sql = "SELECT number FROM read_parquet(?, hive_partitioning = true) ORDER BY number"
    pattern = core_lake.pattern(root, decisions_lake.DATASET)
    return [r[0] for r in duckdb.execute(sql, [pattern]).fetchall()]


def test_a_month_in_the_lake_leaves_the_database_with_all_that_hangs_on_it(
    tmp_path: Path,
) -> None:
    _world()
    exported = lake.export(tmp_path)
    assert exported.others == {decisions_lake.DATASET: 3}
    assert _decisions_in_lake(tmp_path) == ["F1", "J1", "J2"]
    reasons = duckdb.execute(
        "SELECT DISTINCT reasons FROM read_parquet(?, hive_partitioning = true)",
        [core_lake.pattern(tmp_path, decisions_lake.DATASET)],
    ).fetchall()
    assert reasons == [('["risk score 50%"]',)]  # JSON columns as their text
    done = lake.retire(tmp_path, date(2023, 1, 31), today=TODAY)
    assert done.months == {"2023-01": 2}
    assert (done.inspections, done.scores, done.channel_decisions) == (1, 2, 2)
    # The month's decisions left with it; the others stay as they were.
    assert list(ChannelDecision.objects.values_list("number", "waiting")) == [("F1", False)]
    assert sorted(Declaration.objects.values_list("number", flat=True)) == ["F1"]
    assert Inspection.objects.count() == 1
    assert InspectionCorrection.objects.count() == 0
    assert Score.objects.count() == 1
    assert not any(tallies.differences().values())  # the running totals followed
    assert _lake_numbers(tmp_path) == ["F1", "J1", "J2"]  # the lake keeps the month
    retired = RetiredMonth.objects.get()
    assert retired.month == date(2023, 1, 1)
    counted = (retired.declarations, retired.inspections, retired.scores, retired.corrections,
               retired.channel_decisions)  # fmt: skip
    assert counted == (2, 1, 2, 1, 2)
    assert retired.sha256 == hashlib.sha256(Path(retired.file).read_bytes()).hexdigest()
    event = AuditEvent.objects.get(action="declarations.retired")
    assert event.data["month"] == "2023-01"
    assert event.data["declarations"] == 2


def test_a_missing_or_stale_file_refuses_before_anything_leaves(tmp_path: Path) -> None:
    _world()
    with pytest.raises(Refused, match="not in the lake"):
        lake.retire(tmp_path, date(2023, 2, 28), today=TODAY)
    lake.export(tmp_path, until=date(2023, 1, 31))
    with pytest.raises(Refused, match="2023-02 is not in the lake"):
        lake.retire(tmp_path, date(2023, 2, 28), today=TODAY)
    lake.export(tmp_path)
    late = factories.declaration(factories.operator(), number="J3",
                                 declaration_date=date(2023, 1, 15))  # fmt: skip
    with pytest.raises(Refused, match="differs from the database"):
        lake.retire(tmp_path, date(2023, 2, 28), today=TODAY)
    assert Declaration.objects.count() == 4
    assert not RetiredMonth.objects.exists()
    lake.export(tmp_path)  # the declarations agree again; a decision given since does not
    ChannelDecision.objects.filter(number="J1").update(declaration_date=date(2023, 2, 2))
    with pytest.raises(Refused, match="channel decisions for 2023-0"):
        lake.retire(tmp_path, date(2023, 2, 28), today=TODAY)
    assert ChannelDecision.objects.count() == 3
    factories.inspection(late)  # a result recorded after the export differs too
    lake.export(tmp_path, until=date(2023, 1, 31))
    Inspection.objects.filter(declaration=late).update(fraud_found=True)
    with pytest.raises(Refused, match="differs from the database"):
        lake.retire(tmp_path, date(2023, 1, 31), today=TODAY)
    assert Declaration.objects.count() == 4


@pytest.mark.parametrize("dataset", [lake.DATASET, decisions_lake.DATASET])
def test_a_damaged_file_is_named_and_nothing_leaves(tmp_path: Path, dataset: str) -> None:
    _world()
    lake.export(tmp_path)
    part = tmp_path / dataset / "year=2023" / "month=1" / core_lake.PART
    part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])  # cut short
    with pytest.raises(Refused, match="cannot be read") as refused:
        lake.retire(tmp_path, date(2023, 1, 31), today=TODAY)
    assert str(part) in str(refused.value)
    assert Declaration.objects.count() == 3
    assert ChannelDecision.objects.count() == 3
    assert not RetiredMonth.objects.exists()


def test_the_recent_months_stay_in_the_database(tmp_path: Path) -> None:
    assert lake.newest_retirable(TODAY) == date(2024, 12, 31)
    assert lake.newest_retirable(date(2027, 1, 1)) == date(2025, 1, 31)
    with pytest.raises(Refused, match="the last 24 months stay in the database"):
        lake.retire(tmp_path, date(2025, 1, 1), today=TODAY)


def test_a_late_declaration_of_a_retired_month_is_rejected_with_its_reason(
    tmp_path: Path,
) -> None:
    factories.declaration(factories.operator(), number="OLD", declaration_date=date(2025, 1, 9))
    lake.export(tmp_path)
    lake.retire(tmp_path, date(2025, 1, 31), today=date(2027, 2, 1))
    rows = [good_row(i) for i in range(1, 4)]  # dated 2025-02-02, 2025-03-03, 2025-04-04
    rows[1]["Date"] = "2025-01-20"
    result = ingest.ingest(write_csv(tmp_path / "late.csv", rows), MAPPING)
    assert (result.rows_accepted, result.rows_rejected) == (2, 1)
    [rejected] = result.batch.rejected_rows.all()
    assert rejected.row == 2
    assert "in a month moved to the Parquet lake" in str(rejected.reason)
    assert not Declaration.objects.filter(declaration_date__lt=date(2025, 2, 1)).exists()


def test_an_export_never_writes_a_retired_months_file_again(tmp_path: Path) -> None:
    _world()
    lake.export(tmp_path)
    lake.retire(tmp_path, date(2023, 1, 31), today=TODAY)
    before = (tmp_path / lake.DATASET / "year=2023" / "month=1" / core_lake.PART).read_bytes()
    # A row of the month back in the database by hand (not through an ingest, which refuses it)
    factories.declaration(factories.operator(), number="J9",
                          declaration_date=date(2023, 1, 5))  # fmt: skip
    with pytest.raises(Refused, match="2023-01 was moved to the lake"):
        lake.export(tmp_path)
    after = (tmp_path / lake.DATASET / "year=2023" / "month=1" / core_lake.PART).read_bytes()
    assert after == before


def test_the_command_asks_moves_and_reports(tmp_path: Path) -> None:
    _world()
    lake.export(tmp_path)
    runner = CliRunner()
    command = ["lake", "retire", "--until", "2023-02-28", "--lake", str(tmp_path)]
    refused = runner.invoke(app, command, input="n\n")
    assert isinstance(refused.exception, CommandError), refused.output
    assert "nothing was moved" in str(refused.exception)
    assert "3 declarations would leave the database" in refused.output
    assert Declaration.objects.count() == 3
    done = runner.invoke(app, [*command, "--yes"])
    assert done.exit_code == 0, done.output
    assert "2023-02" in done.output
    assert Declaration.objects.count() == 0
    again = runner.invoke(app, [*command, "--yes"])  # nothing left on record to move
    assert isinstance(again.exception, CommandError)
    assert "no whole month on record" in str(again.exception)


MONTHS = [(2022, m) for m in range(1, 13)]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    dated=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 27), st.booleans()), max_size=25),
    until=st.integers(0, 11),
)
def test_what_leaves_the_database_is_exactly_what_the_lake_keeps(
    tmp_path_factory: pytest.TempPathFactory, dated: list[tuple[int, int, bool]], until: int
) -> None:
    root = tmp_path_factory.mktemp("lake")
    Declaration.objects.all().delete()
    RetiredMonth.objects.all().delete()
    importer = factories.operator()
    for i, (month, day, inspected) in enumerate(dated):
        year, m = MONTHS[month]
        d = factories.declaration(importer, number=f"P{i}", declaration_date=date(year, m, day + 1))
        if inspected:
            factories.inspection(d, fraud=i % 2 == 0, revenue=str(i))
    everything = set(Declaration.objects.values_list("number", flat=True))
    lake.export(root)
    year, m = MONTHS[until]
    last = core_lake.Month(year, m).after - timedelta(days=1)
    done = lake.retire(root, last, today=TODAY)
    kept = set(Declaration.objects.values_list("number", flat=True))
    moved = everything - kept
    assert done.rows == len(moved)
    assert all(d.declaration_date > last for d in Declaration.objects.all())
    assert moved <= set(_lake_numbers(root) if everything else [])
    assert not any(tallies.differences().values())
