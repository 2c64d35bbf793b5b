from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.trs import services
from greenlane.apps.trs.models import Study
from greenlane.apps.wording import translated
from greenlane.core.trs import charts, metrics
from greenlane.core.words import Words, english, read
from greenlane.web import trs_report
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "consignment_id,office_code,aeo,hs6,customs_value,arrival,lodged,release\n"
ROWS = (
    "C1,OF1,yes,850440,1000,2025-03-03 08:00,2025-03-03 07:00,2025-03-03 10:00\n"
    "C2,OF1,yes,850440,2000,2025-03-03 08:00,2025-03-03 09:00,2025-03-03 12:00\n"
    "C3,OF1,no,850440,3000,2025-03-03 08:00,2025-03-03 09:00,2025-03-03 14:00\n"
    "C4,OF1,no,850440,4000,2025-03-03 08:00,2025-03-03 09:00,2025-03-03 16:00\n"
    "C5,OF1,no,850440,5000,2025-03-03 08:00,,2025-03-03 07:00\n"  # released before arrival
)


def _file(text: str = HEADER + ROWS, name: str = "events.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def people() -> dict[str, Any]:
    customs = factories.organisation("customs")
    return {
        "customs": customs,
        "statistician": factories.user(Role.STATISTICIAN, customs),
        "validator": factories.user(Role.VALIDATOR, customs),
        "elsewhere": factories.user(Role.STATISTICIAN, factories.organisation("customs")),
    }


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_statistician_designs_feeds_and_runs_a_study(
    people: dict[str, Any], settings: Any
) -> None:
    settings.CURRENCY = "KRW"
    client = _client(people["statistician"])
    response = client.post(
        "/trs/new/",
        {
            "title": "March 2025 sea cargo",
            "targets_hours": "6, 3",
            "max_hours": "50",
            "replicates": "20",
            "rate_low": "0.6",
            "rate_central": "1.35",
            "rate_high": "2.1",
            "engine": "duckdb",
        },
    )
    study = Study.objects.get(title="March 2025 sea cargo")
    assert response.status_code == 302
    assert study.targets_hours == "3, 6"  # sorted, as the report shows them
    client.post(f"/trs/{study.pk}/events", {"file": _file()})
    assert study.files.count() == 1
    again = client.post(f"/trs/{study.pk}/events", {"file": _file()}, follow=True)
    assert "already part of the study" in again.content.decode()
    client.post(f"/trs/{study.pk}/run")  # the test settings run tasks at once

    study.refresh_from_db()
    assert study.status == Study.Status.DONE, study.message
    assert english(read(study.message)) == (
        "4 consignments accepted (1 rows rejected), 0 excluded as outliers: 4 measured"
    )
    total = next(i for i in study.result["metrics"]["intervals"] if i["name"] == "total")
    assert total["mean"] == pytest.approx((2 + 4 + 6 + 8) / 4)
    rejected = study.result["input"]["files"][0]["rejected"]
    assert [(r["row"], r["consignment"]) for r in rejected] == [(5, "C5")]
    assert "release (2025-03-03 07:00) is before arrival" in rejected[0]["reason"]

    page = client.get(f"/trs/{study.pk}/").content.decode()
    assert 'data-chart="spec-release-curve"' in page
    assert "5.0 h" in page  # the headline mean
    saved = page.split("Value of the time saved", 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in saved.split("<tbody>")[1].split("<tr>")]
    amounts = [cell for cells in rows if cells for cell in cells[2:]]
    assert len(amounts) == 6  # per consignment and in all, three scenarios: money, with currency
    assert all(re.fullmatch(r"[\d,]+(\.\d\d)? KRW", a) for a in amounts), amounts
    progress = client.get(f"/trs/{study.pk}/progress").json()
    assert progress == {
        "status": "done",
        "progress": 1.0,
        "text": "done",
        "message": english(read(study.message)),
    }
    html = client.get(f"/trs/{study.pk}/report.html")
    assert html["Content-Disposition"].startswith("attachment")
    assert b"vegaEmbed" in html.content
    assert b"spec-release-curve" in html.content
    assert b"#vg-tooltip-element" in html.content  # the chart styles, inline in the file
    pdf = client.get(f"/trs/{study.pk}/report.pdf")
    assert pdf.content.startswith(b"%PDF")
    # Each chart on paper is followed by its data as a table (its text alternative), read
    # back from the PDF: its caption, then the first row's first cell under it.
    on_paper = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.content)).pages
    )
    tabled = [c["spec"] for c in trs_report.context(study.result)["charts"]]
    tabled = [spec for spec in tabled if spec.get("usermeta", {}).get("table")]
    assert tabled
    for spec in tabled:
        table = spec["usermeta"]["table"]
        heads = " ".join(str(c).upper() for c in table["columns"])  # headers in capitals
        first = " ".join(str(table["rows"][0][0]).split())
        caption = " ".join(str(spec["title"]).split())
        assert f"{caption} {heads} {first}" in on_paper, (caption, heads, first)
    response = client.get(f"/trs/{study.pk}/summary/")
    summary = response.content.decode()
    assert "Article 7.6" in summary
    assert "5.0 hours" in summary
    # A page to publish as is: its one inline style is allowed by its hash (docs/security.md).
    style = re.search(r"<style>(.*?)</style>", summary, re.S)
    assert style
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'self' 'sha256-{digest}'" in response["Content-Security-Policy"]
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(client.get(f"/trs/{study.pk}/rejected.csv").streaming_content).decode()
            )
        )
    )  # type: ignore[attr-defined]
    assert rows[0] == ["file", "row", "consignment", "reason"]
    assert rows[1][:3] == ["events.csv", "5", "C5"]
    actions = list(
        AuditEvent.objects.filter(subject_type="trs.study", subject_id=str(study.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "trs.study.created",
        "trs.events.added",
        "trs.study.queued",
        "trs.study.done",
    ]


def test_a_garbage_file_is_refused_when_handed_in_with_the_reason(
    people: dict[str, Any],
) -> None:
    study = services.create_study(people["statistician"], title="Empty")
    with pytest.raises(services.Refused) as refused:
        services.add_event_file(
            study, people["statistician"], _file(HEADER + ROWS.splitlines(True)[-1], "bad.csv")
        )
    assert str(refused.value).startswith(
        "bad.csv: none of its first 1 rows is a usable event record (row 1: "
    )
    with pytest.raises(services.Refused, match=r"bad\.csv: the file has no rows of events"):
        services.add_event_file(study, people["statistician"], _file(HEADER, "bad.csv"))
    with pytest.raises(services.Refused, match=r"notes\.csv: none of its columns"):
        services.add_event_file(study, people["statistician"], _file("a,b\n1,2\n", "notes.csv"))
    assert not study.files.exists()


def test_a_study_whose_files_hold_no_usable_consignment_fails_with_the_reason(
    people: dict[str, Any],
) -> None:
    """A long log (one row per event) is judged whole at the run: a consignment's events may
    lie anywhere in the file."""
    study = services.create_study(people["statistician"], title="Empty")
    long = (
        "consignment_id,office_code,stage,timestamp\n"
        "C5,OF1,arrival,2025-03-03 08:00\nC5,OF1,release,2025-03-03 07:00\n"
    )
    services.add_event_file(study, people["statistician"], _file(long))
    services.request_run(study, people["statistician"])
    study.refresh_from_db()
    assert study.status == Study.Status.FAILED
    assert english(read(study.message)) == "no consignment passed the checks: nothing to measure"


def test_a_file_is_removed_and_the_results_that_counted_it_go_with_it(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    statistician = people["statistician"]
    study = services.create_study(statistician, title="Fix")
    first = services.add_event_file(study, statistician, _file())
    services.add_event_file(study, statistician, _file(HEADER + ROWS.replace("C", "D"), "more.csv"))
    services.request_run(study, statistician)
    study.refresh_from_db()
    assert study.status == Study.Status.DONE
    stored = first.file.path
    with django_capture_on_commit_callbacks(execute=True):  # the stored file goes at commit
        page = _client(statistician).post(f"/trs/{study.pk}/events/{first.pk}/remove", follow=True)
    assert "events.csv removed from the study." in page.content.decode()
    study.refresh_from_db()
    assert (study.status, study.result) == (Study.Status.DRAFT, None)
    assert "events.csv was removed: run the study again" in english(read(study.message))
    assert [f.original_name for f in study.files.all()] == ["more.csv"]
    assert not os.path.exists(stored)
    event = AuditEvent.objects.get(action="trs.events.removed")
    assert event.data["file"] == "events.csv"
    services.add_event_file(study, statistician, _file())  # the same file may come back
    other = _client(people["elsewhere"]).post(f"/trs/{study.pk}/events/{first.pk}/remove")
    assert other.status_code == 404  # another administration's study
    Study.objects.filter(pk=study.pk).update(status=Study.Status.RUNNING)
    with pytest.raises(services.Refused, match="is running"):
        services.remove_event_file(study, study.files.first().pk, statistician)  # type: ignore[union-attr]


def test_refusals_name_the_problem(people: dict[str, Any]) -> None:
    study = services.create_study(people["statistician"], title="S")
    with pytest.raises(services.Refused, match="at least one event file"):
        services.request_run(study, people["statistician"])
    with pytest.raises(services.Refused, match=r"\.csv or \.parquet"):
        services.add_event_file(study, people["statistician"], _file(name="events.xlsx"))
    with pytest.raises(services.Refused, match="targets must be hours"):
        services.create_study(people["statistician"], title="T", targets_hours="a day")
    response = _client(people["statistician"]).post(
        "/trs/new/",
        {
            "title": "X",
            "targets_hours": "24",
            "rate_low": "2",
            "rate_central": "1",
            "rate_high": "3",
            "replicates": "10",
            "engine": "duckdb",
        },
    )
    assert "Rates must rise" in response.content.decode()


def test_a_later_study_is_compared_with_the_earlier_one(people: dict[str, Any]) -> None:
    first = services.create_study(people["statistician"], title="2024", replicates=10)
    services.add_event_file(first, people["statistician"], _file())
    services.request_run(first, people["statistician"])
    first.refresh_from_db()
    faster = ROWS.replace("2025-03-03 16:00", "2025-03-03 10:00")
    second = services.create_study(
        people["statistician"], title="2025", replicates=10, previous=first
    )
    services.add_event_file(second, people["statistician"], _file(HEADER + faster))
    services.request_run(second, people["statistician"])
    second.refresh_from_db()
    mean = next(r for r in second.result["comparison"]["intervals"] if r["name"] == "total")["mean"]
    assert mean["previous"] == pytest.approx(5.0)
    assert mean["current"] == pytest.approx(3.5)
    assert mean["change_hours"] == pytest.approx(-1.5)


def test_another_administration_sees_none_of_it(people: dict[str, Any]) -> None:
    study = factories.study(people["customs"], people["statistician"])
    outsider = _client(people["elsewhere"])
    for path in ("/trs/{}/", "/trs/{}/report.pdf", "/trs/{}/summary/", "/api/v1/trs/studies/{}"):
        assert outsider.get(path.format(study.pk)).status_code == 404, path
    assert outsider.post(f"/trs/{study.pk}/run").status_code == 404
    assert outsider.get("/api/v1/trs/studies").json() == []
    assert study.title not in outsider.get("/trs/").content.decode()
    colleague = _client(people["validator"])
    assert (
        colleague.get(f"/api/v1/trs/studies/{study.pk}").json()["result"]["metrics"]["consignments"]
        == 4
    )
    with pytest.raises(services.Refused, match="your administration's"):
        services.create_study(people["elsewhere"], title="Mine", previous=study)


def test_rates_by_goods_category_are_checked_and_used(people: dict[str, Any]) -> None:
    with pytest.raises(services.Refused, match="line 1: 'XXX' is not an HS section"):
        services.parse_rates("XXX: 1, 2, 3")
    with pytest.raises(services.Refused, match="line 2: rates must rise"):
        services.parse_rates("XVI: 1, 2, 3\nXI: 3, 2, 1")
    study = services.create_study(
        people["statistician"], title="S", rates_by_section="xvi: 0.8, 1.5, 2.1"
    )
    _, effect_settings = services.study_settings(study)
    assert effect_settings.rates == {"*": (0.6, 1.35, 2.1), "XVI": (0.8, 1.5, 2.1)}


def test_a_study_reads_in_korean_its_stage_titles_and_charts_included(
    people: dict[str, Any],
) -> None:
    """The words core writes (interval titles, chart titles, legends, the charts' data tables,
    the outcome) are shown in the reader's language; the result keeps them as words."""
    statistician = people["statistician"]
    study = services.create_study(statistician, title="Korean", replicates=10)
    services.add_event_file(study, statistician, _file())
    services.request_run(study, statistician)
    study.refresh_from_db()
    assert study.status == Study.Status.DONE, study.message
    total = next(i for i in study.result["metrics"]["intervals"] if i["name"] == "total")
    assert total["title"] == {"message": "Arrival to release"}  # stored as words
    with translation.override("ko"):
        interval = translated(metrics.INTERVALS[0].title)
        median = translated(Words("Median"))
        chart_title = translated(charts.BREAKDOWN_TITLES["office_code"])
        outcome = translated(services.message(study))
        per_stage = translated(Words("Time per stage (hours)"))
    assert median == "중앙값"
    assert per_stage != "Time per stage (hours)"  # translated
    page = _client(statistician).get(f"/trs/{study.pk}/", HTTP_ACCEPT_LANGUAGE="ko")
    html = page.content.decode()
    assert f"<td>{interval}</td>" in html
    assert f'<th scope="col">{median}</th>' in html  # the intervals chart's table
    assert f"<caption>{chart_title}</caption>" in html
    assert outcome in html
    spec = re.search(r'<script id="spec-intervals" type="application/json">(.*?)</script>', html)
    assert spec
    drawn = json.loads(spec.group(1))
    assert drawn["title"] == per_stage
    assert median in {v["figure"] for v in drawn["data"]["values"]}
    rejected = b"".join(
        _client(statistician)
        .get(f"/trs/{study.pk}/rejected.csv", HTTP_ACCEPT_LANGUAGE="ko")
        .streaming_content  # type: ignore[attr-defined]
    ).decode()
    assert "C5" in rejected
