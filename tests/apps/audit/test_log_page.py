"""The audit log page: its filters, what each event shows, links to objects, and exports that an
auditor re-verifies offline with ``greenlane audit verify --file``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit import chain, services
from greenlane.apps.audit.models import AuditEvent
from greenlane.cli import app
from tests import factories

pytestmark = pytest.mark.django_db


def _at(when: datetime) -> Any:
    return mock.patch("greenlane.apps.audit.services.timezone.now", return_value=when)


@pytest.fixture
def world() -> dict[str, Any]:
    customs = factories.organisation("customs")
    other = factories.organisation("customs")
    admin = factories.user(Role.ADMINISTRATOR, customs)
    ana = factories.user(Role.RISK_ANALYST, customs, username="ana")
    bob = factories.user(Role.VALIDATOR, other, username="bob")
    operator = factories.operator(factories.organisation("operator"))
    with _at(datetime(2026, 3, 1, 9, tzinfo=UTC)):
        first = services.record("targeting.rule.saved", ana, ("targeting.ruleprofile", 7), {"n": 1})
    with _at(datetime(2026, 3, 2, 23, 59, tzinfo=UTC)):
        second = services.record(
            "operators.operator.changed",
            bob,
            operator,
            {
                "before": {"name": "Old name", "city": "Busan"},
                "after": {"name": "New name", "city": "Busan"},
            },
        )
    with _at(datetime(2026, 3, 3, 0, 0, tzinfo=UTC)):
        third = services.record(
            "certification.application.assigned", bob, ("certification.application", 99)
        )
    # Making the people and the operator wrote events of their own before these three (dated
    # today): the filters are read against the three events' numbers.
    seq = {1: first.seq, 2: second.seq, 3: third.seq}
    return {"admin": admin, "ana": ana, "bob": bob, "operator": operator, "seq": seq}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _seqs(page: str) -> list[int]:
    body = page.split('data-testid="audit-events"', 1)[1]
    return [int(n) for n in re.findall(r"<tr><td>(\d+)</td><td>\d{4}-\d\d-\d\d ", body)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=bob", [3, 2]),
        ("actor=nobody", []),
        ("action=certification.", [3]),
        ("subject_type=operators.operator&date_to=2026-03-31", [2]),
        ("subject_type=certification.application&subject_id=99", [3]),
        ("subject_type=certification.application&subject_id=98", []),
        ("date_from=2026-03-02&date_to=2026-03-02", [2]),  # UTC days, both ends included
        ("date_from=2026-03-03&date_to=2026-03-05", [3]),
        ("date_to=2026-03-01", [1]),
        ("actor=bob&date_to=9999-12-31", [3, 2]),  # the last day there is: no overflow
        ("date_from=2026-03-01&date_to=2026-03-03&action=t", [1]),
    ],
)
def test_each_filter_keeps_the_events_it_names(
    world: dict[str, Any], query: str, expected: list[int]
) -> None:
    page = _client(world["admin"]).get(f"/audit/?{query}").content.decode()
    assert _seqs(page) == [world["seq"][k] for k in expected]


def test_no_filter_shows_every_event_newest_first_and_a_wrong_field_says_so(
    world: dict[str, Any],
) -> None:
    client = _client(world["admin"])  # signing in is an event too
    every = list(AuditEvent.objects.order_by("-seq").values_list("seq", flat=True))
    assert _seqs(client.get("/audit/").content.decode()) == every
    refused = client.get("/audit/?date_from=2026-03-04&date_to=2026-03-01").content.decode()
    assert "the end comes before the start" in refused
    # The end in error filters nothing; the start still does.
    march = set(world["seq"].values())
    assert _seqs(refused) == [seq for seq in every if seq not in march]


def test_the_organisation_filter_keeps_its_peoples_events(world: dict[str, Any]) -> None:
    client = _client(world["admin"])
    # The events of world["ana"] carry her organisation: the filter keeps hers alone.
    page = client.get(
        f"/audit/?organisation={world['ana'].organisation_id}&date_to=2026-03-31"
    ).content.decode()
    assert _seqs(page) == [world["seq"][1]]


def test_an_event_shows_what_changed_and_links_its_object(world: dict[str, Any]) -> None:
    page = _client(world["admin"]).get("/audit/?actor=bob").content.decode()
    changed = (
        '<tr class="changed"><td><code>name</code></td>'
        "<td><code>Old name</code></td><td><code>New name</code></td></tr>"
    )
    assert changed in page
    assert (
        "<tr><td><code>city</code></td><td><code>Busan</code></td><td><code>Busan</code></td></tr>"
        in page
    )
    assert f'<a href="/operators/{world["operator"].pk}/"><code>operators.operator</code>' in page
    assert '<a href="/applications/99/">' in page  # a page the administrator may open


def test_only_an_administrator_reads_or_exports_the_log(world: dict[str, Any]) -> None:
    for who in (world["ana"], world["bob"]):
        for query in ("", "?export=jsonl", "?export=csv"):
            assert _client(who).get(f"/audit/{query}").status_code == 403


def _export(client: Client, query: str = "") -> str:
    response = client.get(f"/audit/?export=jsonl&{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-log.jsonl"'
    return b"".join(response.streaming_content).decode()


def _verify(tmp_path: Path, text: str) -> Any:
    file = tmp_path / "audit-log.jsonl"
    file.write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["audit", "verify", "--file", str(file)], env={"COLUMNS": "300"})


def test_an_export_verifies_offline_and_a_changed_byte_fails_it(
    world: dict[str, Any], tmp_path: Path
) -> None:
    text = _export(_client(world["admin"]))
    header, *events = text.splitlines()
    n = AuditEvent.objects.count()
    assert json.loads(header)["head"]["seq"] == n
    assert [json.loads(line)["seq"] for line in events] == list(range(1, n + 1))  # oldest first
    result = _verify(tmp_path, text)
    assert result.exit_code == 0, result.output
    assert f"{n} events, every hash verified; consecutive runs #1-#{n}" in result.output

    second = world["seq"][2]
    changed = text.replace("New name", "New nane")
    result = _verify(tmp_path, changed)
    assert result.exit_code == 1
    assert f"event #{second} (line {second + 1}) was changed after it was written" in result.output
    # An event taken out of a whole-log export is missing, not a filter.
    result = _verify(tmp_path, "\n".join([header, *events[: second - 1], *events[second:]]))
    assert result.exit_code == 1
    assert f"event #{second} is missing" in result.output
    # The newest event taken out: the head the export names says so.
    result = _verify(tmp_path, "\n".join([header, *events[:-1]]))
    assert result.exit_code == 1
    assert f"events #{n}..#{n} are missing" in result.output


def test_a_filtered_export_verifies_its_events_and_reports_its_runs(
    world: dict[str, Any], tmp_path: Path
) -> None:
    text = _export(_client(world["admin"]), "actor=bob&date_to=2026-12-31&date_from=2026-03-01")
    result = _verify(tmp_path, text)
    assert result.exit_code == 0, result.output
    second, third = world["seq"][2], world["seq"][3]
    assert f"2 events, every hash verified; consecutive runs #{second}-#{third}" in result.output
    assert _verify(tmp_path, text.replace('"bob"', '"eve"')).exit_code == 1


def test_the_csv_export_has_the_same_events_as_data(world: dict[str, Any]) -> None:
    response = _client(world["admin"]).get("/audit/?export=csv&actor=bob&date_from=2026-03-01")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].split(",")[:3] == ["seq", "at", "action"]
    assert lines[0].endswith("prev_hash,hash")
    assert [line.split(",")[0] for line in lines[1:]] == [
        str(world["seq"][2]),
        str(world["seq"][3]),
    ]


def test_an_unreadable_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "verify", "--file", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "Cannot read" in result.output
    garbage = _verify(tmp_path, "not json at all\n")
    assert garbage.exit_code == 1
    assert "line 1 is not JSON" in garbage.output


EVENT_DATA = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.one_of(st.integers(), st.text(max_size=20), st.booleans(), st.none()),
    max_size=4,
)


@given(data=st.lists(EVENT_DATA, min_size=1, max_size=6), pick=st.data())
def test_any_change_to_an_exported_value_is_found(data: list[dict[str, Any]], pick: Any) -> None:
    """Events exported with their hashes: changing any field of any event fails the check
    (a property over random payloads, fields and replacement values)."""
    lines, prev = [], chain.GENESIS
    for seq, payload in enumerate(data, start=1):
        fields = {
            "seq": seq, "at": "2026-03-01T09:00:00.000000+00:00", "action": "test.done",
            "actor_id": None, "actor": "ana", "organisation_id": 1, "subject_type": "",
            "subject_id": "", "data": payload,
        }  # fmt: skip
        digest = chain.event_hash(prev, fields)
        lines.append(chain.export_line(fields, prev, digest))
        prev = digest
    assert chain.verify_export(lines).broken is None
    i = pick.draw(st.integers(0, len(lines) - 1))
    record = json.loads(lines[i])
    key = pick.draw(st.sampled_from([*chain.EXPORT_FIELDS[1:], "prev_hash"]))
    new = pick.draw(st.one_of(st.text(max_size=10), st.integers(), st.none()))
    if record[key] == new:
        return
    record[key] = new
    lines[i] = json.dumps(record)
    assert chain.verify_export(lines).broken is not None


def test_the_events_themselves_are_not_changed_by_reading_them(world: dict[str, Any]) -> None:
    client = _client(world["admin"])  # signing in is an event too
    before = list(AuditEvent.objects.values_list("seq", "hash"))
    client.get("/audit/?export=jsonl")
    client.get("/audit/")
    assert list(AuditEvent.objects.values_list("seq", "hash")) == before
    assert services.verify()[1] is None
