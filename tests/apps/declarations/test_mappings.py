from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations.models import Declaration, SavedMapping, Upload, in_english
from greenlane.apps.declarations.services import (
    MappingRefused,
    mapping_named,
    save_mapping,
    submit_upload,
)
from greenlane.core.risk import mapping
from tests import factories
from tests.apps.declarations.test_uploads import _file
from tests.core.risk.rows import HEADER, good_row
from tests.core.risk.test_hostile_files import shared_strings_bomb

pytestmark = pytest.mark.django_db

FIELDS = {
    "field_number": "No",
    "field_declaration_date": "Date",
    "field_office_code": "Office",
    "field_importer_code": "Importer",
    "field_hs6": "HS",
    "field_origin_country": "Origin",
    "field_net_mass_kg": "Mass",
    "field_customs_value": "Value",
    "field_tax_rate": "Rate",
    "field_fraud": "Fraud",
}


def test_a_mapping_made_in_the_browser_ingests_files_of_that_layout() -> None:
    analyst = factories.user("risk_analyst")
    client = Client()
    client.force_login(analyst)
    sample = _file([good_row(0)], "sample.csv")
    step = client.post("/declarations/mappings/new/", {"sample": sample, "delimiter": ","})
    page = step.content.decode()
    assert step.status_code == 200
    assert all(column in page for column in HEADER)
    response = client.post(
        "/declarations/mappings/new/",
        {
            "columns": json.dumps(HEADER),
            "delimiter": ",",
            "name": "broker-x",
            "title": "Broker X export",
            "date_format": "%Y-%m-%d",
            "currency": "EUR",
            "attributes": ["Note"],
            **FIELDS,
        },
    )
    saved = SavedMapping.objects.get(name="broker-x")
    assert response.status_code == 302
    parsed = mapping.parse(saved.text)
    assert parsed.columns["hs6"].column == "HS"
    assert parsed.attributes == ["Note"]
    assert parsed.currency == "EUR"
    assert AuditEvent.objects.filter(action="declarations.mapping.saved").exists()

    upload_page = client.get("/declarations/uploads/new/").content.decode()
    assert "broker-x" in upload_page
    response = client.post(
        "/declarations/uploads/new/",
        {"file": _file([good_row(1), good_row(2)]), "mapping": "broker-x"},
    )
    assert response.status_code == 302, response.content.decode()
    upload = Upload.objects.get()
    assert upload.status == "done", upload.message
    assert Declaration.objects.count() == 2
    assert Declaration.objects.get(number="N0000001").attributes == {"Note": "note 1"}


def test_a_mapping_missing_a_required_field_is_not_saved() -> None:
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    fields = {k: v for k, v in FIELDS.items() if k != "field_hs6"}
    response = client.post(
        "/declarations/mappings/new/",
        {
            "columns": json.dumps(HEADER),
            "delimiter": ",",
            "name": "partial",
            "date_format": "%Y-%m-%d",
            **fields,
        },
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not SavedMapping.objects.exists()


def test_names_of_shipped_or_saved_mappings_are_not_taken_twice() -> None:
    user = factories.user("risk_analyst")
    kcs = mapping.named("kcs")
    with pytest.raises(MappingRefused, match="shipped mapping"):
        save_mapping(user, kcs)
    mine = kcs.model_copy(update={"name": "mine"})
    save_mapping(user, mine)
    with pytest.raises(MappingRefused, match="exists already"):
        save_mapping(user, mine)
    resolved, text = mapping_named("mine")
    assert resolved == mine
    assert text


def test_a_shared_strings_bomb_as_a_sample_is_read_to_its_header_only(tmp_path: Path) -> None:
    """The reviewer's 2.4 MB workbook of 18 million shared strings held a web worker at 1.2 GB
    for two minutes; the page reads only the first row and the strings it names."""
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    bomb = shared_strings_bomb(tmp_path / "bomb.xlsx")
    sample = SimpleUploadedFile("bomb.xlsx", bomb.read_bytes())
    started = time.monotonic()
    step = client.post("/declarations/mappings/new/", {"sample": sample, "delimiter": ","})
    assert time.monotonic() - started < 5
    assert step.status_code == 200
    assert 'value="No"' in step.content.decode()
    late = shared_strings_bomb(tmp_path / "late.xlsx", entries=200_000, header_index=200_000)
    sample = SimpleUploadedFile("late.xlsx", late.read_bytes())
    step = client.post("/declarations/mappings/new/", {"sample": sample, "delimiter": ","})
    assert step.status_code == 200
    assert "late.xlsx: cannot read as an Excel workbook" in step.content.decode()
    assert "not within the first 2 MB of the shared strings" in step.content.decode()


def test_the_ingest_worker_refuses_a_shared_strings_bomb(tmp_path: Path) -> None:
    bomb = shared_strings_bomb(tmp_path / "bomb.xlsx")
    upload = submit_upload(
        factories.user("risk_analyst"),
        SimpleUploadedFile("bomb.xlsx", bomb.read_bytes()),
        "kcs",
    )
    assert upload.status == "failed"
    assert "more than 2,000,000 shared strings" in in_english(upload.message)
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    "columns", ["not json", "5", "[1,2]", "null", '{"a": 1}', "[" * 100_000, '["\\ud800"]']
)
def test_a_malformed_column_list_is_a_400_naming_the_field(columns: str) -> None:
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    response = client.post(
        "/declarations/mappings/new/",
        {"columns": columns, "delimiter": ",", "name": "x", "date_format": "%Y", **FIELDS},
    )
    assert response.status_code == 400
    assert "columns: the sample&#x27;s column names" in response.content.decode()
    assert not SavedMapping.objects.exists()
