from __future__ import annotations

import json

import pytest
from django.test import Client

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations.models import Declaration, SavedMapping, Upload
from greenlane.apps.declarations.services import MappingRefused, mapping_named, save_mapping
from greenlane.core.risk import mapping
from tests import factories
from tests.apps.declarations.test_uploads import _file
from tests.core.risk.rows import HEADER, good_row

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
