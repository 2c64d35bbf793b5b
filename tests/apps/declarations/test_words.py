"""Ingest errors are read in the reader's language: a rejected row's reason is stored as words
(data) and translated when a page, the API or the download shows it; an upload's message too;
a rule's error in the analyst's language."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import RejectedRow, Upload, in_english
from greenlane.apps.targeting import selectivity
from greenlane.apps.wording import translated
from greenlane.core.errors import Refused
from greenlane.core.risk import rulelang
from greenlane.core.words import Words
from tests import factories
from tests.core.risk.rows import MAPPING, good_row, spoil, write_csv

pytestmark = pytest.mark.django_db


def _batch(tmp_path: Path) -> int:
    rows = [good_row(0), spoil(good_row(1), "rate_too_high"), spoil(good_row(2), "bad_hs")]
    batch = ingest.ingest(write_csv(tmp_path / "f.csv", rows), MAPPING).batch
    return int(batch.pk)


def _reader() -> Client:
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    return client


def test_a_rejected_rows_reason_is_stored_as_words(tmp_path: Path) -> None:
    pk = _batch(tmp_path)
    stored = RejectedRow.objects.get(batch_id=pk, row=2).reason
    assert stored["message"] == "%(field)s is above %(maximum)s (%(column)s)"
    assert in_english(stored) == "tax_rate is above 1,000 (Rate)"
    assert str(RejectedRow.objects.get(batch_id=pk, row=2)) == (
        "row 2: tax_rate is above 1,000 (Rate)"
    )


@pytest.mark.parametrize("language", ["ko", "es"])
def test_the_batch_page_api_and_download_give_the_reason_in_the_readers_language(
    tmp_path: Path, language: str
) -> None:
    pk = _batch(tmp_path)
    client = _reader()
    stored = dict(RejectedRow.objects.filter(batch_id=pk).values_list("row", "reason"))
    with translation.override(language):
        expected = {row: translated(Words.from_json(reason)) for row, reason in stored.items()}
    if language == "es":
        assert "1.000" in expected[2]  # the limit written the Spanish way
    page = client.get(f"/declarations/batches/{pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert f'<html lang="{language}"' in page.content.decode()
    for reason in expected.values():
        assert html.escape(reason) in page.content.decode()
    answer = client.get(
        f"/api/v1/declarations/batches/{pk}/rejected", HTTP_ACCEPT_LANGUAGE=language
    ).json()
    assert {item["row"]: item["reason"] for item in answer["items"]} == expected
    download = client.get(f"/declarations/batches/{pk}/rejected.csv", HTTP_ACCEPT_LANGUAGE=language)
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert {int(line[0]): line[1] for line in lines[1:]} == expected


def test_a_reason_stored_as_text_before_is_shown_as_it_is(tmp_path: Path) -> None:
    pk = _batch(tmp_path)
    RejectedRow.objects.filter(batch_id=pk, row=2).update(reason="an older reason, in English")
    page = _reader().get(f"/declarations/batches/{pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert "an older reason, in English" in page.content.decode()


def test_an_uploads_message_is_read_in_the_readers_language() -> None:
    upload = Upload.objects.create(
        original_name="f.csv",
        mapping_name="kcs",
        status=Upload.Status.FAILED,
        message=Words(
            "%(read)s rows read: %(accepted)s accepted, %(rejected)s rejected",
            {"read": 12345, "accepted": 12000, "rejected": 345},
        ).as_json(),
        uploaded_by=factories.user("risk_analyst"),
    )
    client = _reader()
    with translation.override("es"):
        expected = translated(upload.message)
    assert "12.345" in expected
    for url in (
        f"/declarations/uploads/{upload.pk}/progress",
        f"/api/v1/declarations/uploads/{upload.pk}",
    ):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE="es").json()["message"] == expected, url
    page = client.get(f"/declarations/uploads/{upload.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert expected in page.content.decode()


def test_a_rules_error_is_refused_in_the_analysts_language() -> None:
    values = {"expression": "x" * (rulelang.MAX_LENGTH + 1), "action": "flag"}
    with pytest.raises(rulelang.RuleError) as error:
        rulelang.parse(values["expression"])
    assert str(error.value.words) == str(error.value)
    with translation.override("es"), pytest.raises(Refused) as refused:
        selectivity.check_rule(values)
    with translation.override("es"):
        expected = translated(error.value.words)
    assert str(refused.value) == expected
    assert expected.startswith("línea 1, columna 1:"), expected  # in Spanish, not English
    assert "2.000" in expected  # with the reader's thousands separator
    assert refused.value.field == "expression"
