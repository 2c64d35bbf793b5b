"""The inspection queue and the scores list as officers work them: filters that keep exactly
what they say, assignment within one's own organisation, exports safe in a spreadsheet, and
a rule's dry run that shows what it matched."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.targeting import queue
from greenlane.apps.targeting.models import ChannelDecision, ModelVersion, SelectivityPolicy
from greenlane.core.errors import NotAllowed, Refused
from tests import factories

pytestmark = pytest.mark.django_db

START = date(2026, 3, 1)
OFFICES = ("ICN1", "PUS2")
HS = ("847130", "847150", "610910", "930190")


def _world() -> tuple[SelectivityPolicy, ModelVersion]:
    policy = SelectivityPolicy.objects.create(
        office_code="ICN1", version=1, capacity=20, documentary_capacity=10, expected_daily=200
    )
    version = factories.model_version()
    return policy, version


def _decision(policy: SelectivityPolicy, version: ModelVersion, **fields: Any) -> ChannelDecision:
    hs = fields.pop("hs6", "847130")
    number = fields.pop("number")
    values = {
        "office_code": "ICN1", "declaration_date": START, "importer_code": "OP1",
        "channel": "red", "probability": 0.5, "score": 0.5, "revenue_at_stake": 10.0,
        "reasons": ["rule r1: =HYPERLINK(\"http://x\")", "risk score 50%"], **fields,
    }  # fmt: skip
    decision = ChannelDecision.objects.create(
        number=number, policy=policy, model_version=version, **values
    )
    importer = factories.operator(code=values["importer_code"]) if not _known(values) else None
    factories.declaration(
        importer or _operator(values["importer_code"]), number=number, hs6=hs,
        office_code=values["office_code"], declaration_date=values["declaration_date"],
    )  # fmt: skip
    return decision


def _known(values: dict[str, Any]) -> bool:
    from greenlane.apps.operators.models import Operator

    return Operator.objects.filter(code=values["importer_code"]).exists()


def _operator(code: str) -> Any:
    from greenlane.apps.operators.models import Operator

    return Operator.objects.get(code=code)


ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "office_code": st.sampled_from(OFFICES),
            "declaration_date": st.integers(0, 9).map(lambda d: START + timedelta(days=d)),
            "importer_code": st.sampled_from(["OP1", "OP2", "OP3"]),
            "channel": st.sampled_from(["red", "yellow", "green"]),
            "score": st.floats(0, 1),
            "hs6": st.sampled_from(HS),
            "inspected": st.booleans(),
            "assigned": st.booleans(),
        }
    ),
    max_size=12,
)
FILTERS = st.builds(
    queue.Filter,
    office=st.sampled_from(["", *OFFICES]),
    date_from=st.none() | st.integers(0, 9).map(lambda d: START + timedelta(days=d)),
    date_to=st.none() | st.integers(0, 9).map(lambda d: START + timedelta(days=d)),
    channel=st.sampled_from(["", "red", "yellow"]),
    hs=st.sampled_from(["", "8471", "847130", "6", "93"]),
    importer=st.sampled_from(["", "OP1", "OP2"]),
    score_min=st.none() | st.floats(0, 1),
    score_max=st.none() | st.floats(0, 1),
    assignee=st.sampled_from(["", "me", "none"]),
)


def _kept(row: dict[str, Any], f: queue.Filter) -> bool:
    """The filter's meaning, said once more in plain Python."""
    return (
        row["channel"] in ("red", "yellow")
        and not row["inspected"]
        and (not f.office or row["office_code"] == f.office)
        and (f.date_from is None or row["declaration_date"] >= f.date_from)
        and (f.date_to is None or row["declaration_date"] <= f.date_to)
        and (not f.channel or row["channel"] == f.channel)
        and row["hs6"].startswith(f.hs)
        and (not f.importer or row["importer_code"] == f.importer)
        and (f.score_min is None or row["score"] >= f.score_min)
        and (f.score_max is None or row["score"] <= f.score_max)
        and (f.assignee != "me" or row["assigned"])
        and (f.assignee != "none" or not row["assigned"])
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, FILTERS)
def test_the_queue_keeps_exactly_what_the_filter_says(
    rows: list[dict[str, Any]], chosen: queue.Filter
) -> None:
    with transaction.atomic():
        officer = factories.user(Role.INSPECTION_OFFICER)
        policy, version = _world()
        for i, row in enumerate(rows):
            fields = {k: v for k, v in row.items() if k not in ("inspected", "assigned")}
            decision = _decision(policy, version, number=f"Q{i:04d}", **fields)
            if row["assigned"]:
                ChannelDecision.objects.filter(pk=decision.pk).update(assigned_to=officer)
            if row["inspected"]:
                from greenlane.apps.declarations.models import Declaration

                factories.inspection(Declaration.objects.get(number=decision.number))
        got = [d.number for d in queue.waiting(chosen, officer)]
        expected = [f"Q{i:04d}" for i, row in enumerate(rows) if _kept(row, chosen)]
        assert sorted(got) == sorted(expected)
        transaction.set_rollback(True)


def test_an_officer_hands_declarations_to_a_colleague_and_the_change_is_audited() -> None:
    customs = factories.organisation("customs")
    lee = factories.user(Role.INSPECTION_OFFICER, customs, "lee")
    park = factories.user(Role.INSPECTION_OFFICER, customs, "park")
    elsewhere = factories.user(Role.INSPECTION_OFFICER, factories.organisation("customs"), "kim")
    policy, version = _world()
    first, second = (_decision(policy, version, number=f"A{i}") for i in range(2))
    assert queue.assign([first.pk, second.pk], park, lee) == 2
    assert queue.assign([first.pk], park, lee) == 0  # already hers: nothing changes
    assert [d.number for d in queue.waiting(queue.Filter(assignee="me"), park)] == ["A0", "A1"]
    assert queue.assign([second.pk], None, lee) == 1
    assert [d.number for d in queue.waiting(queue.Filter(assignee="none"), lee)] == ["A1"]
    events = AuditEvent.objects.filter(action="targeting.inspection.assigned").order_by("id")
    assert [(e.data["number"], e.data["before"], e.data["after"]) for e in events] == [
        ("A0", None, "park"), ("A1", None, "park"), ("A1", "park", None),
    ]  # fmt: skip
    with pytest.raises(Refused, match="kim is not an active inspection officer"):
        queue.assign([first.pk], elsewhere, lee)
    with pytest.raises(NotAllowed):
        queue.assign([first.pk], lee, factories.user(Role.STATISTICIAN, customs))
    factories.inspection(first.number and _declaration(first.number))
    with pytest.raises(Refused, match="no longer wait"):
        queue.assign([first.pk, second.pk], lee, lee)
    assert ChannelDecision.objects.get(pk=second.pk).assigned_to is None  # all or nothing


def _declaration(number: str) -> Any:
    from greenlane.apps.declarations.models import Declaration

    return Declaration.objects.get(number=number)


def test_the_queue_page_filters_assigns_and_exports_what_it_shows() -> None:
    customs = factories.organisation("customs")
    lee = factories.user(Role.INSPECTION_OFFICER, customs, "lee")
    policy, version = _world()
    _decision(policy, version, number="P1", importer_code="=cmd|'/c calc'!A1", score=0.9)
    _decision(policy, version, number="P2", hs6="610910", channel="yellow")
    _decision(policy, version, number="P3", office_code="PUS2", channel="red")
    client = Client()
    client.force_login(lee)
    page = client.get("/risk/queue/?hs=8471&office=ICN1").content.decode()
    assert ">P1<" in page  # a cell, not a chance run in a token
    assert ">P2<" not in page
    assert ">P3<" not in page
    bad = client.get("/risk/queue/?hs=84x&score_min=2").content.decode()
    assert "digits of an HS code" in bad
    assert ">P2<" in bad  # an invalid field filters nothing
    wanted = ChannelDecision.objects.get(number="P1").pk
    answer = client.post(
        "/risk/queue/assign/",
        {"decision": [wanted], "to": "lee", "next": "/risk/queue/?hs=8471"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/risk/queue/?hs=8471"
    assert ChannelDecision.objects.get(pk=wanted).assigned_to == lee
    away = client.post(
        "/risk/queue/assign/", {"decision": [wanted], "next": "https://evil.example/"}
    )
    assert away["Location"] == "/risk/queue/"  # never sent off the site
    assert ChannelDecision.objects.get(pk=wanted).assigned_to is None
    # Ids that are no ids (past 64 bits, signed, other digits): left out, nothing assigned.
    for bad in ("9" * 30, "-1", "\u00b2", "1e3"):
        odd = client.post("/risk/queue/assign/", {"decision": [bad], "to": "lee"}, follow=True)
        assert odd.status_code == 200
        assert "choose at least one declaration" in odd.content.decode()
    assert ChannelDecision.objects.get(pk=wanted).assigned_to is None

    exported = client.get("/risk/queue/?office=ICN1&export=csv")
    text = b"".join(exported.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(queue.QUEUE_HEADER)
    assert sorted(r[0] for r in rows[1:]) == ["P1", "P2"]
    p1 = next(r for r in rows if r[0] == "P1")
    assert p1[3] == "'=cmd|'/c calc'!A1"  # shown as text, not run
    book = load_workbook(
        io.BytesIO(client.get("/risk/queue/?office=ICN1&export=xlsx").content), read_only=True
    )
    sheet = book.worksheets[0]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(cells) == {"P1", "P2"}
    assert cells["P1"][3].value == "=cmd|'/c calc'!A1"
    assert cells["P1"][3].data_type == "s"  # text, not a formula
    assert cells["P1"][1].is_date
    assert cells["P1"][5].value == 0.9


def test_a_dry_run_keeps_a_sample_of_what_the_rule_matched() -> None:
    from greenlane.apps.targeting import selectivity
    from greenlane.apps.targeting.models import RuleProfile

    analyst = factories.user(Role.RISK_ANALYST)
    importer = factories.operator()
    for i in range(60):
        factories.declaration(
            importer, number=f"R{i:03d}", hs6="930190" if i % 2 else "847130",
            declaration_date=START + timedelta(days=i % 20),
        )  # fmt: skip
    rule = RuleProfile.objects.create(
        name="arms", expression='hs6 startswith "93"', action="force", channel="red",
        reason="arms need a licence",
    )  # fmt: skip
    rule = selectivity.dry_run(rule, analyst)
    assert (rule.dry_run_hits, rule.dry_run_rows) == (30, 60)
    sample = rule.dry_run_sample
    assert len(sample) == selectivity.DRY_RUN_SAMPLE
    assert all(s["hs6"] == "930190" for s in sample)
    assert len({s["number"] for s in sample}) == len(sample)
    days = sorted(s["date"] for s in sample)  # spread over the matched days, ends included
    assert (days[0], days[-1]) == ((START + timedelta(days=1)).isoformat(), "2026-03-20")
    client = Client()
    client.force_login(analyst)
    page = client.get(f"/risk/rules/{rule.pk}/").content.decode()
    table = page.split('data-testid="dry-run-sample"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + len(sample)
    assert f'href="/risk/declarations/{sample[0]["id"]}/"' in table


def test_the_scores_list_filters_and_exports_what_it_shows() -> None:
    from decimal import Decimal

    from greenlane.apps.targeting.models import Score

    _, version = _world()
    importer = factories.operator(code="OP9")
    for i, (office, hs, p) in enumerate(
        [("ICN1", "847130", 0.9), ("ICN1", "610910", 0.8), ("PUS2", "847150", 0.7)]
    ):
        declaration = factories.declaration(
            importer, number=f"S{i}", office_code=office, hs6=hs, declaration_date=START
        )
        Score.objects.create(
            declaration=declaration, model_version=version, probability=p,
            revenue_at_stake=Decimal("5.00"), reasons=[{"feature": "x", "text": "x", "weight": 1}],
        )  # fmt: skip
    client = Client()
    client.force_login(factories.user(Role.RISK_ANALYST))
    page = client.get("/risk/scores/?hs=8471&score_min=0.75").content.decode()
    assert ">S0<" in page  # a cell, not a chance run in a token
    assert ">S1<" not in page  # HS 6109
    assert ">S2<" not in page  # 0.7 < 0.75
    assert "under this filter" in client.get("/risk/scores/?importer=NOBODY").content.decode()
    book = load_workbook(
        io.BytesIO(client.get("/risk/scores/?office=ICN1&export=xlsx").content), read_only=True
    )
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == queue.SCORE_HEADER
    assert [(r[0], r[4], r[6]) for r in rows[1:]] == [("S0", "847130", 0.9), ("S1", "610910", 0.8)]


def test_the_api_lists_the_queue_filtered_and_assigns_within_the_organisation() -> None:
    customs = factories.organisation("customs")
    lee = factories.user(Role.INSPECTION_OFFICER, customs, "lee")
    factories.user(Role.INSPECTION_OFFICER, factories.organisation("customs"), "kim")
    policy, version = _world()
    _decision(policy, version, number="W1", score=0.9)
    _decision(policy, version, number="W2", hs6="610910", channel="yellow", score=0.3)
    client = Client()
    client.force_login(lee)
    listed = client.get("/api/v1/risk/queue?hs=8471&score_min=0.5").json()
    assert [(i["number"], i["assigned_to"]) for i in listed["items"]] == [("W1", None)]
    assert listed["items"][0]["reasons"][0].startswith("rule r1")
    assert client.get("/api/v1/risk/queue?hs=84x").status_code == 422
    ids = [i["id"] for i in client.get("/api/v1/risk/queue").json()["items"]]
    answer = client.post(
        "/api/v1/risk/queue/assignments", {"decisions": ids, "to": "lee"},
        content_type="application/json",
    )  # fmt: skip
    assert answer.json() == {"changed": 2}
    mine = client.get("/api/v1/risk/queue?assignee=me").json()["items"]
    assert {i["assigned_to"] for i in mine} == {"lee"}
    refused = client.post(
        "/api/v1/risk/queue/assignments", {"decisions": ids, "to": "kim"},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 400
    assert "kim is not an active inspection officer" in refused.json()["detail"]


def test_the_command_line_shows_and_writes_the_filtered_queue(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from greenlane.cli import app

    policy, version = _world()
    _decision(policy, version, number="C1", importer_code="=1+2")
    _decision(policy, version, number="C2", hs6="610910", channel="yellow")
    runner = CliRunner()
    shown = runner.invoke(app, ["queue", "--hs", "8471"])
    assert shown.exit_code == 0, shown.output
    assert "C1" in shown.output
    assert "C2" not in shown.output
    out = tmp_path / "queue.xlsx"
    written = runner.invoke(app, ["queue", "--channel", "yellow", "--out", str(out)])
    assert "Wrote 1 declarations" in written.output
    rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["C2"]
    text = tmp_path / "queue.csv"
    assert runner.invoke(app, ["queue", "--out", str(text)]).exit_code == 0
    assert "'=1+2" in text.read_text()  # a formula shown as text
    wrong = runner.invoke(app, ["queue", "--from", "yesterday"])
    assert wrong.exit_code != 0
    assert "not a date" in str(wrong.exception)  # greenlane's entry point prints it, exit 2
    me = runner.invoke(app, ["queue", "--assignee", "me"])
    assert "needs a person" in str(me.exception)
