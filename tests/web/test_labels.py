"""Form labels read as words a customs officer uses, not as field names ("Aeo reduction",
"Iqr factor")."""

from __future__ import annotations

import re

import pytest
from django import forms

from greenlane.web.risk import CorrectionForm, ResultForm
from greenlane.web.selectivity import PolicyForm
from greenlane.web.simulations import SimulationForm
from greenlane.web.trs import StudyForm
from tests import factories

pytestmark = pytest.mark.django_db

#: Acronyms Django would write in lower case from a field name.
SPELLED_AS_NAMES = re.compile(r"\b(Aeo|Iqr|Mra|Hs|Trs|Psi)\b")


def _forms() -> list[forms.BaseForm]:
    return [
        PolicyForm(),
        SimulationForm(),
        StudyForm(factories.user("statistician")),
        ResultForm(),
        CorrectionForm(),
    ]


def test_no_label_is_a_field_name() -> None:
    for form in _forms():
        for name, field in form.fields.items():
            label = str(field.label or "")
            derived = name.replace("_", " ").capitalize()
            assert not SPELLED_AS_NAMES.search(label), (type(form).__name__, name, label)
            if name.split("_")[0] in {"aeo", "iqr", "min", "max", "rate", "period"}:
                assert label != derived, (type(form).__name__, name, label)


def test_amounts_carry_separators_and_the_currency_and_dates_are_iso(settings: object) -> None:
    from datetime import date

    from django.template import Context, Template

    settings.CURRENCY = "KRW"  # type: ignore[attr-defined]
    text = "{% load humanize_figures %}{{ a|money }}|{{ b|money:0 }}|{{ c|money }}|{{ d }}|"
    values = {"a": 1234567.5, "b": "98765.4", "c": None, "d": date(2026, 12, 5), "e": "n/a"}
    out = Template(text + "{{ e|money }}").render(Context(values))
    assert out == "1,234,567.50 KRW|98,765 KRW|—|2026-12-05|n/a"
    settings.CURRENCY = ""  # type: ignore[attr-defined]
    assert Template("{% load humanize_figures %}{{ a|money }}").render(Context({"a": 5})) == "5.00"
