"""The charts' own numbers and dates in the reader's way (``humanize_figures.chart_locale``,
read by trs-charts.js as Vega's d3 locales): the same separators as the page's figures, month
and day names in the reader's language."""

from __future__ import annotations

import json
import re

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import number_format

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "ko", "es", "zh-hans")


def _locale(language: str) -> dict:
    with translation.override(language):
        html = Template("{% load humanize_figures %}{% chart_locale %}").render(Context())
    found = re.search(r'<script id="chart-locale" type="application/json">(.*)</script>', html)
    assert found, html
    return json.loads(found.group(1))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_charts_write_numbers_as_the_pages_figures_do(language: str) -> None:
    number = _locale(language)["number"]
    with translation.override(language):
        page = number_format(1234567.5, 1, force_grouping=True)
    grouped = "1{t}234{t}567{d}5".format(t=number["thousands"], d=number["decimal"])
    assert page == grouped


def test_months_and_days_are_in_the_readers_language() -> None:
    english, korean, spanish = (_locale(lang)["time"] for lang in ("en", "ko", "es"))
    assert english["months"][0] == "January"
    assert english["days"][0] == "Sunday"  # d3 counts days from Sunday
    assert korean["months"][0] == "1월"
    assert spanish["shortMonths"][11].lower().startswith("dic")
    for time in (english, korean, spanish):
        assert len(time["months"]) == len(time["shortMonths"]) == 12
        assert len(time["days"]) == len(time["shortDays"]) == 7


def test_every_page_carries_it_for_its_charts(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login/", headers={"accept-language": "es"}).content.decode()
    assert '<script id="chart-locale" type="application/json">' in page
