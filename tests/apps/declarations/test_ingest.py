from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.db.models import Count, ProtectedError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import (
    Declaration,
    IngestBatch,
    Inspection,
    RejectedRow,
    in_english,
)
from greenlane.core.risk import mapping
from tests.core.risk.rows import DEFECTS, MAPPING, good_row, spoil, write_csv
from tests.shared_data import kcs_file

pytestmark = pytest.mark.django_db


def test_it_stores_good_rows_and_keeps_bad_ones_with_reasons(tmp_path: Path) -> None:
    rows = [good_row(0), spoil(good_row(1), "bad_hs"), good_row(2), good_row(3)]
    result = ingest.ingest(write_csv(tmp_path / "f.csv", rows), MAPPING)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 3, 1)
    stored = Declaration.objects.get(number="N0000002")
    assert str(stored.customs_value) == "1014.50"
    assert stored.batch == result.batch
    assert stored.attributes == {"Note": "note 2"}
    rejected = RejectedRow.objects.get(batch=result.batch)
    assert rejected.row == 2
    assert "hs6 is not an HS code" in in_english(rejected.reason)
    # Rows 0 and 3 carry a result ("0" and "yes"); row 2 has none.
    assert Inspection.objects.filter(batch=result.batch).count() == 2
    assert Inspection.objects.get(declaration__number="N0000003").fraud_found is True


def test_the_same_content_is_not_ingested_twice(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [good_row(i) for i in range(3)])
    first = ingest.ingest(path, MAPPING)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(ingest.DuplicateFile, match=f"batch #{first.batch.pk}"):
        ingest.ingest(copy, MAPPING)
    assert Declaration.objects.count() == 3


def test_a_declaration_already_on_record_is_rejected_not_duplicated(tmp_path: Path) -> None:
    ingest.ingest(write_csv(tmp_path / "a.csv", [good_row(1), good_row(2)]), MAPPING)
    second = ingest.ingest(write_csv(tmp_path / "b.csv", [good_row(2), good_row(3)]), MAPPING)
    assert (second.rows_accepted, second.rows_rejected) == (1, 1)
    reason = in_english(RejectedRow.objects.get(batch=second.batch).reason)
    assert reason == "declaration number N0000002 is already on record"
    assert Declaration.objects.filter(number="N0000002").count() == 1


@pytest.mark.postgres_only
def test_a_number_stored_by_another_writer_meanwhile_is_rejected_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    """The look-up before the COPY misses a number that arrives between the two (as if
    another writer stored it then): the COPY fails, its savepoint goes back, and the chunk
    is stored through the staging table, which skips that number and keeps the others,
    their inspection results attached."""
    ingest.ingest(write_csv(tmp_path / "a.csv", [good_row(2)]), MAPPING)
    with mock.patch.object(ingest, "_ids", return_value={}):
        second = ingest.ingest(
            write_csv(tmp_path / "b.csv", [good_row(i) for i in (0, 2, 3)]), MAPPING
        )
    assert (second.rows_accepted, second.rows_rejected) == (2, 1)
    reason = in_english(RejectedRow.objects.get(batch=second.batch).reason)
    assert reason == "declaration number N0000002 is already on record"
    assert Declaration.objects.filter(number="N0000002").count() == 1
    assert set(
        Inspection.objects.filter(batch=second.batch).values_list("declaration__number", flat=True)
    ) == {"N0000000", "N0000003"}


def test_a_batch_with_declarations_cannot_be_deleted(tmp_path: Path) -> None:
    """The link has no constraint in the database (decision 0033); Django still protects it."""
    result = ingest.ingest(write_csv(tmp_path / "a.csv", [good_row(1)]), MAPPING)
    with pytest.raises(ProtectedError):
        result.batch.delete()
    assert Declaration.objects.filter(batch=result.batch).count() == 1


def test_a_crash_midway_leaves_no_batch_and_a_rerun_completes(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [good_row(i) for i in range(10)])
    with (
        mock.patch.object(ingest, "_insert_rejected", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        ingest.ingest(path, MAPPING)
    assert IngestBatch.objects.count() == 0
    assert Declaration.objects.count() == 0
    assert Inspection.objects.count() == 0
    result = ingest.ingest(path, MAPPING)
    assert result.rows_accepted == 10


def test_an_ingest_is_audited_with_its_counts(tmp_path: Path) -> None:
    result = ingest.ingest(
        write_csv(tmp_path / "f.csv", [good_row(0), spoil(good_row(1), "no_date")]), MAPPING
    )
    event = AuditEvent.objects.get(action="declarations.declarations.ingested")
    assert event.subject_id == str(result.batch.pk)
    assert (event.data["rows_read"], event.data["rows_accepted"], event.data["rows_rejected"]) == (
        2,
        1,
        1,
    )
    assert audit.verify()[1] is None


def test_inspection_results_attach_to_declarations_on_record(tmp_path: Path) -> None:
    ingest.ingest(
        write_csv(tmp_path / "d.csv", [{**good_row(i), "Fraud": ""} for i in range(3)]), MAPPING
    )
    results = mapping.parse(
        "name: r\nkind: inspections\ncolumns: {number: Decl}\n"
        "labels: {fraud: Hit, inspected_on: On, revenue_recovered: Money}\n"
    )
    path = tmp_path / "r.csv"
    path.write_text(
        "Decl,Hit,On,Money\n"
        "N0000000,1,2025-05-02,120.5\n"
        "N0000001,0,2025-05-03,\n"
        "N9999999,1,2025-05-03,1\n"  # no such declaration
        "N0000000,0,2025-05-04,\n"  # a second result for the same declaration
    )
    result = ingest.ingest(path, results)
    assert (result.rows_accepted, result.rows_rejected, result.inspections) == (2, 2, 2)
    hit = Inspection.objects.get(declaration__number="N0000000")
    assert hit.fraud_found is True
    assert str(hit.revenue_recovered) == "120.50"
    reasons = dict(RejectedRow.objects.filter(batch=result.batch).values_list("row", "reason"))
    assert "no such declaration" in in_english(reasons[3])
    assert "already appears in row 1" in in_english(reasons[4])


def test_the_rejected_rows_download_names_row_reason_and_values(tmp_path: Path) -> None:
    result = ingest.ingest(
        write_csv(tmp_path / "f.csv", [good_row(0), spoil(good_row(1), "bad_country")]), MAPPING
    )
    table = list(ingest.rejected_rows_csv(result.batch))
    assert table[0][:3] == ["row", "reason", "No"]
    assert table[1][0] == "2"
    assert "origin_country" in table[1][1]
    assert "XX" in table[1]


@pytest.mark.slow
def test_the_kcs_files_ingest_through_the_shipped_mapping() -> None:
    kcs = mapping.named("kcs")
    result = ingest.ingest(kcs_file("valid.csv"), kcs)
    assert result.rows_read == 8134
    assert result.rows_accepted + result.rows_rejected == 8134
    assert result.rows_accepted > 8000
    assert result.inspections == result.rows_accepted
    frauds = Inspection.objects.filter(batch=result.batch, fraud_found=True).count()
    assert 0.1 < frauds / result.inspections < 0.4
    modes = set(
        Declaration.objects.values_list("transport_mode", flat=True).annotate(n=Count("id"))
    )
    assert modes <= set("123459")


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(st.sampled_from(["good", "good", *sorted(DEFECTS)]), min_size=1, max_size=25))
def test_good_rows_are_stored_exactly_once(kinds: list[str]) -> None:
    prefix = uuid.uuid4().hex[:8]
    rows = [
        good_row(i, prefix) if k == "good" else spoil(good_row(i, prefix), k)
        for i, k in enumerate(kinds)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        result = ingest.ingest(write_csv(Path(tmp) / "f.csv", rows), MAPPING)
    good = sorted(r["No"] for r, k in zip(rows, kinds, strict=True) if k == "good")
    stored = sorted(Declaration.objects.filter(batch=result.batch).values_list("number", flat=True))
    assert stored == good
    assert result.rows_read == len(rows) == result.rows_accepted + result.rows_rejected
    assert RejectedRow.objects.filter(batch=result.batch).count() == len(rows) - len(good)
