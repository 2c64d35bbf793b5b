"""The gap report and the certificate as PDFs in Korean and Chinese (issue 23): the text read
back from the PDF is the translation, and a CJK font with its glyphs is embedded (no tofu)."""

from __future__ import annotations

import io

import pytest
from django.test import Client, override_settings
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification.models import Certificate
from tests import factories
from tests.apps.certification.world import approved, world
from tests.web.test_i18n import _embedded_fonts

pytestmark = pytest.mark.django_db

FONT = {"ko": "Noto-Sans-CJK-KR", "zh-hans": "Noto-Sans-CJK-SC"}


def _text(pdf: bytes) -> str:
    """The PDF's text, every page, with runs of white space as one space."""
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


@pytest.mark.parametrize("language", ["ko", "zh-hans"])
def test_the_gap_report_pdf_is_in_the_readers_language(language: str) -> None:
    operator = factories.operator(factories.organisation("operator"))
    trader = factories.user(Role.TRADER, operator.organisation)
    trader.language = language
    trader.save(update_fields=["language"])
    factories.answered_draft(operator, trader, answer="not_met")
    client = Client()
    client.force_login(trader)
    response = client.get(f"/operators/{operator.pk}/self-test/report.pdf")
    assert response.status_code == 200
    pdf = response.content
    text = _text(pdf)
    for message in ("Gaps, ranked by impact", "Programme by programme"):
        translated = _in(language, message)
        assert translated != message, f"{message!r} is not translated into {language}"
        assert " ".join(translated.split()) in text, (translated, text[:400])
    assert "Gaps, ranked by impact" not in text
    assert any(name.endswith(FONT[language]) for name in _embedded_fonts(pdf))


@pytest.mark.parametrize("language", ["ko", "zh-hans"])
def test_the_certificate_is_written_in_the_administrations_language(language: str) -> None:
    with override_settings(LANGUAGE_CODE=language):
        w = world()
        certificate = Certificate.objects.get(application=approved(w))
    [document] = certificate.documents.all()
    with document.file.open("rb") as handle:
        pdf = handle.read()
    text = _text(pdf)
    translated = _in(language, "Authorised Economic Operator")
    assert translated != "Authorised Economic Operator"
    assert translated in text, text[:400]
    assert certificate.number in text  # codes stay as they are
    assert any(name.endswith(FONT[language]) for name in _embedded_fonts(pdf))
