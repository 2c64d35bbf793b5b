"""The running totals equal a recount of what they count, after any sequence of what changes
the counted tables: ingest, rollback, recorded and corrected results, scoring, deletion."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenlane.apps.accounts.roles import Role
from greenlane.apps.declarations import ingest, rollback
from greenlane.apps.declarations.models import Declaration, IngestBatch, Inspection
from greenlane.apps.declarations.services import Result, correct_inspection, record_inspection
from greenlane.apps.tallies import queries as tallies
from greenlane.apps.tallies import triggers
from greenlane.apps.tallies.models import (
    DeclarationTally,
    ImporterTally,
    InspectionTally,
    ScoreTally,
)
from greenlane.apps.targeting import scoring, waiting
from greenlane.apps.targeting.models import ChannelDecision, Score, SelectivityPolicy
from greenlane.core.errors import NotAllowed
from tests import factories
from tests.core.risk.rows import MAPPING, good_row, write_csv

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    """Leaves an example's transaction without keeping anything."""


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "ingest",
                "rollback",
                "record",
                "correct",
                "score",
                "delete",
                "move",
                "reparty",
                "rescore",
                "decide",
                "decide",
            ]
        ),
        st.integers(0, 10_000),
    ),
    max_size=12,
)


def _nth(items: list[int], pick: int) -> int | None:
    return items[pick % len(items)] if items else None


def _apply(step: str, pick: int, serial: int, folder: Path, people: dict[str, object]) -> None:
    if step == "ingest":
        rows = [good_row(pick % 50 + i, f"S{serial}x") for i in range(1 + pick % 5)]
        ingest.ingest(write_csv(folder / f"{serial}.csv", rows), MAPPING)
    elif step == "rollback":
        batches = list(IngestBatch.objects.filter(rolled_back_at__isnull=True).values_list("pk"))
        chosen = _nth([b for (b,) in batches], pick)
        if chosen is not None:
            with contextlib.suppress(NotAllowed):
                rollback.roll_back(IngestBatch.objects.get(pk=chosen), None, "test")
    elif step == "record":
        free = list(
            Declaration.objects.filter(inspection__isnull=True).values_list("pk", flat=True)
        )
        chosen = _nth(free, pick)
        if chosen is not None:
            record_inspection(
                Declaration.objects.get(pk=chosen), people["officer"],  # type: ignore[arg-type]
                fraud_found=bool(pick % 2), critical=bool(pick % 2) and pick % 3 == 0,
                revenue_recovered=Decimal(pick % 997) / 4 if pick % 2 else Decimal(0),
            )  # fmt: skip
    elif step == "correct":
        chosen = _nth(list(Inspection.objects.values_list("pk", flat=True)), pick)
        if chosen is not None:
            inspection = Inspection.objects.select_related("declaration").get(pk=chosen)
            found = not inspection.fraud_found
            day = inspection.declaration.declaration_date + timedelta(days=pick % 20)
            result = Result(
                found, found and pick % 2 == 0,
                Decimal(pick % 1000) / 8 if found else Decimal(0), "", min(day, date.today()),
            )  # fmt: skip
            correct_inspection(inspection, people["officer"], result, "second look")  # type: ignore[arg-type]
    elif step in ("score", "rescore"):
        version = people["v1" if step == "score" else "v2"]
        todo = list(scoring.unscored(version).values_list("pk", flat=True)[: 1 + pick % 7])  # type: ignore[arg-type]
        scoring.store(version, todo, [0.5] * len(todo), [1.0] * len(todo))  # type: ignore[arg-type]
    elif step == "delete":
        chosen = _nth(list(Declaration.objects.values_list("pk", flat=True)), pick)
        if chosen is not None:
            Declaration.objects.get(pk=chosen).delete()  # takes its result and scores along
    elif step == "decide":  # a channel for a declaration on record, or one not yet ingested
        numbers = list(Declaration.objects.values_list("number", flat=True))
        number = (_nth(numbers, pick) if pick % 4 else None) or f"S{pick % 7}x{pick % 50:07d}"
        ChannelDecision.objects.create(
            number=number, office_code="OF1", declaration_date=date(2025, 1, 1),
            importer_code="IMP1", channel=("green", "yellow", "red")[pick % 3], probability=0.5,
            score=0.5, revenue_at_stake=1.0, policy=people["policy"], model_version=people["v1"],
        )  # fmt: skip
    elif step == "raw_delete":  # the declaration before its result, as raw SQL may (deferred FK)
        with_result = Inspection.objects.values_list("declaration_id", flat=True)
        chosen = _nth(list(with_result), pick)
        if chosen is not None:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM declarations_declaration WHERE id = %s", [chosen])
                cursor.execute(
                    "DELETE FROM declarations_inspection WHERE declaration_id = %s", [chosen]
                )
    elif step == "move":  # a raw change of the office, the kind no form makes
        chosen = _nth(list(Declaration.objects.values_list("pk", flat=True)), pick)
        Declaration.objects.filter(pk=chosen).update(office_code=f"MV{pick % 2}")
    elif step == "reparty":  # a raw change of the importer or the declarant
        chosen = _nth(list(Declaration.objects.values_list("pk", flat=True)), pick)
        side = "importer_code" if pick % 2 else "declarant_code"
        Declaration.objects.filter(pk=chosen).update(**{side: f"IMP{pick % 3}"})


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_the_tallies_equal_a_recount_after_any_sequence_of_changes(
    steps: list[tuple[str, int]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        try:
            with transaction.atomic():
                people = {
                    "officer": factories.user(Role.INSPECTION_OFFICER),
                    "v1": factories.model_version(1),
                    "v2": factories.model_version(2, active=False),
                    "policy": SelectivityPolicy.objects.create(
                        office_code="OF1",
                        version=1,
                        capacity=5,
                        documentary_capacity=5,
                        expected_daily=50,
                    ),
                }
                for serial, (step, pick) in enumerate(steps):
                    _apply(step, pick, serial, Path(folder), people)
                    assert triggers.check(connection) == dict.fromkeys(
                        triggers.recount(connection), 0
                    ), step
                    assert waiting.differing(connection) == 0, step
                raise Rollback
        except Rollback:
            pass


def test_the_tallies_hold_what_the_pages_need(tmp_path: Path) -> None:
    rows = [good_row(i, "T") for i in range(8)]
    ingest.ingest(write_csv(tmp_path / "t.csv", rows), MAPPING)
    officer = factories.user(Role.INSPECTION_OFFICER)
    free = Declaration.objects.filter(inspection__isnull=True).order_by("number").first()
    assert free is not None
    record_inspection(
        free, officer, fraud_found=True, critical=True, revenue_recovered=Decimal("12.34")
    )
    version = factories.model_version(1)
    ids = list(Declaration.objects.values_list("pk", flat=True))
    scoring.store(version, ids, [0.5] * len(ids), [1.0] * len(ids))

    assert sum(t.declarations for t in DeclarationTally.objects.all()) == 8
    assert sum(t.declarations for t in ImporterTally.objects.all()) == 8
    assert ImporterTally.objects.count() == len({r["Importer"] for r in rows})
    assert tallies.importers() == len({r["Importer"] for r in rows})
    today = InspectionTally.objects.get(
        day=free.inspection.inspected_on, office_code=free.office_code
    )
    assert (today.critical, today.irregularities) == (1, 1)
    assert today.revenue_recovered_cents >= 1234
    assert sum(t.inspections for t in InspectionTally.objects.all()) == Inspection.objects.count()
    assert ScoreTally.objects.get(model_version=version).scores == Score.objects.count() == 8


def test_rebuild_repairs_what_a_trigger_did_not_see() -> None:
    factories.declaration(factories.operator())
    assert triggers.check(connection) == dict.fromkeys(triggers.recount(connection), 0)
    DeclarationTally.objects.update(declarations=41)  # as if someone edited the table by hand
    assert triggers.check(connection)["tallies_declarationtally"] > 0
    triggers.rebuild(connection)
    assert set(triggers.check(connection).values()) == {0}


def test_the_command_checks_the_totals_and_rebuilds_them_audited() -> None:
    from typer.testing import CliRunner

    from greenlane.apps.audit.models import AuditEvent
    from greenlane.cli import app

    factories.declaration(factories.operator())
    runner = CliRunner()
    fine = runner.invoke(app, ["tallies"])
    assert fine.exit_code == 0, fine.output
    assert "equal a recount" in fine.output

    ImporterTally.objects.update(declarations=7)
    wrong = runner.invoke(app, ["tallies"])
    assert wrong.exit_code != 0
    assert "tallies --rebuild" in str(wrong.exception)

    policy = SelectivityPolicy.objects.create(
        office_code="OF1", version=1, capacity=5, documentary_capacity=5, expected_daily=50
    )
    decision = ChannelDecision.objects.create(
        number="NOT-YET", office_code="OF1", declaration_date=date(2025, 1, 1),
        importer_code="IMP1", channel="red", probability=0.5, score=0.5, revenue_at_stake=1.0,
        policy=policy, model_version=factories.model_version(1),
    )  # fmt: skip
    ChannelDecision.objects.filter(pk=decision.pk).update(waiting=False)  # as with triggers off
    assert "waiting" in runner.invoke(app, ["tallies"]).output
    rebuilt = runner.invoke(app, ["tallies", "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2 rows differed" in rebuilt.output
    assert ImporterTally.objects.get().declarations == 1
    assert ChannelDecision.objects.get(pk=decision.pk).waiting
    event = AuditEvent.objects.get(action="tallies.rebuilt")
    assert event.data["keys_differing_before"]["tallies_importertally"] == 1
    assert runner.invoke(app, ["tallies"]).exit_code == 0


def test_the_api_scores_list_takes_its_total_from_the_running_total_unless_filtered() -> None:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    version = factories.model_version(1)
    owner = factories.operator()
    ids = [factories.declaration(owner, office_code=f"OF{i % 2}").pk for i in range(5)]
    scoring.store(version, ids, [0.1, 0.2, 0.3, 0.4, 0.5], [1.0] * 5)
    client = Client()
    client.force_login(factories.user(Role.RISK_ANALYST))
    with CaptureQueriesContext(connection) as queries:
        everything = client.get("/api/v1/risk/scores?limit=2").json()
    assert everything["count"] == 5
    assert len(everything["items"]) == 2
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    filtered = client.get("/api/v1/risk/scores?limit=2&office=OF0").json()
    assert filtered["count"] == 3


def test_a_decision_waits_until_its_result_and_again_when_the_result_goes(tmp_path: Path) -> None:
    policy = SelectivityPolicy.objects.create(
        office_code="OF1", version=1, capacity=5, documentary_capacity=5, expected_daily=50
    )
    version = factories.model_version(1)
    officer = factories.user(Role.INSPECTION_OFFICER)

    def decide(number: str, channel: str = "red") -> ChannelDecision:
        return ChannelDecision.objects.create(
            number=number, office_code="OF1", declaration_date=date(2025, 1, 1),
            importer_code="IMP1", channel=channel, probability=0.5, score=0.5,
            revenue_at_stake=1.0, policy=policy, model_version=version,
        )  # fmt: skip

    def waits(decision: ChannelDecision) -> bool:
        return ChannelDecision.objects.get(pk=decision.pk).waiting

    early = decide("W0000001")  # assessed before its declaration is ingested
    green = decide("W0000001", "green")
    assert waits(early)
    assert not waits(green)
    rows = [{**good_row(1, "W"), "Fraud": ""}]  # no result in the file
    ingest.ingest(write_csv(tmp_path / "w.csv", rows), MAPPING)
    declaration = Declaration.objects.get(number="W0000001")
    assert waits(early)

    result = record_inspection(declaration, officer, fraud_found=False)
    assert not waits(early)
    assert not waits(decide("W0000001", "yellow"))  # decided again after the result
    result.delete()
    assert waits(early)

    record_inspection(declaration, officer, fraud_found=False)
    with connection.cursor() as cursor:  # the declaration first, as raw SQL may
        cursor.execute("DELETE FROM declarations_declaration WHERE id = %s", [declaration.pk])
        assert waits(early)
        cursor.execute(
            "DELETE FROM declarations_inspection WHERE declaration_id = %s", [declaration.pk]
        )
    assert waits(early)
    assert waiting.differing(connection) == 0


def test_an_operators_page_counts_its_declarations_for_who_sees_declarations() -> None:
    import re as regex

    from django.test import Client

    company = factories.organisation("operator", "Company")
    owner = factories.operator(company, code="OPCOUNT1")
    for _ in range(3):
        factories.declaration(owner)
    factories.declaration(factories.operator(code="OTHER1"))
    shown = {}
    for role, org in (
        (Role.RISK_ANALYST, None), (Role.VALIDATOR, None), (Role.TRADER, company),
    ):  # fmt: skip
        client = Client()
        client.force_login(factories.user(role, org))
        page = client.get(f"/operators/{owner.pk}/").content.decode()
        found = regex.search(r'data-figure="declarations">([\d,]+)<', page)
        assert found is not None, role
        shown[role] = int(found.group(1).replace(",", ""))
    assert shown == {Role.RISK_ANALYST: 3, Role.VALIDATOR: 0, Role.TRADER: 3}


def test_a_companys_home_counts_its_declarations_as_importer_or_declarant_once() -> None:
    """A trader's and a consultant's figures, from the totals per importer and declarant,
    equal a count of the declarations naming one of their companies on either side (a
    declaration naming two of them, or one on both sides, once) and of their results."""
    import re as regex

    from django.test import Client

    from greenlane.apps.operators.models import ConsultantAccess

    company = factories.organisation("operator", "Company")
    own = factories.operator(company, code="OWNIMP")
    client_too = factories.operator(factories.organisation("operator", "Two"), code="TWO")
    other = factories.operator(code="ELSEWHERE")
    mine = [
        factories.declaration(own),  # importer, with someone else as declarant
        factories.declaration(other, declarant_code="OWNIMP"),  # declarant only
        factories.declaration(own, declarant_code="OWNIMP"),  # both sides
        factories.declaration(client_too, declarant_code="OWNIMP"),  # with the other client
    ]
    factories.declaration(other)  # none of their business
    factories.declaration(client_too)  # the second client's alone
    factories.inspection(mine[1], fraud=True, revenue="250.40")
    factories.inspection(mine[2])
    factories.inspection(factories.declaration(other), fraud=True, revenue="99")

    consultancy = factories.organisation("consultancy", "Advisers")
    for client_company in (own, client_too):
        ConsultantAccess.objects.create(operator=client_company, consultancy=consultancy)
    expected = {
        (Role.TRADER, company): {"declarations": "4", "inspections": "2", "hit_rate": "50.0"},
        (Role.CONSULTANT, consultancy): {"declarations": "5"},
    }
    for (role, org), figures in expected.items():
        browser = Client()
        browser.force_login(factories.user(role, org))
        page = browser.get("/").content.decode()
        shown = dict(regex.findall(r'data-figure="(\w+)" data-value="([^"]*)"', page))
        assert {k: shown.get(k) for k in figures} == figures, role
        if role == Role.TRADER:
            assert Decimal(shown["revenue_recovered"]) == Decimal("250")


def test_a_backup_leaves_every_tally_to_the_triggers() -> None:
    """Restore loads the counted rows, and the triggers count them again: a tally carried
    in the backup as well would count everything twice."""
    from django.apps import apps

    from greenlane import backup

    tallies = {m._meta.label_lower for m in apps.get_app_config("tallies").get_models()}
    assert tallies <= set(backup.EXCLUDED)


@pytest.mark.postgres_only
def test_every_tally_leaves_room_on_its_pages_and_is_vacuumed_by_dead_rows() -> None:
    """Rewritten by every ingest chunk: half-empty pages (updates stay on the page, the
    indexes untouched) and autovacuum after a fixed number of dead rows, for every tally."""
    from django.apps import apps

    tables = {m._meta.db_table for m in apps.get_app_config("tallies").get_models()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)", [list(tables)]
        )
        options = dict(cursor.fetchall())
    assert set(options) == tables
    for table, settings_ in options.items():
        assert "fillfactor=50" in (settings_ or []), table
        assert "autovacuum_vacuum_scale_factor=0" in (settings_ or []), table
