from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings

from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import Declaration, IngestBatch, Upload, in_english
from greenlane.apps.declarations.services import UploadRefused, submit_upload
from greenlane.core.risk.mapping import parse
from tests import factories
from tests.core.risk.rows import HEADER, good_row, spoil
from tests.core.risk.test_hostile_files import PARQUET_DAMAGE, billion_laughs, damaged_parquet

pytestmark = pytest.mark.django_db
LAYOUT = (Path(__file__).parent / "layout.yaml").read_text()


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _file(rows: list[dict[str, str]], name: str = "decl.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _csv(rows), content_type="text/csv")


def test_the_upload_page_ingests_and_links_the_report() -> None:
    analyst = factories.user("risk_analyst")
    client = Client()
    client.force_login(analyst)
    rows = [good_row(0), spoil(good_row(1), "bad_hs"), good_row(2)]
    mapping = SimpleUploadedFile("layout.yaml", LAYOUT.encode())
    response = client.post(
        "/declarations/uploads/new/",
        {"file": _file(rows), "mapping": "kcs", "mapping_file": mapping},
    )
    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response.url == f"/declarations/uploads/{upload.pk}/"
    assert upload.status == "done"
    assert in_english(upload.message) == "3 rows read: 2 accepted, 1 rejected"
    page = client.get(response.url).content.decode()
    assert f"/declarations/batches/{upload.batch_id}/" in page
    report = client.get(f"/declarations/batches/{upload.batch_id}/").content.decode()
    assert 'data-figure="rows_rejected">1<' in report
    assert "hs6 is not an HS code" in report
    download = client.get(f"/declarations/batches/{upload.batch_id}/rejected.csv")
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert lines[0][:3] == ["row", "reason", "No"]
    assert lines[1][0] == "2"


def test_a_wrong_file_type_is_refused_before_anything_is_stored() -> None:
    analyst = factories.user("risk_analyst")
    with pytest.raises(UploadRefused, match="unsupported file type"):
        submit_upload(analyst, SimpleUploadedFile("notes.docx", b"x"), "kcs")
    assert Upload.objects.count() == 0


@override_settings(MAX_UPLOAD_MB=0)
def test_an_oversized_file_is_refused() -> None:
    analyst = factories.user("risk_analyst")
    with pytest.raises(UploadRefused, match="larger than the limit"):
        submit_upload(analyst, _file([good_row(0)]), "kcs")


def test_a_bad_mapping_file_is_refused_with_its_reason() -> None:
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    bad = SimpleUploadedFile("m.yaml", b"name: x\ncolumns: {number: No}\n")
    response = client.post(
        "/declarations/uploads/new/",
        {"file": _file([good_row(0)]), "mapping": "kcs", "mapping_file": bad},
    )
    assert response.status_code == 200
    assert "required field(s) not mapped" in response.content.decode()
    assert Upload.objects.count() == 0


def test_a_file_missing_mapped_columns_fails_with_a_clear_message() -> None:
    analyst = factories.user("risk_analyst")
    upload = submit_upload(analyst, _file([good_row(0)]), "kcs")
    assert upload.status == "failed"
    assert "the mapping needs column(s) missing from the file" in in_english(upload.message)
    assert IngestBatch.objects.count() == 0


def test_the_api_takes_a_file_and_reports_progress_and_counts() -> None:
    client = Client()
    client.force_login(factories.user("inspection_officer"))
    response = client.post(
        "/api/v1/declarations/uploads",
        {"file": _file([good_row(0), good_row(1)]), "mapping": "kcs"},
    )
    assert response.status_code == 202
    body = response.json()
    status = client.get(f"/api/v1/declarations/uploads/{body['id']}").json()
    assert status["status"] == "failed"  # the test layout is not the KCS layout
    assert "missing from the file" in status["message"]


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
@pytest.mark.django_db(transaction=True)
def test_the_background_worker_ingests_a_queued_upload_once() -> None:
    from greenlane.apps.declarations.services import ingest_upload

    analyst = factories.user("risk_analyst")
    upload = submit_upload(analyst, _file([good_row(0), good_row(1)]), "kcs", LAYOUT)
    assert upload.status == "queued"
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert upload.status == "done"
    assert Declaration.objects.count() == 2
    # Queuing the same upload again must not ingest it twice.
    ingest_upload.enqueue(upload.pk)
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert Declaration.objects.count() == 2
    assert IngestBatch.objects.count() == 1


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
@pytest.mark.django_db(transaction=True)
def test_an_upload_stopped_before_it_is_marked_done_has_stored_nothing(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The batch and the upload's status commit together: an upload that failed after its rows
    were written leaves none of them, so running it again is not refused as a duplicate."""
    from greenlane.apps.declarations import services

    real_finish = services._finish

    def stopped_before_done(upload, status, message):  # type: ignore[no-untyped-def]
        if status == Upload.Status.DONE:
            raise RuntimeError("stopped between the rows and the status")
        real_finish(upload, status, message)

    monkeypatch.setattr(services, "_finish", stopped_before_done)
    upload = submit_upload(factories.user("risk_analyst"), _file([good_row(0), good_row(1)]),
                           "kcs", LAYOUT)  # fmt: skip
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert upload.status == "failed"
    assert "nothing was stored" in in_english(upload.message)
    assert (IngestBatch.objects.count(), Declaration.objects.count()) == (0, 0)
    monkeypatch.setattr(services, "_finish", real_finish)
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.QUEUED)
    services.ingest_upload.enqueue(upload.pk)
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert upload.status == "done", upload.message
    assert (IngestBatch.objects.count(), Declaration.objects.count()) == (1, 2)


def test_rejected_rows_download_without_formulas(client: Client) -> None:
    """A hostile cell in a declaration file comes back in the rejected-rows CSV as text."""
    analyst = factories.user("risk_analyst")
    client.force_login(analyst)
    row = spoil(good_row(1), "bad_hs")
    row["Note"] = '=HYPERLINK("http://evil.example","open me")'
    upload = submit_upload(analyst, _file([good_row(0), row]), "kcs", LAYOUT)
    download = client.get(f"/declarations/batches/{upload.batch_id}/rejected.csv")
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    note = lines[0].index("Note")
    assert lines[1][note] == '\'=HYPERLINK("http://evil.example","open me")'
    assert all(not v.startswith(("=", "@")) for line in lines for v in line)


@pytest.mark.parametrize("shape", PARQUET_DAMAGE)
def test_a_damaged_parquet_upload_fails_with_the_reason(tmp_path: Path, shape: str) -> None:
    """Not "an internal error": the row count for the progress bar read the footer outside
    the file checks."""
    path = damaged_parquet(tmp_path / "d.parquet", shape)
    upload = submit_upload(
        factories.user("risk_analyst"),
        SimpleUploadedFile("d.parquet", path.read_bytes()),
        "kcs",
        LAYOUT,
    )
    assert upload.status == "failed"
    assert "d.parquet: cannot read as Parquet" in in_english(upload.message)
    assert not IngestBatch.objects.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (billion_laughs().encode(), "anchors and aliases"),
        (b"name: x\n" + b"#" * (1 << 20), "longer than 1,024 KB"),
    ],
)
def test_a_hostile_mapping_file_is_refused_at_once(content: bytes, reason: str) -> None:
    """The reviewer's 700-byte alias bomb took 81 s inside the web request."""
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    started = time.monotonic()
    response = client.post(
        "/declarations/uploads/new/",
        {
            "file": _file([good_row(0)]),
            "mapping": "kcs",
            "mapping_file": SimpleUploadedFile("m.yaml", content),
        },
    )
    assert time.monotonic() - started < 10  # (the page's first request included)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert Upload.objects.count() == 0


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_batch_was_stored_before_it_was_marked_done_reads_done() -> None:
    """A run that stored the batch and stopped before marking the upload done (a worker of a
    version that committed the two apart, or a commit whose reply was lost): run again, the
    upload finds its own batch and reads done, not "already ingested"."""
    analyst = factories.user("risk_analyst")
    upload = submit_upload(analyst, _file([good_row(0), good_row(1)]), "kcs", LAYOUT)
    ingest.ingest(
        Path(upload.file.path), parse(LAYOUT), actor=analyst, file_name=upload.original_name
    )
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    upload.refresh_from_db()
    assert upload.status == "done", upload.message
    assert in_english(upload.message) == "2 rows read: 2 accepted, 0 rejected"
    assert upload.batch == IngestBatch.objects.get()
    assert Declaration.objects.count() == 2


@pytest.mark.parametrize("same_person", [True, False])
def test_the_same_content_handed_in_again_is_still_a_duplicate(same_person: bool) -> None:
    first = factories.user("risk_analyst")
    done = submit_upload(first, _file([good_row(0)]), "kcs", LAYOUT)
    assert done.status == "done"
    again = submit_upload(
        first if same_person else factories.user("risk_analyst"),
        _file([good_row(0)]),
        "kcs",
        LAYOUT,
    )
    assert again.status == "failed"
    assert "this file was already ingested" in in_english(again.message)
    assert again.batch is None
